"""Discovery: the mode, location ingest, the nearby list and who is told about whom."""
