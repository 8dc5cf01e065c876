"""Events the auth service publishes."""

from __future__ import annotations

from datetime import datetime

from disco.contracts.events.base import Event

__all__ = [
    "UserDisabled",
    "UserEmailVerified",
    "UserLoggedIn",
    "UserRegistered",
]


class UserRegistered(Event):
    event_type = "auth.user.registered"

    user_id: str
    email: str
    first_name: str
    last_name: str
    registered_at: datetime


class UserEmailVerified(Event):
    event_type = "auth.user.email_verified"

    user_id: str


class UserLoggedIn(Event):
    event_type = "auth.user.logged_in"

    user_id: str
    session_id: str
    method: str  # password | oidc:<provider> | refresh is not a login
    at: datetime


class UserDisabled(Event):
    event_type = "auth.user.disabled"

    user_id: str
    reason: str
