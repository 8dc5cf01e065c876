from disco.platform.migrations import run_env
from disco.safety.models import metadata
from disco.safety.notify import models as _notify_tables  # noqa: F401  (registers them)

run_env(metadata)
