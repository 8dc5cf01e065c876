"""Login throughput against ``disco up``, beside the raw cost of the password hash it must pay.

    .venv/bin/python -m bench.login [--duration 10] [--concurrency CORES] [--rounds 3]

Every login verifies an argon2id hash (parameters pinned in disco.auth.passwords), so a
machine with C cores cannot log in more than C / (verify time) users a second. Each round
first measures that baseline in this process with the service's own ``Passwords`` (one verify
at a time, then CORES at once, idle server), then loads POST /v1/auth/login through the
gateway with CORES keep-alive connections. Reported: logins/s, p50/p99, server CPU per login,
and logins/s as a fraction of the raw parallel verify rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/login.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (
    PASSWORD,
    Disco,
    disco_env,
    free_port,
    machine,
    median,
    scratch_dir,
    sign_up,
    wait_answering,
    write_json,
    wrk,
)
from disco.auth.passwords import ARGON2_PARAMETERS, Passwords

PATH = "/v1/auth/login"


async def raw_verify(
    passwords: Passwords, password_hash: str, *, workers: int, seconds: float
) -> tuple[float, float, float]:
    """Median ms of one verify alone, its CPU ms, and verifies/s with ``workers`` at once."""
    alone = []
    cpu_before = time.process_time()
    for _ in range(10):
        started = time.perf_counter()
        assert await passwords.verify(password_hash, PASSWORD)
        alone.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_before) * 1000 / len(alone)

    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            assert await passwords.verify(password_hash, PASSWORD)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return median(alone), cpu_ms, done / (time.perf_counter() - started)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="bench.login", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before it")
    parser.add_argument(
        "--concurrency", type=int, default=cores, help=f"connections (default: cores, {cores})"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs; medians reported")
    parser.add_argument("--json-out", type=Path, help="write every round's figures here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    document: dict[str, Any] = {
        "benchmark": f"POST {PATH} through disco up (embedded), against raw argon2id verify",
        "command": " ".join(["python -m bench.login", *sys.argv[1:]]),
        "argon2": ARGON2_PARAMETERS,
        "machine": machine(),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "load_generator": "wrk, 1 thread, keep-alive",
        },
        "rounds": [],
    }
    passwords = Passwords()
    password_hash = asyncio.run(passwords.hash(PASSWORD))
    with scratch_dir("disco-bench-login-") as scratch:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with Disco(["up", "--port", str(port)], disco_env(scratch), scratch / "up.log") as disco:
            disco.wait_ready(url)
            email, _ = sign_up(url)
            body = json.dumps({"email": email, "password": PASSWORD})
            options: dict[str, Any] = {"connections": args.concurrency, "method": "POST"}
            for number in range(args.rounds):
                verify_ms, verify_cpu_ms, raw_rate = asyncio.run(
                    raw_verify(
                        passwords, password_hash, workers=args.concurrency, seconds=args.duration
                    )
                )
                wait_answering(url + "/healthz")
                wrk(url + PATH, seconds=args.warmup, body=body, **options)
                wait_answering(url + "/healthz")
                cpu_before = disco.cpu_seconds()
                result = wrk(url + PATH, seconds=args.duration, body=body, **options)
                wait_answering(url + "/healthz")
                cpu = disco.cpu_seconds() - cpu_before
                measured = {
                    **result.as_dict(),
                    "cpu_ms_per_request": round(cpu * 1000 / result.requests, 2),
                    "raw_verify_ms": round(verify_ms, 2),
                    "raw_verify_cpu_ms": round(verify_cpu_ms, 2),
                    "raw_verifies_per_s": round(raw_rate, 1),
                    "ceiling_per_s": round(args.concurrency * 1000 / verify_ms, 1),
                    "fraction_of_raw": round(result.rps / raw_rate, 3),
                }
                document["rounds"].append(measured)
                print(
                    f"login round {number + 1}/{args.rounds}: {result.rps:.1f} logins/s "
                    f"p50 {result.p50_ms:.0f} ms p99 {result.p99_ms:.0f} ms "
                    f"cpu {measured['cpu_ms_per_request']:.1f} ms/login | raw verify "
                    f"{verify_ms:.1f} ms alone (cpu {verify_cpu_ms:.1f} ms), "
                    f"{raw_rate:.1f}/s x{args.concurrency} "
                    f"(ceiling {measured['ceiling_per_s']:.1f}/s)",
                    file=sys.stderr,
                    flush=True,
                )
    keys = [
        "rps",
        "p50_ms",
        "p99_ms",
        "cpu_ms_per_request",
        "raw_verify_ms",
        "raw_verify_cpu_ms",
        "raw_verifies_per_s",
        "ceiling_per_s",
        "fraction_of_raw",
    ]
    document["median"] = {k: round(median([r[k] for r in document["rounds"]]), 3) for k in keys}
    write_json(args.json_out, document)
    m = document["median"]
    print(json.dumps(document["machine"]))
    print(f"argon2: {ARGON2_PARAMETERS}")
    print(
        "| logins/s | p50 ms | p99 ms | server CPU ms/login | raw verify ms alone (CPU ms) "
        f"| raw verifies/s (x{args.concurrency}) | logins / raw |\n"
        "|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {m['rps']:.1f} | {m['p50_ms']:.0f} | {m['p99_ms']:.0f} | "
        f"{m['cpu_ms_per_request']:.1f} | {m['raw_verify_ms']:.1f} "
        f"({m['raw_verify_cpu_ms']:.1f}) | {m['raw_verifies_per_s']:.1f} | "
        f"{m['fraction_of_raw']:.2f} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
