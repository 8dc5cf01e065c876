"""Reproducible benchmarks: each measures a ratio against a baseline run beside it."""
