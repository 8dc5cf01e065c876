"""A person's data export is assembled by the users service from every service's share; each
service that keeps data about people answers ``GET /internal/<service>/users/{id}/export``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from disco.platform.http import ServiceDirectory

__all__ = ["ShareOfExport", "share_of_export"]

ShareOfExport = Callable[[str], Awaitable[dict[str, Any]]]


def share_of_export(services: ServiceDirectory, service: str) -> ShareOfExport:
    """What ``service`` holds about a user, as a JSON-ready document."""

    async def export(user_id: str) -> dict[str, Any]:
        response = await services.client(service).get(f"/internal/{service}/users/{user_id}/export")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    return export
