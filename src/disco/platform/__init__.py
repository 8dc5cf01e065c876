"""Domain-free machinery. Imports nothing from disco but ``disco.config``."""
