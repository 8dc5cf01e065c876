"""The key-value port: cache, counters for rate limits, short-lived state. Memory or Redis."""

from disco.platform.kv.base import KeyValue

__all__ = ["KeyValue"]
