"""A real OpenID provider (panva/node-oidc-provider, ``tests/support/oidc``) in a subprocess, and
a scripted person who signs in there through its HTML forms.

``scripts/bootstrap --full`` installs the provider's packages; without Node or them, the tests
that use it fail with a message saying so (they never skip).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx

PROVIDER_DIR = Path(__file__).parent / "oidc"
START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class LocalProvider:
    issuer: str
    client_id: str
    client_secret: str


@contextlib.asynccontextmanager
async def local_oidc_provider(
    port: int,
    *,
    client_id: str,
    client_secret: str,
    redirect_uris: Sequence[str],
    log_file: Path,
) -> AsyncIterator[LocalProvider]:
    """``node provider.mjs`` on ``port``, until its discovery document answers; stopped after."""
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("the test OIDC provider is not installed: run scripts/bootstrap --full")
    issuer = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": client_secret,
        "OIDC_REDIRECT_URIS": " ".join(redirect_uris),
    }
    with log_file.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            node, "provider.mjs", cwd=PROVIDER_DIR, env=env, stdout=log, stderr=log
        )
        try:
            await _wait_for_discovery(issuer, process, log_file)
            yield LocalProvider(issuer, client_id, client_secret)
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _wait_for_discovery(
    issuer: str, process: asyncio.subprocess.Process, log_file: Path
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT_SECONDS
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"the OIDC provider exited:\n{log_file.read_text()}")
            try:
                response = await http.get(f"{issuer}/.well-known/openid-configuration")
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"the OIDC provider did not start:\n{log_file.read_text()}")
            await asyncio.sleep(0.1)


# --- a person at the provider's sign-in pages -----------------------------------------------------
@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", "")))
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1].fields[values["name"]] = values.get("value", "")


def forms_in(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


async def sign_in_at_provider(
    browser: httpx.AsyncClient,
    url: str,
    *,
    login: str,
    stop_at: str,
    abort: bool = False,
) -> str:
    """Follow ``url`` like a browser, fill in the login and consent forms (or press "cancel"
    when ``abort``), and return the first URL that starts with ``stop_at`` (the callback)."""
    response = await browser.get(url)
    for _ in range(20):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(stop_at):
                return location
            response = await browser.get(location)
            continue
        assert response.status_code == 200, f"{response.status_code} at {response.url}"
        if abort:
            # The dev interaction pages' "cancel" link: /interaction/<uid>/abort.
            response = await browser.get(f"{str(response.url).rstrip('/')}/abort")
            continue
        forms = forms_in(response.text)
        assert forms, f"no form at {response.url}:\n{response.text[:2000]}"
        form = forms[0]
        if form.fields.get("prompt") == "login":
            form.fields.update(login=login, password="any password will do")
        response = await browser.post(urljoin(str(response.url), form.action), data=form.fields)
    raise AssertionError("the provider never sent the browser back")
