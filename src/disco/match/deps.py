"""Request dependencies shared by the match service's sub-domains."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from disco.platform.db import Database

__all__ = ["Db"]


def _db(request: Request) -> Database:
    return request.app.state.db


Db = Annotated[Database, Depends(_db)]
