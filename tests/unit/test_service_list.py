"""The list of services is written once (``disco.config.SERVICES``); every other place that
names them all must agree, or a new service would run in one mode and be missing in another."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import yaml

from disco.config import SERVICES
from disco.runtime.system import MODULES

ROOT = Path(__file__).parents[2]
BACK_SERVICES = [s for s in SERVICES if s != "gateway"]


def test_the_runtime_builds_every_service() -> None:
    assert tuple(MODULES) == SERVICES


def test_the_import_rules_name_every_service() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    by_name = {c["name"]: c for c in contracts}
    layer = by_name["Layers: runtime > services > clients > contracts > platform > config"]
    services_layer = next(layer_ for layer_ in layer["layers"] if "disco.gateway" in layer_)
    assert {m.strip() for m in services_layer.split("|")} == {f"disco.{s}" for s in SERVICES}
    independent = by_name["Services are independent of one another"]["modules"]
    assert set(independent) == {f"disco.{s}" for s in SERVICES}
    sdk = by_name["The SDK speaks only the public API"]["forbidden_modules"]
    assert {f"disco.{s}" for s in SERVICES} <= set(sdk)


def test_kubernetes_runs_and_finds_every_service() -> None:
    folder = ROOT / "deploy" / "kubernetes"
    config = yaml.safe_load((folder / "configmap.yaml").read_text())
    urls = json.loads(config["data"]["DISCO_SERVICE_URLS"])
    assert set(urls) == set(BACK_SERVICES)
    resources = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    for service in SERVICES:
        assert f"{service}.yaml" in resources
        manifests = list(yaml.safe_load_all((folder / f"{service}.yaml").read_text()))
        (deployment,) = [m for m in manifests if m["kind"] == "Deployment"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        if service != "gateway":
            assert container["args"] == ["serve", service]
