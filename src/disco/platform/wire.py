"""The shape of JSON on the wire: camelCase outside, snake_case in Python, and request bodies
that refuse unknown fields and NULs. Plain pydantic, so the shared contracts
(``disco.contracts.api``) use it too without pulling in the web framework."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

__all__ = ["ApiModel", "RequestModel", "not_nullable"]


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False


class RequestModel(ApiModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", str_strip_whitespace=True
    )

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # No text in the API carries a NUL, and PostgreSQL cannot store one: refused here, it
        # is a 422 naming the field rather than a 500 from the database.
        if _holds_nul(value):
            raise ValueError("Text may not contain a NUL (\\u0000) character.")
        return value


def not_nullable(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` for an optional field that may be left out but not sent as null
    (its validator refuses the null): the API document then says what the server accepts, so
    clients and fuzzers do not take ``null`` for a valid value."""
    variants = schema.pop("anyOf", None)
    if variants is not None:
        kept = [v for v in variants if v.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    schema.pop("default", None)
