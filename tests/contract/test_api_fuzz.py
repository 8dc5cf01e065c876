"""Property-based run over the whole public API: no generated request may get a 5xx.

Schemathesis reads the gateway's merged ``/openapi.json`` and generates requests for every
operation, valid ones (positive) and ones that break the schema (negative), without a token
and as a signed-up user. The requests go out from a worker thread: the server under test runs
in this test's event loop and must keep serving meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from disco.client import DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running

# Per operation, generation mode and caller. Derandomized: a failure found is found every run.
EXAMPLES = 10

Headers = dict[str, str] | None


def _no_server_error(
    operation: Any, mode: GenerationMode, base_url: str, headers: Headers
) -> Callable[[], None]:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=base_url, headers=headers, checks=[not_a_server_error], timeout=30
        )

    return run


def _fuzz(
    document: dict[str, Any], base_url: str, caller: Callable[[], Headers]
) -> tuple[list[str], list[str]]:
    """Every operation in both modes: the operations run, and what failed (one entry each)."""
    schema = schemathesis.openapi.from_dict(document)
    labels: list[str] = []
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        # A fresh caller per operation: fuzzing logout must not leave the rest of the run
        # talking with a revoked token.
        headers = caller()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _no_server_error(operation, mode, base_url, headers)()
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid: no parameters, no body
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports in a group
                # Shrinking can leave a long input behind; the start of the report says enough.
                report = f"{operation.label} ({mode}, {'user' if headers else 'anonymous'}):\n{exc}"
                failures.append(report if len(report) < 2000 else report[:2000] + " ...")
    return labels, failures


async def _signed_up_token(url: str) -> str:
    async with DiscoClient(url) as client:
        pair = await client.signup(unique_email("fuzz"), PASSWORD, "Fuzz", "Tester")
        return str(pair["token"])


@pytest.mark.parametrize("caller", ["anonymous", "user"])
async def test_no_generated_request_gets_a_server_error(disco: Running, caller: str) -> None:
    async with DiscoClient(disco.url) as client:
        response = await client.request("GET", "/openapi.json")
        assert response.status_code == 200
        document = response.json()
    loop = asyncio.get_running_loop()

    def headers_for_operation() -> Headers:
        if caller == "anonymous":
            return None
        signed_up = asyncio.run_coroutine_threadsafe(_signed_up_token(disco.url), loop)
        return {"Authorization": f"Bearer {signed_up.result(timeout=60)}"}

    labels, failures = await asyncio.to_thread(_fuzz, document, disco.url, headers_for_operation)
    assert "POST /v1/auth/signup" in labels, labels
    assert not failures, "\n\n".join(failures)
