"""Property-based run over the whole public API: no generated request may get a 5xx.

Schemathesis reads the gateway's merged ``/openapi.json`` and, for every operation, without a
token and as a signed-up user, runs two of its phases:

- **coverage**: deterministic cases built from the schema itself, one per boundary and per
  keyword: every optional field absent and present, each nullable field as ``null``, lengths
  and numbers at and past their bounds, wrong types, missing required fields, methods the path
  does not have (which must be 405 with ``Allow``). This is the phase that makes
  ``PATCH /v1/users/me {"bio": null}`` on its first pass; random generation seldom does.
- **fuzzing**: Hypothesis-generated cases, valid (positive) and schema-breaking (negative),
  ``EXAMPLES`` of each per operation.

The requests go out from a worker thread: the server under test runs in this test's event loop
and must keep serving meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import unsupported_method

from disco.client import DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.mailbox import Mailbox

# Hypothesis cases per operation, generation mode and caller. Derandomized: a failure found is
# found every run.
EXAMPLES = 20
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [not_a_server_error, unsupported_method]

Headers = dict[str, str] | None


@dataclass
class Run:
    """What one caller's pass over the API did."""

    labels: list[str] = field(default_factory=list)
    cases: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, label: str, phase: str, headers: Headers, exc: BaseException) -> None:
        # Shrinking can leave a long input behind; the start of the report says enough.
        who = "user" if headers else "anonymous"
        report = f"{label} ({phase}, {who}):\n{exc}"
        self.failures.append(report if len(report) < 2000 else report[:2000] + " ...")


def _call(run: Run, case: schemathesis.Case, base_url: str, headers: Headers) -> None:
    run.cases += 1
    case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)


def _coverage(schema: Any, operation: Any, run: Run, base_url: str, headers: Headers) -> None:
    generation = schema.config.generation_for(operation=operation, phase="coverage")
    cases = schema.iter_coverage_cases(
        operation, generation_modes=list(MODES), generation_config=generation
    )
    for case in cases:
        try:
            _call(run, case, base_url, headers)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports in a group
            run.fail(operation.label, "coverage", headers, exc)
            return  # one report per operation and phase is enough to act on


def _fuzzing(
    operation: Any, mode: GenerationMode, run: Run, base_url: str, headers: Headers
) -> Callable[[], None]:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def each(case: schemathesis.Case) -> None:
        _call(run, case, base_url, headers)

    return each


def _fuzz(document: dict[str, Any], base_url: str, caller: Callable[[], Headers]) -> Run:
    """Every operation, both phases: the operations run, the cases sent, what failed."""
    schema = schemathesis.openapi.from_dict(document)
    run = Run()
    for result in schema.get_all_operations():
        operation = result.ok()
        run.labels.append(operation.label)
        # A fresh caller per operation: fuzzing logout must not leave the rest of the run
        # talking with a revoked token.
        headers = caller()
        _coverage(schema, operation, run, base_url, headers)
        for mode in MODES:
            try:
                _fuzzing(operation, mode, run, base_url, headers)()
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid: no parameters, no body
            except (Exception, BaseExceptionGroup) as exc:
                run.fail(operation.label, f"fuzzing, {mode}", headers, exc)
    return run


async def _signed_up_token(url: str) -> str:
    async with DiscoClient(url) as client:
        pair = await client.signup(unique_email("fuzz"), PASSWORD, "Fuzz", "Tester")
        return str(pair["token"])


@pytest.fixture(scope="module")
async def disco(
    backend: str, mailbox: Mailbox, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    """A system of this module's own, not the session's: the fuzz leaves thousands of events
    behind, and the consumers' backlog kept the next module's system (chat's deletion test)
    waiting for over 20 s."""
    data_dir = tmp_path_factory.mktemp(f"fuzz-{backend}")
    async with backend_settings(backend, data_dir, smtp_url=mailbox.url) as settings:
        async with serve(settings) as running:
            yield running


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

    run = await asyncio.to_thread(_fuzz, document, disco.url, headers_for_operation)
    print(f"{caller}: {len(run.labels)} operations, {run.cases} requests")
    assert "POST /v1/auth/signup" in run.labels, run.labels
    assert not run.failures, "\n\n".join(run.failures)
