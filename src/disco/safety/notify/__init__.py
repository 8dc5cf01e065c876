"""Notification dispatch: channels behind one ``Notifier`` protocol, durable and retried.

The safety domain queues a ``Notification`` in its own unit of work::

    queued = await dispatch.queue.enqueue(uow, Notification(...))   # False: dedupe_key seen
    count = await dispatch.queue.enqueue_all(uow, [Notification(...), ...])  # in 2 statements

and calls ``dispatch.queue.erase_user(uow, user_id)`` on ``users.user.deleted``.
"""

from disco.safety.notify.channels import DeliveryFailed, Notifier
from disco.safety.notify.message import CHANNELS, Channel, Notification, Outgoing, Priority
from disco.safety.notify.queue import NotificationQueue
from disco.safety.notify.service import NotificationDispatch

__all__ = [
    "CHANNELS",
    "Channel",
    "DeliveryFailed",
    "Notification",
    "NotificationDispatch",
    "NotificationQueue",
    "Notifier",
    "Outgoing",
    "Priority",
]
