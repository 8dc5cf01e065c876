"""Where a device keeps its end-to-end state (identity key, prekeys, sessions): one JSON
document, saved whole after every change, so a crash leaves either the old state or the new
one and never half of each. It holds private keys, so it never leaves the device: the server
sees public keys only.

``MemoryKeyStore`` is for tests and short-lived tools; ``JsonFileKeyStore`` for everything
else: a file only its owner can read, replaced atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

__all__ = ["JsonFileKeyStore", "KeyStore", "MemoryKeyStore"]


class KeyStore(Protocol):
    def load(self) -> dict[str, Any] | None:
        """The saved document, or None before the first save."""
        ...

    def save(self, document: dict[str, Any]) -> None:
        """Replace the saved document (all of it, atomically)."""
        ...


class MemoryKeyStore:
    def __init__(self) -> None:
        self._saved: str | None = None

    def load(self) -> dict[str, Any] | None:
        # Kept as text: what is loaded is a copy, as from a file, never the live state.
        return None if self._saved is None else dict(json.loads(self._saved))

    def save(self, document: dict[str, Any]) -> None:
        self._saved = json.dumps(document)


class JsonFileKeyStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        return dict(json.loads(text))

    def save(self, document: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkstemp makes the file 0600 from the start: the keys are never readable by others,
        # not even for a moment.
        fd, temporary = tempfile.mkstemp(prefix=".keys-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(document, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)
