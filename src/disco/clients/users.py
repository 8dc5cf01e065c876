"""The users service's internal API, for services that need more than its events carry."""

from __future__ import annotations

from typing import Any, Literal

from disco.contracts.events.users import ContactDetails
from disco.platform.http import ServiceDirectory

__all__ = ["ConfirmedContact", "UsersClient"]


class ConfirmedContact(ContactDetails):
    id: str


class UsersClient:
    def __init__(self, services: ServiceDirectory) -> None:
        self._services = services

    async def emergency_contacts(self, user_id: str) -> list[ConfirmedContact]:
        """The contacts that receive this user's alerts (confirmed ones only)."""
        response = await self._services.client("users").get(
            f"/internal/users/{user_id}/emergency-contacts"
        )
        response.raise_for_status()
        return [ConfirmedContact.model_validate(c) for c in response.json()["contacts"]]

    async def profile_view(
        self, user_id: str, viewer_id: str, level: Literal["nearby", "match"]
    ) -> dict[str, Any] | None:
        """``user_id`` as ``viewer_id`` may see them at ``level``; None if hidden or blocked."""
        response = await self._services.client("users").get(
            f"/internal/users/{user_id}/view", params={"viewer": viewer_id, "level": level}
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data
