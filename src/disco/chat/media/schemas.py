"""Wire models of attachments."""

from __future__ import annotations

from datetime import datetime

from disco.platform.wire import ApiModel

__all__ = ["Media"]


class Media(ApiModel):
    id: str
    size: int
    content_type: str
    expires_at: datetime  # an hour after upload until a message names it; then the message's
