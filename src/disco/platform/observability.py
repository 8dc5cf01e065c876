"""Logging (structlog), Prometheus metrics, request ids, access logs without secrets."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

import structlog
from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DB_TRANSACTION_SECONDS",
    "EVENTS_HANDLED",
    "EVENTS_PUBLISHED",
    "HTTP_REQUESTS",
    "HTTP_SECONDS",
    "LOCATION_FIXES",
    "RATE_LIMITED",
    "WEBSOCKETS_OPEN",
    "RedactSecrets",
    "RequestContextMiddleware",
    "configure_logging",
    "keep_secrets_out_of_server_logs",
    "redact_secrets",
    "request_id_var",
]

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

HTTP_REQUESTS = Counter(
    "disco_http_requests_total", "HTTP requests answered", ["service", "method", "status"]
)
HTTP_SECONDS = Histogram(
    "disco_http_request_seconds",
    "HTTP request latency",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DB_TRANSACTION_SECONDS = Histogram(
    "disco_db_transaction_seconds", "Unit-of-work duration, by name", ["service", "transaction"]
)
EVENTS_PUBLISHED = Counter("disco_events_published_total", "Events published", ["service"])
EVENTS_HANDLED = Counter(
    "disco_events_handled_total", "Events consumed", ["consumer", "event_type", "outcome"]
)
RATE_LIMITED = Counter("disco_rate_limited_total", "Requests refused for rate", ["caller"])
# Fixes a location update brought, by what became of them ("accepted" or the refusal's reason):
# a rise in "implausible" or "profile_pending" shows a server falling behind before a person does.
LOCATION_FIXES = Counter("disco_location_fixes_total", "Location fixes by outcome", ["outcome"])
WEBSOCKETS_OPEN = Gauge("disco_websockets_open", "Authenticated WebSockets open", ["service"])

# A WebSocket may carry its access token in the query string or a ``bearer.<jwt>`` subprotocol.
_URL_TOKEN = re.compile(r"([?&;](?:access_)?token=)[^&;\s\"']+", re.IGNORECASE)
_BEARER_SUBPROTOCOL = re.compile(r"(bearer\.)[A-Za-z0-9._~+/=-]+")


def redact_secrets(text: str) -> str:
    return _BEARER_SUBPROTOCOL.sub(r"\1[redacted]", _URL_TOKEN.sub(r"\1[redacted]", text))


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message would show a token, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def keep_secrets_out_of_server_logs() -> None:
    """uvicorn logs each WebSocket handshake with its query string; redact tokens there.

    A logger's own filters see its records before they propagate, whoever handles them.
    """
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def _add_request_id(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    rid = request_id_var.get()
    if rid != "-":
        event.setdefault("request_id", rid)
    return event


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    """structlog renders both our logs and the standard library's (uvicorn, aio-pika, ...)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _add_request_id,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Plain tracebacks: rich ones print every frame's locals (request headers, tokens) and cost
    # about a second of event-loop time each.
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    finishing: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json:
        finishing.append(structlog.processors.format_exc_info)  # a traceback string, not a repr
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[*finishing, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints query strings, and a WebSocket may carry its token there.
    logging.getLogger("uvicorn.access").disabled = True
    keep_secrets_out_of_server_logs()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per internal hop is noise
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)


class RequestContextMiddleware:
    """Request id in and out (``X-Request-Id``), metrics, and an access log line.

    The access line names the path only, never the query string: tokens travel there.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self.log = structlog.get_logger("disco.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 8 <= len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method = scope.get("method", "WS")
            if scope["type"] == "http":
                HTTP_REQUESTS.labels(self.service, method, str(status)).inc()
                HTTP_SECONDS.labels(self.service, method).observe(elapsed)
            self.log.info(
                "request",
                service=self.service,
                method=method,
                path=scope.get("path"),
                status=status,
                ms=round(elapsed * 1000, 2),
            )
            request_id_var.reset(token)
