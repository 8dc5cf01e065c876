# The sub-packages keep their SQL beside them but define no tables of their own.
from disco.chat.models import metadata
from disco.platform.migrations import run_env

run_env(metadata)
