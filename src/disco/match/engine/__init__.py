"""The proximity engine: pure, in-memory and clock-free, so the service can drive it."""
