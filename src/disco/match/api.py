"""Thin endpoints: resolve dependencies, open the unit of work, call one service method."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["discovery"])
