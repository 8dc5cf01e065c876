"""Mail the auth service sends about an account (verification, password reset, two-factor
changes), through the one notification path: an ``auth.notification.requested`` event in the
same transaction as the change, which safety's dispatcher sends durably, retried until the mail
server takes it and never twice. No mail for a rolled-back change, none lost to an outage, and
nothing on the request path that would let response times reveal whether an account exists."""

from __future__ import annotations

from disco.clients.notify import request_notification
from disco.contracts.events.notifications import AuthNotificationRequested
from disco.platform.db import UnitOfWork, new_id
from disco.platform.security import FieldCipher

__all__ = ["AccountMail"]


class AccountMail:
    def __init__(self, cipher: FieldCipher) -> None:
        self._cipher = cipher

    async def send(
        self, uow: UnitOfWork, user_id: str, kind: str, to: str, subject: str, body: str
    ) -> None:
        """Queue a ``kind`` mail to ``to`` about ``user_id``'s account, with ``uow``."""
        await request_notification(
            uow,
            self._cipher,
            AuthNotificationRequested,
            # One mail per request; a redelivered event carries the same key, so it is not sent
            # twice.
            dedupe_key=f"auth:{user_id}:{kind}:{new_id()}",
            channel="email",
            user_id=user_id,
            address=to,
            subject=subject,
            body=body,
        )
