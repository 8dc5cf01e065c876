"""The one Settings object: read from ``DISCO_*`` variables once, at start-up, then passed down.

Nothing else in the code base reads the environment.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SERVICES", "OidcProvider", "Settings"]

# Every service, in start-up order. The gateway comes last: it fronts the others.
SERVICES: tuple[str, ...] = ("auth", "users", "match", "safety", "chat", "gateway")


class OidcProvider(BaseSettings):
    """One OpenID Connect provider users may log in with (authorization code + PKCE)."""

    issuer: str
    client_id: str
    client_secret: str | None = None
    scopes: str = "openid email profile"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DISCO_", env_nested_delimiter="__", extra="ignore"
    )

    # --- where things run ---------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str | None = None  # what links in emails point at; defaults to http://host:port
    data_dir: Path = Path(".disco")
    environment: Literal["development", "test", "production"] = "development"
    # Names queues, exchanges and key prefixes, so several systems can share one broker or Redis.
    namespace: str = Field("disco", pattern=r"^[a-z][a-z0-9_]{0,30}$")

    # --- backends: unset means the embedded adapter ---------------------------------------------
    database_url: str | None = None  # postgresql+asyncpg://... ; unset: one SQLite file per service
    # PostgreSQL connections per service and process: up to the pool size opened as needed and
    # kept, the overflow more in a burst, each closed as soon as it is given back (a request
    # waits for one past both). Every process of every service counts against the server's
    # max_connections (100 by default). No overflow by default: under a steady load above the
    # pool size, each request past it paid for a new connection and its close (with a pool of
    # 10 and 32 requests at a time, auth's CPU per request doubled; docs/performance.md).
    database_pool_size: int = Field(30, ge=1, le=200)
    database_pool_overflow: int = Field(0, ge=0, le=500)
    redis_url: str | None = None
    amqp_url: str | None = None
    smtp_url: str | None = None  # smtp://user:pass@host:port ; unset: mail lands in data_dir/mail
    # In a cluster each service is its own process; the gateway reaches them here.
    service_urls: dict[str, str] = Field(default_factory=dict)

    # --- security -------------------------------------------------------------------------------
    # Fernet keys (urlsafe base64, 32 bytes), newest first: encrypts fields at rest. Rotating means
    # putting a new key in front; old ones keep decrypting. Unset in embedded mode: generated once
    # into data_dir/secret.keys.
    encryption_keys: list[str] = Field(default_factory=list)
    jwt_issuer: str = "disco"
    jwt_audience: str = "disco-api"
    access_token_ttl_seconds: int = Field(900, ge=30, le=3600)
    refresh_token_ttl_seconds: int = Field(30 * 24 * 3600, ge=300)
    # A session ends this long after its sign-in however often it is refreshed (ASVS 7.3.2).
    session_max_age_seconds: int = Field(90 * 24 * 3600, ge=300)
    signing_key_rotation_days: int = Field(30, ge=1)
    email_token_ttl_seconds: int = Field(24 * 3600, ge=60)
    reset_token_ttl_seconds: int = Field(30 * 60, ge=60)
    oidc_providers: dict[str, OidcProvider] = Field(default_factory=dict)
    # Reverse proxies in front of the gateway (addresses or CIDR networks) whose X-Forwarded-For
    # is believed: the client is the right-most address not in this list. Empty: the peer's own
    # address is the client's, and X-Forwarded-For from anyone is ignored.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Browsers may open the WebSocket only from these origins (non-browser clients send none).
    allowed_origins: list[str] = Field(default_factory=list)

    # --- limits ---------------------------------------------------------------------------------
    rate_limit_anonymous_per_minute: int = Field(60, ge=1)
    rate_limit_user_per_minute: int = Field(1000, ge=1)
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_photo_bytes: int = Field(8 * 1024 * 1024, ge=1024)  # an uploaded photo, before re-encoding
    # Sign-in throttling (auth/throttle.py): delays that grow, never a lock-out. Failed sign-ins
    # allowed before each further attempt must wait: per account from devices it does not know,
    # per address, per account and address together, and per known device (device token).
    login_failures_per_account: int = Field(5, ge=1)
    login_failures_per_ip: int = Field(20, ge=1)
    login_failures_per_account_and_ip: int = Field(3, ge=1)
    login_failures_per_device: int = Field(5, ge=1)
    # The first wait; it doubles with each further failure, up to the longest.
    login_delay_seconds: float = Field(1.0, gt=0)
    login_max_delay_seconds: float = Field(60.0, gt=0)
    # Failures are forgotten this long after the first of them (a success clears its own).
    login_failure_window_seconds: int = Field(15 * 60, ge=1)
    # A device token (what a sign-in hands the device) is good for this long.
    login_device_token_ttl_days: int = Field(180, ge=1)
    # Fresh confirmation links an emergency contact may be mailed, per contact and hour.
    contact_link_resends_per_hour: int = Field(5, ge=1)
    ws_max_frame_bytes: int = Field(16 * 1024, ge=256)
    ws_frames_per_second: float = Field(20.0, gt=0)
    ws_idle_timeout_seconds: float = Field(75.0, gt=0)
    # Sockets one person may hold open on one gateway process; one more closes their oldest.
    ws_max_sockets_per_user: int = Field(10, ge=1)
    # How soon a socket hears that its session ended (logout, password reset, account disabled).
    ws_revocation_check_seconds: float = Field(5.0, gt=0)
    # How soon auth puts back revocation marks a restarted key-value store lost (tokens are
    # refused with a 503 meanwhile: see auth/revocations.py).
    revocation_marks_check_seconds: float = Field(1.0, gt=0)

    # --- discovery (match service) ----------------------------------------------------------
    # A user silent this long drops out of discovery by itself (their app stopped or lost signal).
    presence_ttl_seconds: float = Field(120.0, gt=0)
    # A pair told about each other is not told again until they have been apart this long.
    nearby_cooldown_seconds: float = Field(1800.0, ge=0)
    # Everything other users are shown (who is listed or told, in which order, the distance
    # bucket) is computed between positions displaced by a secret per-user, per-day offset of
    # 2.75 to 3.25 of these cells and snapped to this grid (DESIGN.md section 6).
    location_snap_meters: float = Field(30.0, gt=0, le=200)
    # Faster than this between two fixes is not a person moving: the fix is refused. Timed by
    # the server's clock, never the device's.
    location_max_speed_mps: float = Field(90.0, gt=0)
    # The last accepted fix (its time and shown, displaced cell: never the true position) stays
    # in presence (memory or Redis, never a disk) this long after it, even once the user left
    # discovery, so switching discovery off and on cannot reset the speed check.
    location_fix_memory_seconds: float = Field(3600.0, gt=0)
    # Discovery switched on or off at most this often in a clock hour; 429 with Retry-After past it.
    discovery_switches_per_hour: int = Field(30, ge=1)
    # Fixes less precise than this are acknowledged but not used for matching.
    location_max_accuracy_meters: float = Field(200.0, gt=0)
    location_updates_per_minute: int = Field(120, ge=1)

    # --- safety ---------------------------------------------------------------------------------
    # SMS and push go to HTTP providers (unset: those channels are off and say so in /readyz).
    sms_url: str | None = None
    sms_key: str | None = None
    push_url: str | None = None
    push_key: str | None = None
    checkin_reminder_seconds: float = Field(15 * 60, ge=0)  # before the due time
    checkin_grace_seconds: float = Field(10 * 60, ge=0)  # after it, before contacts are told
    # During an active check-in, an app silent this long escalates early (dead-man's switch).
    checkin_heartbeat_timeout_seconds: float = Field(15 * 60, gt=0)
    live_link_ttl_seconds: int = Field(24 * 3600, ge=60)
    # Notification dispatch: sends in flight per process, and retries. After the last attempt
    # a notification is dead-lettered; emergency and safety ones keep retrying at the cap.
    notify_concurrency: int = Field(16, ge=1, le=256)
    notify_max_attempts: int = Field(8, ge=1)
    notify_retry_base_seconds: float = Field(2.0, gt=0)
    notify_retry_cap_seconds: float = Field(60.0, gt=0)
    notify_poll_seconds: float = Field(1.0, gt=0)
    # A claimed notification is leased to its worker for this long, and the worker renews the
    # lease every third of it while the send is in flight: a worker that died is noticed (and
    # its sends retried by another) within this, while a slow provider is never sent the same
    # message twice by two live workers. A send taking longer than notify_send_timeout_seconds
    # counts as failed and is retried.
    notify_lease_seconds: float = Field(9.0, gt=0)
    notify_send_timeout_seconds: float = Field(60.0, gt=0)
    # Retention (safety/retention.py): how long what safety keeps is kept, and how often the
    # job that deletes the rest runs.
    retention_alert_trail_days: int = Field(30, ge=1)
    retention_alerts_days: int = Field(365, ge=1)
    retention_checkins_days: int = Field(90, ge=1)
    retention_notifications_days: int = Field(90, ge=1)
    retention_every_seconds: float = Field(3600.0, gt=0)

    # --- chat -----------------------------------------------------------------------------------
    # Every message is deleted this long after it is sent (members may choose a shorter timer).
    chat_message_ttl_seconds: int = Field(24 * 3600, ge=60, le=30 * 24 * 3600)
    chat_messages_per_minute: int = Field(120, ge=1)  # per sender, across rooms
    chat_max_ciphertext_bytes: int = Field(64 * 1024, ge=1024)  # decoded
    chat_max_media_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    # An attachment no message names is deleted this long after its upload.
    chat_unsent_media_ttl_seconds: int = Field(3600, ge=60)
    # Expiry: how often the job runs (deleting what expired, dropping past partitions).
    chat_expiry_every_seconds: float = Field(60.0, gt=0)
    # Key bundles one person may fetch of another per hour (each spends a one-time prekey).
    chat_key_fetches_per_hour: int = Field(30, ge=1)
    # Pushes for messages to someone offline: at most one per room in this window.
    chat_push_collapse_seconds: int = Field(120, ge=1)
    # A gateway renews the presence of every user it holds a socket for this often; a presence
    # not renewed for three times this has ended.
    presence_renew_seconds: float = Field(20.0, gt=0)

    # --- machinery ------------------------------------------------------------------------------
    outbox_relay: bool = True  # off only in the crash test, to hold events in the outbox
    log_level: str = "INFO"
    log_json: bool = False

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)  # ValueError names the bad entry
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def embedded(self) -> bool:
        return self.database_url is None and self.redis_url is None and self.amqp_url is None

    @property
    def body_limits(self) -> dict[str, int]:
        """Paths whose bodies may exceed ``max_body_bytes``: the gateway's and their service's."""
        multipart_overhead = 64 * 1024
        return {
            "/v1/users/me/photo": self.max_photo_bytes + multipart_overhead,
            # A segment in braces matches any one segment (here, the room id).
            "/v1/chats/rooms/{room_id}/media": self.chat_max_media_bytes,
        }

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def database_url_for(self, service: str) -> str:
        """Each service owns its tables: in embedded mode, its own SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / f'{service}.sqlite3'}"
