"""What the sign-in with an OpenID provider answers besides the token pair (camelCase on the
wire)."""

from __future__ import annotations

from disco.platform.wire import ApiModel

__all__ = ["OAuthProviders"]


class OAuthProviders(ApiModel):
    """The providers a person may sign in with, for a client to show one button each."""

    providers: list[str]
