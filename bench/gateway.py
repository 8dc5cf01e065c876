"""The gateway's cost: GET /v1/auth/me through the gateway against the auth app alone.

    .venv/bin/python -m bench.gateway [--duration 10] [--concurrency 32] [--modes up,cluster]

Each mode runs a pair of targets side by side and loads them in turn, round after round
(A B, B A, A B ... so drift in the shared machine's load hits both alike):

  up       baseline: ``disco serve auth`` (the auth app alone, embedded backends)
           gateway:  ``disco up`` (gateway + auth in one process, the hop is in-process ASGI)
  cluster  ``disco cluster --gateways 1`` on a fresh PostgreSQL database, Redis and RabbitMQ
           baseline: its auth process, called directly
           gateway:  its gateway process, which calls that auth process over HTTP

The gateway's cost is reported per round as paired ratios (gateway / baseline) of req/s and of
the server CPU time per request (every process of the target, all threads: the measure least
moved by other work on a shared machine), and as the latency it adds (gateway p50 - baseline
p50); then as the median over rounds.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/gateway.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (
    AMQP_URL,
    REDIS_URL,
    Disco,
    broker_namespace,
    disco_env,
    free_port,
    fresh_database,
    machine,
    median,
    scratch_dir,
    sign_up,
    wait_answering,
    write_json,
    wrk,
)
from disco.config import SERVICES

PATH = "/v1/auth/me"
MODES = ("up", "cluster")
# disco cluster serves its gateway at DISCO_PORT and the other services, in order, from
# DISCO_PORT + 100 on.
CLUSTER_SERVICES = [name for name in SERVICES if name != "gateway"]
CLUSTER_OFFSETS = range(100, 100 + len(CLUSTER_SERVICES))
AUTH_OFFSET = CLUSTER_OFFSETS[CLUSTER_SERVICES.index("auth")]


@dataclass(frozen=True)
class Target:
    url: str
    token: str
    server: Disco  # whose CPU time the requests cost


@contextmanager
def up_targets(scratch: Path) -> Iterator[dict[str, Target]]:
    """The auth app alone and ``disco up``, both embedded."""
    with ExitStack() as stack:
        targets = {}
        for name, args in (("baseline", ["serve", "auth"]), ("gateway", ["up"])):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = disco_env(scratch / name)
            disco = stack.enter_context(
                Disco([*args, "--port", str(port)], env, scratch / f"{name}.log")
            )
            disco.wait_ready(url)
            targets[name] = Target(url, sign_up(url)[1], disco)
        yield targets


@contextmanager
def cluster_targets(scratch: Path, amqp_url: str = AMQP_URL) -> Iterator[dict[str, Target]]:
    """A cluster's auth process and its gateway, on real backends. Both are charged the
    whole cluster's CPU time: the gateway idles while its auth process is called directly."""
    namespace = f"bench{uuid.uuid4().hex[:10]}"
    with fresh_database() as database_url, broker_namespace(namespace, amqp_url):
        port = free_port(also_free=CLUSTER_OFFSETS)
        env = disco_env(
            scratch / "cluster",
            DISCO_PORT=str(port),
            DISCO_DATABASE_URL=database_url,
            DISCO_REDIS_URL=REDIS_URL,
            DISCO_AMQP_URL=amqp_url,
            DISCO_NAMESPACE=namespace,
        )
        gateway_url = f"http://127.0.0.1:{port}"
        auth_url = f"http://127.0.0.1:{port + AUTH_OFFSET}"
        with Disco(["cluster", "--gateways", "1"], env, scratch / "cluster.log") as disco:
            disco.wait_ready(auth_url)
            disco.wait_ready(gateway_url)  # its /readyz also asks the auth process
            token = sign_up(gateway_url)[1]
            yield {
                "baseline": Target(auth_url, token, disco),
                "gateway": Target(gateway_url, token, disco),
            }


def measure(target: Target, *, duration: float, warmup: float, concurrency: int) -> dict[str, Any]:
    options: dict[str, Any] = {
        "connections": concurrency,
        "headers": [f"Authorization: Bearer {target.token}"],
    }
    health = target.url + "/healthz"
    wait_answering(health)
    wrk(target.url + PATH, seconds=warmup, **options)
    wait_answering(health)
    cpu_before = target.server.cpu_seconds()
    result = wrk(target.url + PATH, seconds=duration, **options)
    wait_answering(health)  # the requests wrk dropped when it stopped were this run's work too
    cpu = target.server.cpu_seconds() - cpu_before
    return {**result.as_dict(), "cpu_ms_per_request": round(cpu * 1000 / result.requests, 3)}


def run_mode(mode: str, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    targets_of = (
        up_targets(scratch / mode)
        if mode == "up"
        else cluster_targets(scratch / mode, args.amqp_url)
    )
    rounds: list[dict[str, Any]] = []
    with targets_of as targets:
        for number in range(args.rounds):
            order = ["baseline", "gateway"] if number % 2 == 0 else ["gateway", "baseline"]
            results = {
                name: measure(
                    targets[name],
                    duration=args.duration,
                    warmup=args.warmup,
                    concurrency=args.concurrency,
                )
                for name in order
            }
            base, gate = results["baseline"], results["gateway"]
            rounds.append(
                {
                    "baseline": base,
                    "gateway": gate,
                    "rps_ratio": gate["rps"] / base["rps"],
                    "cpu_ratio": gate["cpu_ms_per_request"] / base["cpu_ms_per_request"],
                    "added_p50_ms": gate["p50_ms"] - base["p50_ms"],
                    "added_p99_ms": gate["p99_ms"] - base["p99_ms"],
                }
            )
            print(
                f"{mode} round {number + 1}/{args.rounds}: "
                + " | ".join(
                    f"{name} {r['rps']:.0f} req/s p50 {r['p50_ms']:.1f} ms "
                    f"p99 {r['p99_ms']:.1f} ms cpu {r['cpu_ms_per_request']:.2f} ms/req"
                    for name, r in (("baseline", base), ("gateway", gate))
                ),
                file=sys.stderr,
                flush=True,
            )
    summary = {
        target: {
            key: round(median([r[target][key] for r in rounds]), 2)
            for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")
        }
        for target in ("baseline", "gateway")
    }
    summary["cost"] = {
        key: round(median([r[key] for r in rounds]), 3)
        for key in ("rps_ratio", "cpu_ratio", "added_p50_ms", "added_p99_ms")
    }
    return {"rounds": rounds, "median": summary}


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| mode | target | req/s | p50 ms | p99 ms | server CPU ms/req |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for mode, result in results.items():
        m = result["median"]
        for target in ("baseline", "gateway"):
            t = m[target]
            lines.append(
                f"| {mode} | {target} | {t['rps']:.0f} | {t['p50_ms']:.1f} | {t['p99_ms']:.1f} "
                f"| {t['cpu_ms_per_request']:.2f} |"
            )
        c = m["cost"]
        lines.append(
            f"| {mode} | **gateway / baseline** | x{c['rps_ratio']:.2f} | "
            f"{c['added_p50_ms']:+.1f} | {c['added_p99_ms']:+.1f} | x{c['cpu_ratio']:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench.gateway", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each")
    parser.add_argument("--concurrency", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--rounds", type=int, default=3, help="runs per target; medians reported")
    parser.add_argument(
        "--modes",
        type=lambda text: [m for m in text.split(",") if m],
        default=list(MODES),
        help="comma-separated: up,cluster (cluster needs PostgreSQL, Redis, RabbitMQ)",
    )
    parser.add_argument(
        "--amqp-url", default=AMQP_URL, help=f"the cluster's RabbitMQ (default {AMQP_URL})"
    )
    parser.add_argument("--json-out", type=Path, help="write every round's figures here")
    args = parser.parse_args(argv)
    unknown = set(args.modes) - set(MODES)
    if unknown or not args.modes:
        parser.error(f"--modes takes up and/or cluster, not {','.join(sorted(unknown)) or '-'}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    document: dict[str, Any] = {
        "benchmark": f"GET {PATH}, gateway against the auth app alone",
        "command": " ".join(["python -m bench.gateway", *sys.argv[1:]]),
        "machine": machine(),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "load_generator": "wrk, 1 thread, keep-alive",
        },
        "modes": {},
    }
    with scratch_dir("disco-bench-") as scratch:
        for mode in args.modes:
            document["modes"][mode] = run_mode(mode, args, scratch)
    write_json(args.json_out, document)
    print(json.dumps(document["machine"]))
    print(table(document["modes"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
