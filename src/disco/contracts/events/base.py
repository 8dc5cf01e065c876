from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Event", "event_class", "parse_event"]

_REGISTRY: dict[tuple[str, int], type[Event]] = {}


class Event(BaseModel):
    """``<service>.<entity>.<past-tense verb>``, version 1 until a field must change meaning.

    Add fields (with defaults), never rename or remove them: consumers of older versions read on.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            _REGISTRY[(cls.event_type, cls.event_version)] = cls


def event_class(event_type: str, version: int = 1) -> type[Event]:
    return _REGISTRY[(event_type, version)]


def parse_event(event_type: str, version: int, payload: dict[str, Any]) -> Event:
    return event_class(event_type, version).model_validate(payload)
