"""``python -m bot outbox``: list, redrive and counts on the configured database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.cli import main
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from tests.storage.conftest import sqlite_url

TEXT = {"type": "text", "text": {"body": "hola"}}


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``DATABASE_URL`` pointing at a migrated SQLite file (settings re-read)."""
    url = sqlite_url(tmp_path / "cli.db")
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    settings_module.get_settings.cache_clear()
    yield url
    settings_module.get_settings.cache_clear()


async def _seed(url: str) -> list[int]:
    async with Store(url) as store:
        ids = []
        for n in range(3):
            record, _ = await store.enqueue(
                idempotency_key=f"k:{n}", wa_id=f"57300000000{n}", payload=TEXT, broadcast_id=4
            )
            ids.append(record.id)
        for row in await store.claim("cli-test", limit=2, lease_s=30):
            await store.mark_dead(row.id, "HTTP 503", 131016, worker_id="cli-test")
        return ids


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_list_redrive_and_counts(configured: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = asyncio.run(_seed(configured))

    assert main(["outbox", "counts"]) == 0
    assert _lines(capsys) == [{"queued": 1, "sending": 0, "sent": 0, "dead": 2, "cancelled": 0}]
    assert main(["outbox", "counts", "--broadcast", "5"]) == 0
    assert _lines(capsys)[0]["broadcast_id"] == 5

    assert main(["outbox", "list", "--status", "dead"]) == 0
    dead = _lines(capsys)
    assert sorted(row["id"] for row in dead) == ids[:2]
    assert dead[0]["status"] == "dead" and dead[0]["last_error_code"] == 131016
    assert dead[0]["payload"] == TEXT and dead[0]["updated_at"].endswith("+00:00")

    assert main(["outbox", "redrive", "--id", str(ids[0]), str(ids[2])]) == 0
    assert _lines(capsys) == [{"redriven": 1, "ids": [ids[0], ids[2]]}]
    assert main(["outbox", "redrive", "--all"]) == 0
    assert _lines(capsys) == [{"redriven": 1, "ids": "all"}]
    assert main(["outbox", "list", "--limit", "1"]) == 0
    assert len(_lines(capsys)) == 1
    assert main(["outbox", "counts"]) == 0
    assert _lines(capsys)[0]["queued"] == 3


def test_redrive_needs_ids_or_all(configured: str) -> None:
    with pytest.raises(SystemExit):
        main(["outbox", "redrive"])


def test_an_unmigrated_database_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path / "empty.db"))
    settings_module.get_settings.cache_clear()
    try:
        assert main(["outbox", "counts"]) == 1
    finally:
        settings_module.get_settings.cache_clear()
    assert "python -m bot migrate" in capsys.readouterr().err
