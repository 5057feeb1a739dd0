"""`traceledger api key create|list|revoke` on a fresh SQLite database."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from trace_api.auth.api_keys import ApiKeyVerifier, parse_api_key
from trace_api.auth.principal import Role
from trace_api.db import create_db_engine
from traceledger_cli.main import app


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _cli(*args: str) -> _Result:
    result = CliRunner().invoke(app, ["api", "key", *args])
    return _Result(result.exit_code, result.stdout, result.stderr)


def test_key_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    created = _cli("create", "--role", "regulator", "--name", "night shift", "--database-url", url)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    parsed = parse_api_key(key)
    assert parsed is not None
    key_id = parsed[0]

    key_file = tmp_path / "ops.key"
    written = _cli("create", "--name", "ops", "--output-file", str(key_file), "--database-url", url)
    assert written.returncode == 0
    file_key = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert file_key.split("_", 2)[2] not in written.stdout + written.stderr
    refused = _cli("create", "--name", "ops", "--output-file", str(key_file), "--database-url", url)
    assert refused.returncode == 1
    assert key_file.read_text().strip() == file_key

    listed = _cli("list", "--database-url", url).stdout.splitlines()
    assert [line.split("\t")[1:] for line in listed] == [
        ["regulator", "-", "active", "night shift"], ["admin", "-", "active", "ops"]]

    engine = create_db_engine(url)
    try:
        principal = ApiKeyVerifier(engine, ttl_s=0).verify(key)
        assert principal is not None and principal.role is Role.REGULATOR
        assert _cli("revoke", key_id, "--database-url", url).returncode == 0
        assert ApiKeyVerifier(engine, ttl_s=0).verify(key) is None
    finally:
        engine.dispose()
    assert _cli("list", "--database-url", url).stdout.splitlines()[0].split("\t")[3] == "revoked"
    assert _cli("revoke", "0123456789abcdef", "--database-url", url).returncode == 1
    assert _cli("create", "--role", "emperor", "--name", "x", "--database-url", url).returncode == 2
    assert _cli("create", "--role", "enterprise", "--name", "x",
                "--database-url", url).returncode == 2
