"""Connections and matches: interest between people who met, and the matches it makes."""
