"""One OpenAPI document for the whole public API, merged from each service's own."""

from __future__ import annotations

from typing import Any

__all__ = ["merge_openapi"]


def merge_openapi(
    documents: dict[str, dict[str, Any]], *, title: str, version: str
) -> dict[str, Any]:
    """One OpenAPI document for the whole API from each service's own.

    Schema names are prefixed with their service (``auth_TokenPair``) so two services may each
    have a ``Page`` without one hiding the other.
    """
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "The Disco public API, served by the gateway.",
        },
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
    for service, doc in sorted(documents.items()):
        prefix = f"#/components/schemas/{service}_"
        renamed = _rewrite_refs(doc, "#/components/schemas/", prefix)
        for name, schema in renamed.get("components", {}).get("schemas", {}).items():
            merged["components"]["schemas"][f"{service}_{name}"] = schema
        for path, item in renamed.get("paths", {}).items():
            if path.startswith("/v1/"):
                merged["paths"][path] = item
    return merged


def _rewrite_refs(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                v.replace(old, new, 1)
                if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v, old, new)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v, old, new) for v in node]
    return node
