"""The disco command refuses bad arguments and bad configuration with a clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "disco", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def test_unknown_command_is_a_usage_error() -> None:
    result = run("dance")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_unknown_service_is_a_usage_error() -> None:
    result = run("serve", "nonsense")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_bad_port_is_a_usage_error() -> None:
    result = run("up", "--port", "99999")
    assert result.returncode == 2
    assert "port" in result.stderr


def test_bad_environment_names_the_variable(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DISCO_PORT": "not-a-number", "DISCO_DATA_DIR": str(tmp_path)}
    result = run("migrate", env=env)
    assert result.returncode != 0
    assert "DISCO_PORT" in result.stderr


def test_cluster_without_real_backends_says_what_is_missing(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DISCO_DATA_DIR": str(tmp_path)}
    result = run("cluster", env=env)
    assert result.returncode != 0
    assert "DISCO_DATABASE_URL" in result.stderr


def test_migrate_creates_the_embedded_databases(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DISCO_DATA_DIR": str(tmp_path)}
    result = run("migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "auth.sqlite3").exists()


def test_roles_for_an_unknown_account_fail_with_a_message(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DISCO_DATA_DIR": str(tmp_path)}
    result = run("roles", "grant", "nobody@example.com", "moderator", env=env)
    assert result.returncode == 1
    assert "No account has that email address" in result.stderr


def test_roles_refuse_an_unknown_role(tmp_path: Path) -> None:
    result = run("roles", "grant", "someone@example.com", "admin")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_keys_rotate_signs_with_a_new_key_and_reseals_stored_secrets(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DISCO_DATA_DIR": str(tmp_path), "DISCO_LOG_LEVEL": "WARNING"}
    result = run("keys", "rotate", env=env)
    assert result.returncode == 0, result.stderr
    assert "new signing key in use" in result.stderr
    # One key in the ring, so everything is under the newest already.
    assert "resealed under the newest encryption key: auth 0, users 0, safety 0" in result.stderr
