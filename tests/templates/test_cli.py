"""``python -m bot templates check|sync|status`` with the configured database and Wappbíz."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import get_settings
from bot.storage.migrate import upgrade
from tests.storage.conftest import sqlite_url
from tests.templates.conftest import ACCESS_TOKEN, Emulator, reset_emulator


@pytest.fixture
def configured(
    emulator_server: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Emulator]:
    """Settings that point at the test emulator and a migrated SQLite file."""
    reset_emulator(emulator_server)
    url = sqlite_url(tmp_path / "cli.db")
    upgrade(url)
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("WAPPBIZ_BASE_URL", f"{emulator_server.base_url}/graph")
    monkeypatch.setenv("WAPPBIZ_API_VERSION", emulator_server.config.api_version)
    monkeypatch.setenv("WAPPBIZ_ACCESS_TOKEN", ACCESS_TOKEN)
    monkeypatch.setenv("WAPPBIZ_WABA_ID", emulator_server.config.waba_id)
    monkeypatch.setenv("WAPPBIZ_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    yield emulator_server
    get_settings.cache_clear()


def test_check_needs_no_network(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "check"]) == 0
    out = capsys.readouterr().out
    assert "template library OK: 14 templates in es_CO, en (4 MARKETING, 10 UTILITY)" in out


def test_sync_wait_and_status(configured: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "status"]) == 1  # nothing submitted yet
    assert "never submitted" in capsys.readouterr().out

    assert main(["templates", "sync", "--dry-run"]) == 0
    assert "NOT SUBMITTED (28)" in capsys.readouterr().out

    assert main(["templates", "sync", "--wait", "10", "--poll", "0.05"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("28 library templates (synced): 28 created\nAPPROVED (28)\n")
    assert "  payment_receipt [es_CO] - created" in out

    assert main(["templates", "sync", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 28
    assert {(line["action"], line["status"]) for line in lines} == {("unchanged", "APPROVED")}

    assert main(["templates", "status"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "NAME",
        "LANGUAGE",
        "CATEGORY",
        "STATUS",
        "REJECTED_REASON",
        "WAPPBIZ_ID",
        "NOTE",
    ]
    assert len(table) == 29
    assert all(" APPROVED " in row for row in table[1:])


def test_sync_reports_an_unreachable_wappbiz(
    configured: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAPPBIZ_BASE_URL", "http://127.0.0.1:9/graph")
    get_settings.cache_clear()
    assert main(["templates", "sync"]) == 3
    assert "Wappbíz does not answer" in capsys.readouterr().err
