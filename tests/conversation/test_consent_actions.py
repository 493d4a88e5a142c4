"""Consent, privacy and language actions against a real (SQLite) application database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.consent import ActionOptIn, ActionOptOut
from actions.language import ActionChangeLanguage
from actions.privacy import ActionAskErasureConfirmed, ActionDeleteMyData
from actions.smalltalk import ActionGreet
from bot import services
from bot.consent import POLICY_URL, POLICY_VERSION, PRIVACY_EMAIL, notice_hash
from bot.i18n import t
from bot.storage.migrate import upgrade
from bot.storage.store import Store

WA = "573001234567"
#: Monday 7 December 2026, 10:00 in Bogotá (the day before a festivo).
MONDAY = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated SQLite database registered as the action server's store."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    async with Store(url) as started:
        services.set_store(started)
        try:
            yield started
        finally:
            services.reset()


class BrokenStore:
    """A store whose every call fails, like a database that went away."""

    def __getattr__(self, name: str) -> Any:
        async def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("database is down")

        return fail


@pytest.fixture
def broken_store() -> Any:
    services.set_store(BrokenStore())  # type: ignore[arg-type]
    yield
    services.reset()


def tracker(
    intent: str,
    text: str,
    *,
    lang: str = "es",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    active_loop: str | None = None,
    history: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest message came from WhatsApp (wamid and language in metadata)."""
    meta = {"wamid": f"wamid.{abs(hash(text))}", "message_type": "text", "language": lang}
    meta.update(metadata or {})
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": meta,
    }
    events = [
        *(history or []),
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest, "input_channel": "wappbiz"},
    ]
    return Tracker(
        sender_id=WA,
        slots={"language": lang, **(slots or {})},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def run(action: Action, tracker: Tracker, domain: dict | None = None) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain or {})
    return dispatcher.messages, events


def payloads(message: dict) -> list[str]:
    return [b["payload"] for b in message.get("buttons") or []]


# ------------------------------------------------------------------ first contact


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_first_greeting_shows_the_notice_and_asks(store: Store, lang: str) -> None:
    messages, events = await run(ActionGreet(), tracker("greet", "hola", lang=lang))
    welcome, notice = messages
    assert welcome["text"] == t(lang, "greet.welcome") and not welcome["buttons"]
    for needed in (POLICY_URL, PRIVACY_EMAIL, POLICY_VERSION, "Fashionistas", "WhatsApp"):
        assert needed in notice["text"]
    assert payloads(notice) == ["/opt_in", "/opt_out"]
    assert [b["title"] for b in notice["buttons"]] == [
        t(lang, "consent.accept_button"),
        t(lang, "consent.decline_button"),
    ]
    assert SlotSet("consent_asked", True) in events
    assert await store.consent_history(WA) == [], "showing the notice is no decision"


async def test_greeting_after_a_decision_has_no_notice(store: Store) -> None:
    await store.record_consent(
        WA, ["marketing"], granted=False, policy_version=POLICY_VERSION, source="keyword"
    )
    stale = tracker("greet", "hola", slots={"consent_asked": True})
    messages, events = await run(ActionGreet(), stale)
    [message] = messages
    assert message["text"] == t("es", "greet.welcome")
    assert payloads(message) == ["/help", "/human_handoff"]
    assert SlotSet("consent_asked", False) in events


async def test_greeting_without_the_database_still_greets(broken_store: None) -> None:
    messages, events = await run(ActionGreet(), tracker("greet", "hola"))
    [message] = messages
    assert message["text"] == t("es", "greet.welcome")
    assert not [e for e in events if e.get("name") == "consent_asked"]


# ------------------------------------------------------------------ opt-in


async def test_yes_to_the_notice_records_consent_and_shows_the_menu(store: Store) -> None:
    asked = tracker("affirm", "si", slots={"consent_asked": True})
    messages, events = await run(ActionOptIn(), asked)
    [message] = messages
    assert message["text"] == t("es", "consent.accepted")
    assert payloads(message) == ["/help", "/human_handoff"]
    assert SlotSet("consent_asked", False) in events
    rows = await store.consent_history(WA)
    assert [(r.purpose, r.granted) for r in rows] == [("transactional", True), ("marketing", True)]
    row = rows[0]
    assert row.source == "text" and row.channel == "wappbiz"
    assert row.inbound_wamid == asked.latest_message["metadata"]["wamid"]
    assert row.policy_version == POLICY_VERSION
    assert row.policy_hash == notice_hash(
        t(
            "es",
            "consent.notice",
            email=PRIVACY_EMAIL,
            version=POLICY_VERSION,
            policy_url=POLICY_URL,
        )
    )


async def test_the_accept_button_is_logged_as_a_button(store: Store) -> None:
    tap = tracker(
        "opt_in",
        "/opt_in",
        lang="en",
        slots={"consent_asked": True},
        metadata={"message_type": "interactive", "interactive": {"id": "/opt_in"}},
    )
    messages, _ = await run(ActionOptIn(), tap)
    assert messages[0]["text"] == t("en", "consent.accepted")
    assert {r.source for r in await store.consent_history(WA)} == {"button"}


async def test_opt_in_by_sentence_names_what_it_grants(store: Store) -> None:
    asked = tracker("opt_in", "quiero recibir las convocatorias de casting")
    messages, events = await run(ActionOptIn(), asked)
    assert messages[0]["text"] == t(
        "es", "consent.opted_in", purposes=t("es", "consent.purpose.casting")
    )
    assert events == [SlotSet("consent_asked", False)]
    state = await store.consent_state(WA)
    assert {p: r.granted for p, r in state.items()} == {"transactional": True, "casting": True}


# ------------------------------------------------------------------ opt-out


async def test_stop_keyword_revokes_marketing_and_casting(store: Store) -> None:
    stop = tracker("opt_out", "/opt_out", metadata={"consent_source": "keyword"})
    messages, _ = await run(ActionOptOut(), stop)
    [message] = messages
    both = t("es", "consent.purpose.marketing") + " ni " + t("es", "consent.purpose.casting")
    assert message["text"] == t("es", "consent.opted_out", purposes=both)
    assert "boletas" in message["text"], "tickets they asked for still come"
    rows = await store.consent_history(WA)
    assert [(r.purpose, r.granted, r.source) for r in rows] == [
        ("marketing", False, "keyword"),
        ("casting", False, "keyword"),
    ]


async def test_stop_cancels_queued_promotions_but_not_tickets(store: Store) -> None:
    """STOP takes effect before the next message: a promotion queued for Saturday goes."""
    text = {"type": "text", "text": {"body": "x"}}
    await store.enqueue(
        idempotency_key="promo:1", wa_id=WA, payload=text, purpose="marketing", broadcast_id=9
    )
    await store.enqueue(idempotency_key="ticket:1", wa_id=WA, payload=text)
    stop = tracker("opt_out", "/opt_out", metadata={"consent_source": "keyword"})
    await run(ActionOptOut(), stop)
    rows = {r.idempotency_key: r.status for r in await store.list_outbox(wa_id=WA)}
    assert rows == {"promo:1": "cancelled", "ticket:1": "queued"}


async def test_opt_out_by_sentence_in_english_revokes_what_it_names(store: Store) -> None:
    await store.record_consent(
        WA, ["casting"], granted=True, policy_version=POLICY_VERSION, source="text"
    )
    asked = tracker("opt_out", "please stop sending me promos", lang="en")
    messages, _ = await run(ActionOptOut(), asked)
    text = messages[0]["text"]
    assert text == t("en", "consent.opted_out", purposes=t("en", "consent.purpose.marketing"))
    assert "tickets" in text
    state = await store.consent_state(WA)
    assert {p: r.granted for p, r in state.items()} == {"marketing": False, "casting": True}


async def test_no_to_the_notice_records_the_refusal(store: Store) -> None:
    asked = tracker("deny", "no", lang="en", slots={"consent_asked": True})
    messages, events = await run(ActionOptOut(), asked)
    [message] = messages
    assert message["text"] == t("en", "consent.declined")
    assert payloads(message) == ["/help", "/human_handoff"]
    assert SlotSet("consent_asked", False) in events
    state = await store.consent_state(WA)
    assert {p: r.granted for p, r in state.items()} == {"marketing": False, "casting": False}


async def test_stop_in_the_middle_of_the_form_ends_it(store: Store) -> None:
    mid_form = tracker(
        "opt_out",
        "/opt_out",
        metadata={"consent_source": "keyword"},
        active_loop="delete_my_data_form",
        slots={"requested_slot": "erasure_confirmed"},
    )
    messages, events = await run(ActionOptOut(), mid_form)
    assert ActiveLoop(None) in events
    assert SlotSet("requested_slot", None) in events
    assert SlotSet("erasure_confirmed", None) in events
    assert [m["text"] for m in messages] == [
        t(
            "es",
            "consent.opted_out",
            purposes=t("es", "consent.purpose.marketing")
            + " ni "
            + t("es", "consent.purpose.casting"),
        ),
        t("es", "privacy.form_stopped"),
    ]
    assert len(await store.consent_history(WA)) == 2
    assert await store.data_subject_requests_for(WA) == [], "nothing was filed"


async def test_a_failed_opt_out_says_so_and_still_ends_the_form(broken_store: None) -> None:
    mid_form = tracker("opt_out", "STOP", active_loop="delete_my_data_form")
    messages, events = await run(ActionOptOut(), mid_form)
    assert [m["text"] for m in messages] == [t("es", "consent.failed", email=PRIVACY_EMAIL)]
    assert ActiveLoop(None) in events


# ------------------------------------------------------------------ erasure


async def test_the_form_question_offers_yes_and_no(store: Store) -> None:
    messages, _ = await run(ActionAskErasureConfirmed(), tracker("delete_my_data", "borrar"))
    [message] = messages
    assert message["text"] == t("es", "privacy.confirm_question")
    assert payloads(message) == ["/affirm", "/deny"]


@pytest.mark.parametrize(
    ("lang", "due_date"),
    [("es", "miércoles 30 de diciembre de 2026"), ("en", "Wednesday, December 30, 2026")],
)
async def test_a_confirmed_erasure_is_filed_with_number_and_deadline(
    store: Store, lang: str, due_date: str
) -> None:
    action = ActionDeleteMyData()
    action.clock = lambda: MONDAY  # type: ignore[method-assign]
    confirmed = tracker("affirm", "si", lang=lang, slots={"erasure_confirmed": True})
    messages, events = await run(action, confirmed)
    [message] = messages
    assert message["text"] == t(
        lang, "privacy.filed", number="HD-00001", due_date=due_date, email=PRIVACY_EMAIL
    )
    assert SlotSet("erasure_confirmed", None) in events
    [request] = await store.data_subject_requests_for(WA)
    assert request.kind == "erasure" and request.status == "received"
    assert request.received_at == MONDAY
    assert request.due_at == datetime(2026, 12, 31, 4, 59, 59, tzinfo=timezone.utc)
    assert request.inbound_wamid == confirmed.latest_message["metadata"]["wamid"]
    state = await store.consent_state(WA)
    assert {p: r.granted for p, r in state.items()} == {"marketing": False, "casting": False}


async def test_asking_again_while_open_gives_the_same_request(store: Store) -> None:
    action = ActionDeleteMyData()
    action.clock = lambda: MONDAY  # type: ignore[method-assign]
    await run(action, tracker("affirm", "si", slots={"erasure_confirmed": True}))
    messages, _ = await run(action, tracker("affirm", "sí", slots={"erasure_confirmed": True}))
    assert messages[0]["text"] == t(
        "es",
        "privacy.already_open",
        number="HD-00001",
        due_date="miércoles 30 de diciembre de 2026",
    )
    assert len(await store.data_subject_requests_for(WA)) == 1


async def test_a_declined_confirmation_files_nothing(store: Store) -> None:
    messages, events = await run(
        ActionDeleteMyData(), tracker("deny", "no", slots={"erasure_confirmed": False})
    )
    assert messages[0]["text"] == t("es", "privacy.cancelled")
    assert SlotSet("erasure_confirmed", None) in events
    assert await store.data_subject_requests_for(WA) == []
    assert await store.consent_history(WA) == []


async def test_a_request_that_cannot_be_filed_says_how_else(broken_store: None) -> None:
    messages, _ = await run(
        ActionDeleteMyData(), tracker("affirm", "si", slots={"erasure_confirmed": True})
    )
    assert messages[0]["text"] == t("es", "privacy.failed", email=PRIVACY_EMAIL)


# ------------------------------------------------------------------ language


def language_entity(value: str) -> list[dict[str, Any]]:
    return [{"entity": "language", "value": value}]


async def test_switching_to_english_and_back(store: Store) -> None:
    to_en = tracker("change_language", "hablame en ingles", entities=language_entity("en"))
    messages, events = await run(ActionChangeLanguage(), to_en)
    assert messages[0]["text"] == t("en", "language_change.done")
    assert events[-1] == SlotSet("language", "en")
    contact = await store.get_contact(WA)
    assert contact is not None
    assert (contact.language, contact.language_source) == ("en", "explicit")

    # the channel now passes "en" in the metadata; back to Spanish
    to_es = tracker(
        "change_language", "switch to Spanish", lang="en", entities=language_entity("es")
    )
    messages, events = await run(ActionChangeLanguage(), to_es)
    assert messages[0]["text"] == t("es", "language_change.done")
    assert events[-1] == SlotSet("language", "es")
    contact = await store.get_contact(WA)
    assert contact is not None
    assert (contact.language, contact.language_source) == ("es", "explicit")


async def test_an_unsupported_language_is_refused_politely(store: Store) -> None:
    asked = tracker(
        "change_language", "can you write in Portuguese?", lang="en", entities=language_entity("pt")
    )
    messages, events = await run(ActionChangeLanguage(), asked)
    [message] = messages
    assert message["text"] == t("en", "language_change.unsupported")
    assert [json.loads(p.split("change_language", 1)[1]) for p in payloads(message)] == [
        {"language": "es"},
        {"language": "en"},
    ]
    assert [b["title"] for b in message["buttons"]] == ["Español", "English"]
    assert not [e for e in events if e.get("name") == "language"]
    assert await store.get_contact(WA) is None


async def test_without_a_language_it_asks(store: Store) -> None:
    messages, events = await run(ActionChangeLanguage(), tracker("change_language", "idioma"))
    [message] = messages
    assert message["text"] == t("es", "language_change.ask")
    assert payloads(message) == [
        '/change_language{"language":"es"}',
        '/change_language{"language":"en"}',
    ]
    assert events == []
