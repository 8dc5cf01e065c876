"""Disco: opt-in, proximity-based social discovery with safety built in."""

__version__ = "0.1.0"
