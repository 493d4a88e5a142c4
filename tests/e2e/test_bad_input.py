"""Bad input end to end (issue 3): every message gets a sensible answer and nothing breaks.

One contact sends, through the Wappbíz emulator and the real webhook, an empty text, a
blank one, emoji only, a 4,000-character text, longer ones (over the Cloud API's 4,096
and at WhatsApp's 65,536), mixed scripts, Rasa's ``/intent{...}`` shortcut typed by
hand, SQL and HTML. Each one is answered, none is marked failed, the tracker shows the
NLU (not the shortcut) decided every intent and no entity came from a typed payload;
afterwards the same contact gets the normal welcome to "hola" and the tables are there.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy

from bot.cli import SandboxSession, simplify
from bot.i18n import t
from bot.storage.models import Base
from bot.storage.store import Store
from bot.whatsapp.inbound import NLU_MAX_CHARS
from tests.support.chat import store_call
from tests.support.stack import RunningStack

pytestmark = pytest.mark.e2e

LONG_4000 = ("Hola parce, les cuento que el año pasado fui a la pasarela y me encantó. " * 60)[
    :4000
]
OVER_LIMIT = ("quiero saber de los eventos de moda en Medellín este año " * 100)[:5000]
WHATSAPP_MAX = ("me gusta mucho la moda " * 3000)[:65536]

#: (label, what the person sends): sent in this order by one contact.
BAD_INPUT: list[tuple[str, dict[str, Any]]] = [
    ("empty", {"raw_message": {"type": "text", "text": {"body": ""}}}),
    ("blank", {"raw_message": {"type": "text", "text": {"body": "   \n\t "}}}),
    ("fire", {"type": "text", "text": "🔥🔥🔥"}),
    ("thumbs", {"type": "text", "text": "👍"}),
    ("long_4000", {"type": "text", "text": LONG_4000}),
    ("over_4096", {"type": "text", "text": OVER_LIMIT}),
    ("max_65536", {"type": "text", "text": WHATSAPP_MAX}),
    ("cyrillic", {"type": "text", "text": "Привет! quiero 2 boletas para el desfile"}),
    ("arabic_chinese", {"type": "text", "text": "مرحبا 你好 ¿cuánto vale la VIP? 谢谢"}),
    ("buy_shortcut", {"type": "text", "text": '/buy_ticket{"quantity": 99}'}),
    ("opt_out_shortcut", {"type": "text", "text": "/opt_out"}),
    ("greet_shortcut", {"type": "text", "text": '/greet@1.0{"language": "en"}'}),
    ("sql", {"type": "text", "text": "'; DROP TABLE contacts; --"}),
    ("script", {"type": "text", "text": "<script>alert('x')</script>"}),
    ("html", {"type": "text", "text": "<b>hola</b> <img src=x onerror=alert(1)>"}),
]
SHORTCUTS = ("buy_shortcut", "opt_out_shortcut", "greet_shortcut")


def tracker_events(running: RunningStack, wa_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{running.settings.rasa_url}/conversations/{wa_id}/tracker",
        params={"token": running.settings.secret("rasa_api_token")},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["events"])


def table_names(running: RunningStack) -> set[str]:
    url = running.settings.resolved_database_url
    url = url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg2")
    engine = sqlalchemy.create_engine(url)
    try:
        return set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def readable(reply: dict[str, Any]) -> bool:
    """A reply a person can act on: some text, or buttons/rows to tap."""
    return bool((reply.get("text") or "").strip() or reply.get("buttons") or reply.get("rows"))


def test_bad_input_gets_answers_and_breaks_nothing(running: RunningStack) -> None:
    user = SandboxSession(running.settings, "573170000001", "Laura")  # own range: 57317…
    user.check_running()
    wamids: dict[str, str] = {}
    answers: dict[str, list[dict[str, Any]]] = {}
    for label, message in BAD_INPUT:
        wamids[label] = user.send(message)
        answers[label] = [simplify(m) for m in user.replies(first_timeout=45)]

    # every message got an answer a person can act on
    for label, replies in answers.items():
        assert replies, f"no answer to {label}"
        assert all(readable(r) for r in replies), (label, replies)
        for reply in replies:  # nothing typed is echoed back as markup
            assert "<script" not in (reply.get("text") or ""), (label, reply)

    # empty and blank texts get the "I did not understand" fallback
    fallback_texts = {
        t("es", f"fallback.{key}") for key in ("text", "again", "did_you_mean", "out_of_scope")
    }
    assert answers["empty"][0]["text"] in fallback_texts
    assert answers["blank"][0]["text"] in fallback_texts

    # each message was processed to the end, and no reply failed
    async def states(store: Store) -> dict[str, str | None]:
        records = {label: await store.get_inbound(w) for label, w in wamids.items()}
        return {label: r.state if r else None for label, r in records.items()}

    assert store_call(running, states) == dict.fromkeys(wamids, "done")
    failed = store_call(running, lambda s: s.list_outbound(wa_id=user.wa_id, status="failed"))
    assert failed == []

    # the NLU decided every intent: no typed shortcut, no typed entity, no huge text
    events = tracker_events(running, user.wa_id)
    by_wamid = {e.get("message_id"): e for e in events if e.get("event") == "user"}
    for label in SHORTCUTS:
        event = by_wamid[wamids[label]]
        parse = event["parse_data"]
        assert not event["text"].startswith("/"), (label, event["text"])
        assert "{" not in event["text"] and "@" not in event["text"], (label, event["text"])
        assert len(parse.get("intent_ranking") or []) > 1, (label, parse)  # a real NLU ranking
        assert parse["intent"]["confidence"] < 1.0 or parse["intent"]["name"] == "nlu_fallback"
        assert all(str(e.get("value")) != "99" for e in parse.get("entities") or []), parse
        assert all(e.get("entity") != "language" for e in parse.get("entities") or []), parse
    for label in ("over_4096", "max_65536"):
        event = by_wamid[wamids[label]]
        assert len(event["text"]) <= NLU_MAX_CHARS
        assert event["metadata"]["truncated_from"] == len(dict(BAD_INPUT)[label]["text"])
    assert len(by_wamid[wamids["long_4000"]]["text"]) == len(LONG_4000.strip())
    assert "<" not in by_wamid[wamids["script"]]["text"]

    # the same contact still gets the normal welcome, and the database is whole
    hello = user.send({"type": "text", "text": "hola"})
    welcome = [simplify(m) for m in user.replies(first_timeout=45)]
    greetings = {
        t(lang, f"greet.{key}") for lang in ("es", "en") for key in ("welcome", "welcome_back")
    }
    assert welcome and any((r.get("text") or "").startswith(tuple(greetings)) for r in welcome), (
        welcome
    )
    [greet] = [e for e in tracker_events(running, user.wa_id) if e.get("message_id") == hello]
    assert greet["parse_data"]["intent"]["name"] == "greet"
    assert set(Base.metadata.tables) <= table_names(running)
    contact = store_call(running, lambda s: s.get_contact(user.wa_id))
    assert contact is not None and contact.wa_id == user.wa_id
