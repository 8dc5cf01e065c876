from disco.platform.migrations import run_env
from disco.users.models import metadata

run_env(metadata)
