from __future__ import annotations

from typing import Any

from disco.platform.http import ServiceDirectory

__all__ = ["AuthClient"]


class AuthClient:
    def __init__(self, services: ServiceDirectory) -> None:
        self._services = services

    async def jwks(self) -> dict[str, Any]:
        response = await self._services.client("auth").get("/v1/auth/.well-known/jwks.json")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    async def disable_user(self, user_id: str, reason: str) -> None:
        response = await self._services.client("auth").post(
            f"/internal/auth/users/{user_id}/disable", json={"reason": reason}
        )
        response.raise_for_status()
