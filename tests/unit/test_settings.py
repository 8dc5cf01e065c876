"""One Settings object, from DISCO_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from disco.config import Settings


def test_embedded_by_default_with_one_sqlite_file_per_service(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.embedded
    assert settings.database_url_for("auth") == f"sqlite+aiosqlite:///{tmp_path / 'auth.sqlite3'}"
    assert settings.database_url_for("users") != settings.database_url_for("auth")


def test_real_mode_shares_one_database(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1/disco"
    settings = Settings(data_dir=tmp_path, database_url=url)
    assert not settings.embedded
    assert settings.database_url_for("auth") == settings.database_url_for("users") == url


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DISCO_PORT", "9123")
    monkeypatch.setenv("DISCO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DISCO_SERVICE_URLS", '{"auth": "http://127.0.0.1:8101"}')
    settings = Settings()
    assert settings.port == 9123
    assert settings.data_dir == tmp_path.resolve()
    assert settings.service_urls == {"auth": "http://127.0.0.1:8101"}
    assert settings.base_url == "http://127.0.0.1:9123"


@pytest.mark.parametrize(
    ("field", "value"),
    [("port", 0), ("port", 70000), ("namespace", "Bad Name!"), ("access_token_ttl_seconds", 1)],
)
def test_nonsense_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value})
