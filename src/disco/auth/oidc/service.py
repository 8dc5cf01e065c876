"""Sign-in through an OpenID Connect provider: authorization code flow with PKCE (S256), state
and nonce, the ID token checked against the provider's published keys.

Never commits (the caller's unit of work does); never builds HTTP responses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.errors import AuthlibBaseError
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from disco.auth.accounts.repository import AccountsRepository, UserRow
from disco.auth.accounts.service import AccountsService
from disco.auth.oidc.claims import email_claim, name_claims, verify_id_token
from disco.auth.oidc.repository import OidcRepository
from disco.auth.sessions.service import Issued, MfaChallenge, SessionsService
from disco.config import OidcProvider
from disco.contracts.events.auth import UserEmailVerified
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)

# authlib 1.9 warns at import that it would rather run on httpx2, a fork this project does not
# use; its httpx support works and is tested here, so the warning is only noise in every start-up.
with warnings.catch_warnings():
    import authlib.deprecate  # noqa: F401 - installs an "always" filter; ours must follow it

    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

# authlib's client is built on httpx2 when that is installed and on httpx otherwise; its errors
# come from whichever it picked.
try:
    import httpx2 as oauth_http
except ImportError:
    oauth_http = httpx

__all__ = [
    "BINDING_HEADER",
    "BINDING_PATTERN",
    "Authorization",
    "OidcLogin",
    "binding_cookie_name",
]

log = logging.getLogger(__name__)

# How long a person has at the provider between "authorize" and the callback.
STATE_TTL_SECONDS = 600
METADATA_TTL_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10.0
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")
_BAD_STATE = "The sign-in attempt is unknown, used or expired; please start again."
_REFUSED = "The sign-in provider did not confirm who you are; please start again."
_ELSEWHERE = "This sign-in was started in another browser or app; please start again here."
# Who may finish a sign-in: the browser or app that started it (no login CSRF, RFC 9700
# §4.7). A browser holds the binding in a cookie set by the authorize step; an app that takes
# the provider's answer itself makes its own and sends it as a header, which a link cannot.
BINDING_COOKIE_PREFIX = "disco_oauth_"
BINDING_HEADER = "X-Disco-OAuth-Binding"
BINDING_PATTERN = r"^[A-Za-z0-9_-]{32,128}$"


@dataclass(frozen=True)
class _Pending:
    """What the authorize step leaves for the callback, under the random ``state``."""

    provider: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    binding_hash: str


@dataclass(frozen=True)
class Authorization:
    """Where to send the browser, and the cookie that binds the sign-in to it (None when the
    app brought its own binding)."""

    url: str
    cookie_name: str
    cookie_value: str | None


def binding_cookie_name(state: str) -> str:
    """One cookie per sign-in in flight, so two tabs do not undo each other."""
    return BINDING_COOKIE_PREFIX + _digest(state)[:16]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class OidcLogin:
    def __init__(
        self, ctx: ServiceContext, accounts: AccountsService, sessions: SessionsService
    ) -> None:
        self._settings = ctx.settings
        self._clock = ctx.clock
        self._kv = ctx.kv
        self._accounts = accounts
        self._sessions = sessions
        self.secure_cookies = ctx.settings.base_url.startswith("https://")
        self._metadata: dict[str, tuple[float, dict[str, Any]]] = {}
        self._keys: dict[str, KeySet] = {}

    def callback_url(self, name: str) -> str:
        return f"{self._settings.base_url}/v1/auth/oauth/{name}/callback"

    async def authorization_url(
        self, name: str, redirect_uri: str | None, binding: str | None = None
    ) -> Authorization:
        """Where to send the browser; remembers state, nonce, PKCE verifier and the binding's
        hash for the callback.

        ``redirect_uri`` lets a client (the web app) take the provider's answer itself and
        pass ``code`` and ``state`` on to the callback endpoint; it must be one of ours.
        ``binding`` is an app's own secret for this sign-in; without one, a new one is made
        for the browser's cookie.
        """
        provider = self._provider(name)
        redirect_uri = redirect_uri or self.callback_url(name)
        if not self._ours(redirect_uri):
            raise ValidationFailed(
                "redirectUri must point at this Disco or one of its allowed origins."
            )
        metadata = await self._provider_metadata(name, provider)
        cookie = secrets.token_urlsafe(32)
        pending = _Pending(
            provider=name,
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            redirect_uri=redirect_uri,
            binding_hash=_digest(binding or cookie),
        )
        state = secrets.token_urlsafe(24)
        async with self._client(provider, redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=state,
                code_verifier=pending.code_verifier,
                nonce=pending.nonce,
            )
        await self._kv.set(_state_key(state), json.dumps(asdict(pending)), ttl=STATE_TTL_SECONDS)
        return Authorization(str(url), binding_cookie_name(state), None if binding else cookie)

    async def complete(
        self,
        uow: UnitOfWork,
        name: str,
        *,
        state: str | None,
        code: str | None,
        error: str | None,
        issuer: str | None,
        binding: str | None,
    ) -> Issued | MfaChallenge:
        """Finish a sign-in: the state is spent whatever happens, so a callback works once.

        Everything that talks to the provider happens before the first SQL statement, so no
        database transaction waits on the network. With two-factor on, the answer is the
        challenge a password sign-in would get.
        """
        provider = self._provider(name)
        raw = await self._kv.take(_state_key(state)) if state else None
        pending = _Pending(**json.loads(raw)) if raw else None
        if pending is None or pending.provider != name:
            raise ValidationFailed(_BAD_STATE)
        if binding is None or not hmac.compare_digest(_digest(binding), pending.binding_hash):
            raise ValidationFailed(_ELSEWHERE)
        if error:
            # Only a well-formed OAuth error code is echoed: the rest is the caller's text.
            details = {"providerError": error} if _ERROR_CODE.fullmatch(error) else None
            raise Unauthorized("The sign-in provider refused the sign-in.", details=details)
        if not code:
            raise ValidationFailed("The provider's answer carries no authorization code.")
        metadata = await self._provider_metadata(name, provider)
        # RFC 9207: an answer naming another issuer was meant for another provider.
        if issuer is not None and issuer != metadata["issuer"]:
            raise Unauthorized(_REFUSED)
        claims = await self._verified_claims(name, provider, metadata, pending, code)
        user = await self._account(uow, name, claims)
        return await self._sessions.sign_in_vouched(uow, user, f"oidc:{name}"[:60])

    def provider_names(self) -> list[str]:
        return sorted(self._settings.oidc_providers)

    # --- talking to the provider ----------------------------------------------------------------
    def _provider(self, name: str) -> OidcProvider:
        provider = self._settings.oidc_providers.get(name)
        if provider is None:
            raise NotFound(f"No sign-in provider called {name!r}.")
        return provider

    def _ours(self, uri: str) -> bool:
        parts = urlsplit(uri)
        origin = f"{parts.scheme}://{parts.netloc}"
        allowed = {_origin(self._settings.base_url), *map(_origin, self._settings.allowed_origins)}
        # RFC 6749 §3.1.2: a redirection endpoint has no fragment.
        return parts.scheme in ("http", "https") and not parts.fragment and origin in allowed

    def _client(self, provider: OidcProvider, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            scope=provider.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT_SECONDS,
        )

    async def _provider_metadata(self, name: str, provider: OidcProvider) -> dict[str, Any]:
        cached = self._metadata.get(name)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        issuer = provider.issuer.rstrip("/")
        metadata = await _get_json(f"{issuer}/.well-known/openid-configuration")
        required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not all(isinstance(metadata.get(k), str) for k in required) or (
            metadata["issuer"].rstrip("/") != issuer
        ):
            log.error("OIDC provider %s has unusable metadata", name)
            raise Unavailable("The sign-in provider is misconfigured; try again later.")
        self._metadata[name] = (time.monotonic() + METADATA_TTL_SECONDS, metadata)
        return metadata

    async def _verified_claims(
        self,
        name: str,
        provider: OidcProvider,
        metadata: dict[str, Any],
        pending: _Pending,
        code: str,
    ) -> dict[str, Any]:
        async with self._client(provider, pending.redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
            except oauth_http.TransportError as exc:
                raise Unavailable("The sign-in provider is unreachable; try again.") from exc
            except (AuthlibBaseError, oauth_http.HTTPStatusError, ValueError) as exc:
                log.info("OIDC %s token exchange refused: %s", name, exc)
                raise Unauthorized(_REFUSED) from exc
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise Unauthorized(_REFUSED)
            claims = await self._id_token_claims(metadata, provider, pending, id_token)
            userinfo_endpoint = metadata.get("userinfo_endpoint")
            if isinstance(userinfo_endpoint, str):
                # Many providers keep email and names out of the ID token in the code flow.
                userinfo = await self._userinfo(client, userinfo_endpoint)
                if userinfo.get("sub") == claims["sub"]:
                    claims = {**userinfo, **claims}
        return claims

    async def _id_token_claims(
        self, metadata: dict[str, Any], provider: OidcProvider, pending: _Pending, id_token: str
    ) -> dict[str, Any]:
        jwks_uri = metadata["jwks_uri"]
        expected = {
            "issuer": metadata["issuer"],
            "client_id": provider.client_id,
            "nonce": pending.nonce,
            "now": int(self._clock.timestamp()),
        }
        try:
            try:
                return verify_id_token(id_token, await self._key_set(jwks_uri), **expected)
            except InvalidKeyIdError:
                # The provider rotated its keys since we last looked.
                fresh = await self._key_set(jwks_uri, refresh=True)
                return verify_id_token(id_token, fresh, **expected)
        except (JoseError, ValueError) as exc:
            log.info("OIDC ID token rejected: %s", exc)
            raise Unauthorized(_REFUSED) from exc

    async def _key_set(self, jwks_uri: str, *, refresh: bool = False) -> KeySet:
        keys = self._keys.get(jwks_uri)
        if keys is None or refresh:
            keys = KeySet.import_key_set(await _get_json(jwks_uri))  # type: ignore[arg-type]
            self._keys[jwks_uri] = keys
        return keys

    async def _userinfo(self, client: AsyncOAuth2Client, endpoint: str) -> dict[str, Any]:
        try:
            response = await client.get(endpoint)
            response.raise_for_status()
            body = response.json()
        except oauth_http.TransportError as exc:
            raise Unavailable("The sign-in provider is unreachable; try again.") from exc
        except (AuthlibBaseError, oauth_http.HTTPStatusError, ValueError) as exc:
            raise Unauthorized(_REFUSED) from exc
        return body if isinstance(body, dict) else {}

    # --- whose account --------------------------------------------------------------------------
    async def _account(self, uow: UnitOfWork, name: str, claims: dict[str, Any]) -> UserRow:
        """The linked account; else the account with the email the provider vouches for; else
        a new one."""
        repo, links = AccountsRepository(uow), OidcRepository(uow)
        subject: str = claims["sub"]
        linked = await links.oauth_user(name, subject)
        if linked is not None:
            user = await repo.user_by_id(linked)
            if user is None or user.disabled(self._clock.now()):
                raise Forbidden("This account is disabled.")
            return user
        email = email_claim(claims.get("email"))
        # Some providers send the flag as a string.
        verified = email is not None and claims.get("email_verified") in (True, "true")
        user = await repo.user_by_email(email) if email else None
        if user is not None:
            if not verified:
                raise Conflict(
                    "An account with this email already exists; sign in with its password."
                )
            if user.disabled(self._clock.now()):
                raise Forbidden("This account is disabled.")
            if not user.email_verified:
                await repo.update_user(user.id, email_verified=True)
                await uow.publish(UserEmailVerified(user_id=user.id))
        elif email is None:
            raise Unauthorized("The sign-in provider did not share an email address.")
        else:
            first, last = name_claims(claims, email)
            user = await self._accounts.register(
                uow,
                email=email,
                password_hash=None,
                first_name=first,
                last_name=last,
                email_verified=verified,
            )
        await links.link_oauth(name, subject, user.id, self._clock.now())
        return user


def _state_key(state: str) -> str:
    return f"oidc:state:{state}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("OIDC provider document %s unavailable: %s", url, exc)
        raise Unavailable("The sign-in provider is unavailable; try again shortly.") from exc
    if not isinstance(body, dict):
        raise Unavailable("The sign-in provider is unavailable; try again shortly.")
    return body
