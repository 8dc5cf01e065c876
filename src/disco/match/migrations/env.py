# The sub-packages define their tables on the same metadata: imported so autogenerate sees them.
import disco.match.connections.models
import disco.match.local_events.models  # noqa: F401
from disco.match.models import metadata
from disco.platform.migrations import run_env

run_env(metadata)
