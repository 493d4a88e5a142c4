"""Fixtures for the conversation tests: domains and rasa-sdk trackers built by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker

from bot.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]

#: Intents of the full catalog (INTENTS.md), to see how menus grow once they exist.
FULL_CATALOG = (
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help",
    "human_handoff", "list_events", "event_info", "ask_directions", "ask_dress_code",
    "buy_ticket", "ask_price", "payment_methods", "payment_status", "resend_ticket",
    "request_refund", "check_schedule", "check_in_help", "give_feedback", "opt_out",
    "opt_in", "delete_my_data", "change_language", "casting_apply", "casting_confirm",
    "casting_decline", "share_portfolio", "payout_status", "sales_report",
    "attendance_report", "report_issue",
)  # fmt: skip


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """domain.yml as a dict, like the ``domain`` Rasa sends to the action server."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture()
def full_domain(domain: dict[str, Any]) -> dict[str, Any]:
    """The domain once the whole intent catalog exists (Rasa's as_dict intent format)."""
    return {**domain, "intents": [{name: {"use_entities": True}} for name in FULL_CATALOG]}


TrackerFactory = Callable[..., Tracker]


@pytest.fixture()
def make_tracker() -> TrackerFactory:
    """Build a tracker whose latest message is ``text`` classified as ``intent``."""

    def factory(
        intent: str = "greet",
        text: str = "hola",
        *,
        metadata: dict[str, Any] | None = None,
        language: str | None = None,
        history: list[dict[str, Any]] | None = None,
    ) -> Tracker:
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": [],
            "metadata": metadata or {},
        }
        events = [
            *(history or []),
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}},
        ]
        return Tracker(
            sender_id="573001234567",
            slots={"language": language},
            latest_message=latest,
            events=events,
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return factory


# --- application database for actions that record things (issue 3: hand-offs,
# incidents; also consent). Every action test gets a Store on a private migrated SQLite
# file, registered in bot.services, so no test ever opens the developer's var/ database.


@pytest.fixture(scope="session")
def migrated_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite database for the session (tests use distinct wa_ids)."""
    from bot.storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('appdb') / 'app.db'}"
    upgrade(url)
    return url


@pytest.fixture(autouse=True)
async def app_store(migrated_db_url: str) -> AsyncIterator[Store]:
    """The Store actions get from ``bot.services.get_store()`` during this test."""
    from bot import services

    store = Store(migrated_db_url)
    await store.start()
    services.set_store(store)
    try:
        yield store
    finally:
        services.reset()
        await store.close()
