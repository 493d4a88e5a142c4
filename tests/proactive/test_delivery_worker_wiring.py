"""The action server's outbox delivery worker: built from settings, started, stopped."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.outbox import InProcessTokenBucket, RedisTokenBucket
from bot.proactive.delivery import OutboxDelivery
from bot.settings import Settings
from bot.storage.migrate import upgrade
from bot.storage.store import Store


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        state_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'app.db'}", **overrides
    )


def test_defaults() -> None:
    settings = Settings()
    assert settings.outbox_rate_per_s == 80.0
    assert settings.outbox_batch == 50
    assert settings.outbox_worker is True


def test_settings_from_the_environment(monkeypatch: object) -> None:
    monkeypatch.setenv("OUTBOX_RATE_PER_S", "250")  # type: ignore[attr-defined]
    monkeypatch.setenv("OUTBOX_BATCH", "20")  # type: ignore[attr-defined]
    monkeypatch.setenv("OUTBOX_WORKER", "false")  # type: ignore[attr-defined]
    settings = Settings()
    assert (settings.outbox_rate_per_s, settings.outbox_batch) == (250.0, 20)
    assert settings.outbox_worker is False


async def test_worker_is_built_from_settings_and_stops_cleanly(tmp_path: Path) -> None:
    settings = _settings(tmp_path, outbox_rate_per_s=120.0, outbox_batch=7)
    upgrade(settings.resolved_database_url)
    store = Store(settings.resolved_database_url)
    await store.start()
    delivery = OutboxDelivery(store, settings)
    try:
        assert delivery.client.max_attempts == 1  # the outbox's retry policy is the only one
        assert isinstance(delivery.bucket, InProcessTokenBucket)
        assert delivery.bucket.rate == 120.0
        assert delivery.worker.batch == 7
        assert delivery.worker.bucket_key == f"number:{settings.wappbiz_phone_number_id}"
        await delivery.start()
        assert delivery.running
        await delivery.start()  # idempotent
        await asyncio.sleep(0.05)
        delivery.wake()
        await asyncio.wait_for(delivery.stop(), timeout=5)
        assert not delivery.running
        await delivery.start()  # may run again (tests pause it)
        assert delivery.running
    finally:
        await delivery.aclose()
        await store.close()
    assert not delivery.running


async def test_disabled_worker_does_not_run_and_redis_url_shares_the_bucket(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, outbox_worker=False, redis_url="redis://127.0.0.1:6390/1")
    store = Store(settings.resolved_database_url)
    delivery = OutboxDelivery(store, settings)  # nothing connects before a send
    try:
        assert isinstance(delivery.bucket, RedisTokenBucket)
        assert isinstance(delivery.pacer, RedisTokenBucket)
        await delivery.start()
        assert not delivery.running
        delivery.wake()
    finally:
        await delivery.aclose()
