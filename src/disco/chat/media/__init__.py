"""Attachments: opaque bytes streamed into the blob store, for the room's members only."""
