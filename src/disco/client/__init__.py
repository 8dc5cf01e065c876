"""The async Python SDK of the public API (HTTP + WebSocket)."""
