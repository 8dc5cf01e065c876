"""The async Python SDK of Disco's public API (HTTP + WebSocket)."""

from disco.client.sdk import ApiError, DiscoClient, Socket

__all__ = ["ApiError", "DiscoClient", "Socket"]
