"""Moderation and roles: disabling an account (a ban, a suspension, a deletion), roles."""
