"""The Rasa stores our settings configure, against the real PostgreSQL and Redis.

`make run` writes Rasa's endpoints from Settings (bot.stack.endpoints_config); these
tests build Rasa's own tracker and lock stores from that output and use them over
real connections, so a configuration Rasa cannot use fails here.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import redis
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.settings import Settings
from bot.stack import endpoints_config

PG = "postgresql://postgres@127.0.0.1:5432"


def settings_with(tmp_path: Path, **env: str) -> Settings:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Settings(state_dir=tmp_path)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def roundtrip(store: TrackerStore, sender: str) -> DialogueStateTracker | None:
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(
        UserUttered(
            "hola parce", {"name": "greet", "confidence": 0.99}, message_id="wamid.roundtrip"
        )
    )
    await store.save(tracker)
    return await store.retrieve(sender)


def test_default_tracker_store_is_sqlite_in_the_state_dir(tmp_path: Path) -> None:
    config = endpoints_config(settings_with(tmp_path))
    assert config["lock_store"] == {"type": "in_memory"}
    store = TrackerStore.create(EndpointConfig.from_dict(config["tracker_store"]), Domain.empty())
    assert isinstance(store, SQLTrackerStore)
    loaded = asyncio.run(roundtrip(store, "573001234567"))
    assert loaded is not None and loaded.latest_message.text == "hola parce"
    assert (tmp_path / "rasa_tracker.db").exists()


@pytest.fixture
def pg_database() -> Iterator[str]:
    name = f"fashionistas_rasa_{uuid.uuid4().hex[:10]}"
    yield name
    conn = psycopg2.connect(f"{PG}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.mark.postgres
def test_postgres_tracker_store_by_configuration(tmp_path: Path, pg_database: str) -> None:
    settings = settings_with(tmp_path, TRACKER_STORE_URL=f"{PG}/{pg_database}")
    config = endpoints_config(settings)["tracker_store"]
    assert config["dialect"] == "postgresql" and config["db"] == pg_database
    store = TrackerStore.create(EndpointConfig.from_dict(config), Domain.empty())
    assert isinstance(store, SQLTrackerStore)
    loaded = asyncio.run(roundtrip(store, "573001234568"))
    assert loaded is not None and loaded.latest_message.message_id == "wamid.roundtrip"
    conn = psycopg2.connect(f"{PG}/{pg_database}")
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM events WHERE sender_id = %s", ("573001234568",))
        assert cur.fetchone()[0] >= 1
    conn.close()


@pytest.mark.redis
def test_redis_lock_store_by_configuration(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    config = endpoints_config(settings)["lock_store"]
    store = LockStore.create(EndpointConfig.from_dict(config))
    assert isinstance(store, RedisLockStore)
    conversation = f"57300{uuid.uuid4().int % 10**7:07d}"
    raw = redis.Redis(host="127.0.0.1", port=6379, db=3)

    async def scenario() -> list[str]:
        order: list[str] = []

        async def turn(name: str, hold: float) -> None:
            async with store.lock(conversation, wait_time_in_seconds=0.01):
                order.append(f"{name}-start")
                # the lock lives in Redis while held
                assert raw.exists(f"fashionistas:lock:{conversation}") or raw.keys(
                    f"*{conversation}*"
                )
                await asyncio.sleep(hold)
                order.append(f"{name}-end")

        await asyncio.gather(turn("a", 0.2), turn("b", 0.0))
        return order

    order = asyncio.run(scenario())
    assert order in (
        ["a-start", "a-end", "b-start", "b-end"],
        ["b-start", "b-end", "a-start", "a-end"],
    )
    assert not raw.keys(f"*{conversation}*")
