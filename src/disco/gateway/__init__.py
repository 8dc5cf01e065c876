"""The gateway: routing, token checks, rate limits, WebSockets, OpenAPI, the web client."""
