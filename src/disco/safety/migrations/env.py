from disco.platform.migrations import run_env
from disco.safety.models import metadata

run_env(metadata)
