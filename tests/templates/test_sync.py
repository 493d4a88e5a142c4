"""``sync_templates`` against the Wappbíz emulator over real HTTP, with a real database."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from bot.clients.wappbiz import WappbizClient
from bot.clients.wappbiz_templates import RemoteTemplate, WappbizTemplatesClient
from bot.storage.store import Store
from bot.templates import (
    Library,
    LibraryError,
    TemplateDef,
    TemplateNotApproved,
    Variable,
    apply_status_update,
    approved,
    build_template,
    default_library,
    refresh_statuses,
    require_approved,
    sync_templates,
    validate_library,
    wait_for_review,
)
from tests.templates.conftest import ACCESS_TOKEN, Emulator

LIBRARY = default_library()
SEEDS = 2  # hello_world and bienvenida, which every emulator WABA starts with


def changed(library: Library, name: str, language: str, **changes: Any) -> Library:
    """A copy of ``library`` with one template changed."""
    templates = dict(library.templates)
    key = (name, language)
    templates[key] = dataclasses.replace(templates[key], **changes)
    return Library(templates)


async def review(store: Store, client: WappbizTemplatesClient, library: Library = LIBRARY) -> Any:
    return await wait_for_review(store, client, library, timeout_s=10, poll_s=0.05)


async def test_sync_submits_every_template_then_records_the_review(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    report = await sync_templates(sqlite_store, client, LIBRARY)
    assert len(report.entries) == len(LIBRARY) == 28
    assert {e.action for e in report.entries} == {"created"}
    assert {e.status for e in report.entries} == {"PENDING"}
    assert report.ok and len(report.submitted) == 28

    held = await emulator.templates()
    assert len(held) == 28 + SEEDS
    by_key = {(t["name"], t["language"]): t for t in held}
    for template in LIBRARY:
        remote = by_key[template.key]
        assert remote["category"] == template.category
        assert remote["components"] == template.components()

    rows = await sqlite_store.list_message_templates()
    assert len(rows) == 28 and {r.status for r in rows} == {"PENDING"}
    with pytest.raises(TemplateNotApproved, match="is PENDING"):
        await require_approved(sqlite_store, "payment_receipt", "es")
    assert not await approved(sqlite_store, "payment_receipt", "es_CO")

    reviewed = await review(sqlite_store, client)
    assert {e.status for e in reviewed.entries} == {"APPROVED"}
    assert reviewed.lines()[1] == "APPROVED (28)"
    for template in LIBRARY:
        row = await require_approved(sqlite_store, template.name, template.language)
        assert row.wappbiz_id == by_key[template.key]["id"]
        assert row.content_hash == template.content_hash()


async def test_a_second_sync_submits_nothing(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    await sync_templates(sqlite_store, client, LIBRARY)
    await review(sqlite_store, client)
    again = await sync_templates(sqlite_store, client, LIBRARY)
    assert again.submitted == []
    assert {e.action for e in again.entries} == {"unchanged"}
    assert {e.status for e in again.entries} == {"APPROVED"}
    assert len(await emulator.templates()) == 28 + SEEDS


async def test_an_edited_template_is_resubmitted_by_id(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    await sync_templates(sqlite_store, client, LIBRARY)
    await review(sqlite_store, client)
    before = await sqlite_store.get_message_template("checkin_welcome", "es_CO")

    body = "¡Bienvenida, {{1}}! ✨ Ya estás en *{{2}}*. Escríbenos si necesitas algo."
    edited = changed(LIBRARY, "checkin_welcome", "es_CO", body=body)
    validate_library(edited)
    report = await sync_templates(sqlite_store, client, edited)
    (entry,) = report.submitted
    assert (entry.name, entry.language, entry.action) == ("checkin_welcome", "es_CO", "edited")
    assert entry.status == "PENDING" and entry.wappbiz_id == before.wappbiz_id
    assert len(await emulator.templates()) == 28 + SEEDS  # edited, not created again
    remote = await client.get_template(before.wappbiz_id)
    assert remote.components[0]["text"] == body

    # Until Wappbíz approves the new text, neither wording may be sent.
    with pytest.raises(TemplateNotApproved, match="is PENDING"):
        await require_approved(sqlite_store, "checkin_welcome", "es", library=edited)
    await review(sqlite_store, client, edited)
    row = await require_approved(sqlite_store, "checkin_welcome", "es", library=edited)
    assert row.submitted_at > before.submitted_at
    with pytest.raises(TemplateNotApproved, match="library text changed"):
        await require_approved(sqlite_store, "checkin_welcome", "es", library=LIBRARY)
    # The other language was left alone.
    assert await approved(sqlite_store, "checkin_welcome", "en", library=edited)


async def test_an_edit_while_under_review_waits_for_the_review(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    await emulator.tune(template_review_delay_s=30)
    await sync_templates(sqlite_store, client, LIBRARY)
    edited = changed(LIBRARY, "promotion", "en", footer="Reply STOP to opt out")
    report = await sync_templates(sqlite_store, client, edited)
    blocked = [e for e in report.entries if e.action == "edit_blocked"]
    assert [(e.name, e.language, e.status) for e in blocked] == [("promotion", "en", "PENDING")]
    assert report.submitted == []
    assert "sync again after the review" in "\n".join(report.lines())
    row = await sqlite_store.get_message_template("promotion", "en")
    assert row.content_hash == LIBRARY.get("promotion", "en").content_hash()
    # After the review the same sync edits it.
    await emulator.set_status(row.wappbiz_id, "APPROVED")
    report = await sync_templates(sqlite_store, client, edited)
    assert [(e.name, e.action) for e in report.submitted] == [("promotion", "edited")]


def _rule_breakers() -> Library:
    """Two templates the emulator rejects (built without the validator, which refuses them)."""
    promo = TemplateDef(
        name="recordatorio_con_descuento",
        language="es_CO",
        category="UTILITY",
        body="Hola, {{1}}. Tu entrada tiene 20% de descuento si pagas hoy.",
        body_variables=(Variable("name", "Laura"),),
    )
    footer = TemplateDef(
        name="pie_con_variable",
        language="es_CO",
        category="UTILITY",
        body="Hola, {{1}}. Tu entrada está lista.",
        body_variables=(Variable("name", "Laura"),),
        footer="Evento {{1}}",
    )
    return Library({promo.key: promo, footer.key: footer})


async def test_the_emulator_rejections_are_reported_with_their_reason(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    library = _rule_breakers()
    with pytest.raises(LibraryError):  # the validator would have stopped both
        validate_library(library)
    await sync_templates(sqlite_store, client, library)
    report = await review(sqlite_store, client, library)
    reasons = {e.name: (e.status, e.rejected_reason) for e in report.entries}
    assert reasons == {
        "recordatorio_con_descuento": ("REJECTED", "INCORRECT_CATEGORY"),
        "pie_con_variable": ("REJECTED", "INVALID_FORMAT"),
    }
    assert not report.ok and len(report.problems) == 2
    text = "\n".join(report.lines())
    assert "REJECTED (2) - not sent until fixed" in text
    assert "recordatorio_con_descuento [es_CO] - INCORRECT_CATEGORY: the text does not fit" in text
    assert "pie_con_variable [es_CO] - INVALID_FORMAT" in text
    with pytest.raises(TemplateNotApproved, match="is REJECTED \\(INCORRECT_CATEGORY"):
        await require_approved(sqlite_store, "recordatorio_con_descuento", "es", library=library)

    # Fixed as the hint says (MARKETING): re-submitted by id, then approved.
    fixed = changed(library, "recordatorio_con_descuento", "es_CO", category="MARKETING")
    report = await sync_templates(sqlite_store, client, fixed)
    assert [(e.name, e.action) for e in report.submitted] == [
        ("recordatorio_con_descuento", "edited")
    ]
    report = await review(sqlite_store, client, fixed)
    assert {e.name: e.status for e in report.entries} == {
        "recordatorio_con_descuento": "APPROVED",
        "pie_con_variable": "REJECTED",
    }
    row = await require_approved(sqlite_store, "recordatorio_con_descuento", "es", library=fixed)
    assert row.category == "MARKETING"


async def test_paused_and_disabled_templates_are_reported_and_refused(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    await sync_templates(sqlite_store, client, LIBRARY)
    await review(sqlite_store, client)
    paused = await sqlite_store.get_message_template("special_offer", "es_CO")
    disabled = await sqlite_store.get_message_template("promotion", "en")
    await emulator.set_status(paused.wappbiz_id, "PAUSED")
    await emulator.set_status(disabled.wappbiz_id, "DISABLED")
    report = await refresh_statuses(sqlite_store, client, LIBRARY)
    assert {(e.name, e.language, e.status) for e in report.problems} == {
        ("special_offer", "es_CO", "PAUSED"),
        ("promotion", "en", "DISABLED"),
    }
    lines = report.lines()
    assert "PAUSED (1) - not sent while paused (low quality)" in lines
    assert "  special_offer [es_CO]" in lines
    assert "DISABLED (1) - not sent" in lines
    with pytest.raises(TemplateNotApproved, match="is PAUSED") as caught:
        await require_approved(sqlite_store, "special_offer", "es")
    assert caught.value.status == "PAUSED"
    assert not await approved(sqlite_store, "promotion", "en")
    assert await approved(sqlite_store, "promotion", "es")


async def test_dry_run_sends_and_writes_nothing(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    report = await sync_templates(sqlite_store, client, LIBRARY, dry_run=True)
    assert {e.action for e in report.entries} == {"would_create"}
    assert report.ok and report.submitted == []
    assert "NOT SUBMITTED (28) - not sent" in report.lines()
    assert len(await emulator.templates()) == SEEDS
    assert await sqlite_store.list_message_templates() == []
    # And once synced, a dry run after an edit says what it would do.
    await sync_templates(sqlite_store, client, LIBRARY)
    await review(sqlite_store, client)
    edited = changed(LIBRARY, "feedback_survey", "en", footer="Fashionistas")
    report = await sync_templates(sqlite_store, client, edited, dry_run=True)
    assert [(e.name, e.action) for e in report.entries if e.action != "unchanged"] == [
        ("feedback_survey", "would_edit")
    ]
    row = await sqlite_store.get_message_template("feedback_survey", "en")
    assert row.content_hash == LIBRARY.get("feedback_survey", "en").content_hash()


async def test_a_new_database_adopts_what_wappbiz_already_holds(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store, tmp_path: Any
) -> None:
    await sync_templates(sqlite_store, client, LIBRARY)
    await review(sqlite_store, client)
    from bot.storage.migrate import upgrade
    from tests.storage.conftest import sqlite_url

    other_url = sqlite_url(tmp_path / "other.db")
    upgrade(other_url)
    async with Store(other_url) as other:
        report = await sync_templates(other, client, LIBRARY)
        assert report.submitted == []
        assert {e.action for e in report.entries} == {"unchanged"}
        assert await approved(other, "emergency_alert", "en")
    assert len(await emulator.templates()) == 28 + SEEDS


async def test_a_create_that_already_happened_is_adopted(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    """A retried create (or a racing sync) finds "already exists" and lists it instead."""
    only = Library({k: v for k, v in LIBRARY.templates.items() if k[0] == "checkin_welcome"})
    template = only.get("checkin_welcome", "es")
    created = await client.create_template(template.create_payload())

    class StaleList(WappbizTemplatesClient):
        calls = 0

        async def list_templates(self, **kwargs: Any) -> list[RemoteTemplate]:
            StaleList.calls += 1
            return [] if StaleList.calls == 1 else await super().list_templates(**kwargs)

    stale = StaleList(
        graph_url=emulator.graph_url, access_token=ACCESS_TOKEN, waba_id=emulator.config.waba_id
    )
    try:
        report = await sync_templates(sqlite_store, stale, only)
    finally:
        await stale.aclose()
    actions = {(e.language, e.action) for e in report.entries}
    assert actions == {("es_CO", "unchanged"), ("en", "created")}
    row = await sqlite_store.get_message_template("checkin_welcome", "es_CO")
    assert row.wappbiz_id == created.id


async def test_a_refused_create_is_reported_as_failed(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    bad = TemplateDef(name="Bad-Name", language="es_CO", category="UTILITY", body="Hola.")
    report = await sync_templates(sqlite_store, client, Library({bad.key: bad}))
    (entry,) = report.entries
    assert entry.action == "failed" and "lowercase" in (entry.error or "")
    assert not report.ok
    assert "FAILED (1) - Wappbíz refused or did not answer" in report.lines()


async def test_listing_follows_every_page(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    await sync_templates(sqlite_store, client, LIBRARY)
    listed = await client.list_templates(page_size=4)
    assert len(listed) == 28 + SEEDS
    assert len({t.id for t in listed}) == 28 + SEEDS
    only = await client.list_templates(name="emergency_alert", page_size=1)
    assert {(t.name, t.language) for t in only} == {
        ("emergency_alert", "es_CO"),
        ("emergency_alert", "en"),
    }


async def test_the_status_webhook_updates_the_row(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    await sync_templates(sqlite_store, client, LIBRARY)
    await review(sqlite_store, client)
    row = await sqlite_store.get_message_template("event_reminder_3h", "en")
    value = {
        "event": "PAUSED",
        "message_template_id": int(row.wappbiz_id),
        "message_template_name": "event_reminder_3h",
        "message_template_language": "en",
        "reason": "NONE",
    }
    updated = await apply_status_update(sqlite_store, value)
    assert updated is not None and updated.status == "PAUSED" and updated.rejected_reason is None
    assert not await approved(sqlite_store, "event_reminder_3h", "en")
    updated = await apply_status_update(sqlite_store, {**value, "event": "REINSTATED"})
    assert updated is not None and updated.status == "APPROVED"
    assert await approved(sqlite_store, "event_reminder_3h", "en")
    unknown = {**value, "message_template_id": 1}
    assert await apply_status_update(sqlite_store, unknown) is None
    with pytest.raises(ValueError):
        await apply_status_update(sqlite_store, {"message_template_id": 1})


async def test_every_approved_template_is_accepted_by_the_emulator_send(
    emulator: Emulator, client: WappbizTemplatesClient, sqlite_store: Store
) -> None:
    """build_template's bodies pass the emulator's 132xxx checks and hydrate as previewed."""
    await sync_templates(sqlite_store, client, LIBRARY)
    await review(sqlite_store, client)
    sender = WappbizClient(
        graph_url=emulator.graph_url,
        access_token=ACCESS_TOKEN,
        phone_number_id=emulator.config.phone_number_id,
        max_attempts=1,
    )
    wa_id = "573001112233"
    try:
        for template in LIBRARY:
            await require_approved(sqlite_store, template.name, template.language)
            obj = build_template(template, template.variables())
            await sender.send({"to": wa_id, "type": "template", "template": obj})
    finally:
        await sender.aclose()
    async with httpx.AsyncClient(base_url=emulator.base_url, timeout=10) as api:
        response = await api.get("/sandbox/api/messages", params={"direction": "out"})
        messages = response.json()["messages"]
    assert len(messages) == len(LIBRARY)
    for message, template in zip(messages, LIBRARY, strict=True):
        rendered = message["template_rendered"]
        assert (rendered["name"], rendered["language"]) == template.key
        filled = template.body
        for index, variable in enumerate(template.body_variables, start=1):
            filled = filled.replace("{{" + str(index) + "}}", variable.example)
        assert rendered["body"] == filled
        for button, spec in zip(rendered["buttons"], template.buttons, strict=True):
            if spec.type == "QUICK_REPLY":
                assert button["payload"] == (spec.payload or spec.text)
            if spec.type == "URL":
                assert button["url"] == spec.example_url()
