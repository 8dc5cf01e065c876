"""The chat service's internal API, for the users service's data export."""

from __future__ import annotations

from typing import Any

from disco.platform.http import ServiceDirectory

__all__ = ["ChatClient"]


class ChatClient:
    def __init__(self, services: ServiceDirectory) -> None:
        self._services = services

    async def export_user(self, user_id: str) -> dict[str, Any]:
        """What chat holds about the user: rooms, counts and times (never ciphertext)."""
        response = await self._services.client("chat").get(f"/internal/chat/users/{user_id}/export")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data
