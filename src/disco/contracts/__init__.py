"""The shared vocabulary between services: pydantic models only."""
