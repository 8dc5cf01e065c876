"""The users service's internal API, for services that need more than its events carry."""

from __future__ import annotations

from typing import Literal

from disco.contracts.api.users import PublicProfile
from disco.contracts.events.auth import UserRegistered
from disco.platform.http import ServiceDirectory

__all__ = ["UsersClient"]


class UsersClient:
    def __init__(self, services: ServiceDirectory) -> None:
        self._services = services

    async def create_profile(self, registered: UserRegistered) -> bool:
        """For auth, right after a sign-up commits: the new account's profile, so that the
        user's next request finds it (``auth.user.registered`` would make it too, later).
        Idempotent: a profile that exists is left as it is. True if this call made it."""
        response = await self._services.client("users").put(
            f"/internal/users/{registered.user_id}/profile",
            json={
                "email": registered.email,
                "firstName": registered.first_name,
                "lastName": registered.last_name,
                "registeredAt": registered.registered_at.isoformat(),
            },
        )
        response.raise_for_status()
        return response.status_code == 201

    async def profile_view(
        self, user_id: str, viewer_id: str, level: Literal["nearby", "match"]
    ) -> PublicProfile | None:
        """``user_id`` as ``viewer_id`` may see them at ``level``; None if hidden or blocked."""
        response = await self._services.client("users").get(
            f"/internal/users/{user_id}/view", params={"viewer": viewer_id, "level": level}
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return PublicProfile.model_validate_json(response.content)
