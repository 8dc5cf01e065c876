"""Typed clients of each service's internal API (contracts + platform only)."""
