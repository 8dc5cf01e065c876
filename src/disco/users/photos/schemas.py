"""Response models of photos (camelCase on the wire)."""

from __future__ import annotations

from disco.platform.wire import ApiModel


class Photo(ApiModel):
    photo_url: str
