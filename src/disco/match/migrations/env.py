from disco.match.models import metadata
from disco.platform.migrations import run_env

run_env(metadata)
