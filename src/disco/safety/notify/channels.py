"""The delivery channels behind one ``Notifier`` protocol.

A send either returns (the provider accepted the message) or raises: ``DeliveryFailed`` with
``permanent=True`` when retrying cannot help (the provider refused the recipient), anything
else is treated as transient and retried.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

import aiosmtplib
import httpx

from disco.config import Settings
from disco.contracts.events.realtime import RealtimePushed
from disco.platform.db import Database
from disco.platform.mail import Mailer
from disco.safety.notify.message import Channel, Outgoing

__all__ = [
    "DeliveryFailed",
    "EmailNotifier",
    "HttpProviderNotifier",
    "InAppNotifier",
    "Notifier",
    "build_notifiers",
]

SEND_TIMEOUT_SECONDS = 10.0  # the mailer's too; the dispatcher renews its lease while a send waits
# Provider answers that say "this message will never be accepted": retrying cannot help.
# 401/403 are left out on purpose: a wrong key is an operator's mistake that will be fixed.
_PERMANENT_STATUSES = frozenset({400, 404, 410, 413, 415, 422})
_PHONE_SEPARATORS = re.compile(r"[\s()./\-]")
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Notifier(Protocol):
    async def send(self, message: Outgoing) -> None: ...


class EmailNotifier:
    """Through the platform mailer (SMTP, or .eml files in embedded mode without one)."""

    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    async def send(self, message: Outgoing) -> None:
        if not _EMAIL.match(message.recipient):
            raise DeliveryFailed("not an email address", permanent=True)
        try:
            await self._mailer.send(
                message.recipient, message.subject, message.body, message_id=message.id
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(refusal.code >= 500 for refusal in exc.recipients):
                raise DeliveryFailed(f"recipient refused: {exc}", permanent=True) from exc
            raise


class HttpProviderNotifier:
    """An SMS or push provider: POST JSON with a bearer key and the idempotency key."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        key: str | None,
        payload: Callable[[Outgoing], dict[str, Any]],
    ) -> None:
        self._http = http
        self._url = url
        self._payload = payload
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}

    async def send(self, message: Outgoing) -> None:
        response = await self._http.post(
            self._url,
            json=self._payload(message),
            # The provider drops a repeat of a message it already took (a retry after a lost
            # answer); see the dispatcher for when that can happen.
            headers={**self._headers, "Idempotency-Key": message.id},
            timeout=SEND_TIMEOUT_SECONDS,
        )
        if response.is_success:
            return
        reason = f"provider answered {response.status_code}: {response.text[:200]}"
        raise DeliveryFailed(reason, permanent=response.status_code in _PERMANENT_STATUSES)


def sms_payload(message: Outgoing) -> dict[str, Any]:
    number = _PHONE_SEPARATORS.sub("", message.recipient)
    if not _PHONE.match(number):
        raise DeliveryFailed("not a phone number", permanent=True)
    return {"to": number, "text": f"{message.subject}\n{message.body}"}


def push_payload(message: Outgoing) -> dict[str, Any]:
    return {
        "token": message.recipient,
        "title": message.subject,
        "body": message.body,
        "data": message.data,
    }


class InAppNotifier:
    """A frame on every open socket of the recipient, through the outbox and the gateways."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def send(self, message: Outgoing) -> None:
        frame = {"subject": message.subject, "body": message.body, **message.data}
        async with self._db.unit_of_work("notify.in_app") as uow:
            await uow.publish(
                RealtimePushed(
                    user_ids=[message.recipient], frame_type=message.frame_type, data=frame
                )
            )


def build_notifiers(
    settings: Settings, mailer: Mailer, db: Database, http: httpx.AsyncClient
) -> dict[Channel, Notifier]:
    """One notifier per configured channel; a channel missing here is reported as skipped."""
    notifiers: dict[Channel, Notifier] = {
        "email": EmailNotifier(mailer),
        "in_app": InAppNotifier(db),
    }
    if settings.sms_url:
        notifiers["sms"] = HttpProviderNotifier(
            http, settings.sms_url, settings.sms_key, sms_payload
        )
    if settings.push_url:
        notifiers["push"] = HttpProviderNotifier(
            http, settings.push_url, settings.push_key, push_payload
        )
    return notifiers
