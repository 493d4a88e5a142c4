"""Seeding helpers of the broadcast tests: holders, consent, approved templates."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.calendar import BOGOTA
from bot.storage.models import Purchase, Ticket
from bot.storage.store import Store
from bot.storage.types import utcnow
from bot.templates import default_library

POLICY = "2026-10"


def bogota(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


async def approve(store: Store, name: str, *, status: str = "APPROVED", languages=None) -> None:
    """Record ``name`` at Wappbíz as ``status`` in the library's current wording."""
    library = default_library()
    for language in languages or ("es_CO", "en"):
        template = library.get(name, language)
        await store.save_message_template(
            name=name,
            language=language,
            category=template.category,
            wappbiz_id=f"{name}-{language}"[:32],
            status=status,
            content_hash=template.content_hash(),
        )


async def add_holder(
    store: Store,
    wa_id: str,
    event_id: int,
    *,
    ticket_type: str = "General",
    language: str = "es",
    holder_name: str = "Laura Gómez",
) -> None:
    """One fulfilled purchase with one ticket (bulk-free: a handful per test)."""
    purchases, tickets = Purchase.__table__, Ticket.__table__
    now = utcnow()
    reference = f"B{event_id}-{wa_id}"[-40:]
    async with store.transaction() as session:
        result = await session.execute(
            purchases.insert().values(
                reference=reference,
                wa_id=wa_id,
                language=language,
                event_id=event_id,
                event_title="Pasarela Otoño 2026",
                event_starts_at=now + timedelta(days=30),
                product_id=1,
                price_id=1,
                ticket_type=ticket_type,
                quantity=1,
                unit_price_cop=50_000,
                total_cop=50_000,
                buyer_name=holder_name,
                buyer_email="asistente@example.com",
                state="fulfilled",
                created_at=now,
                updated_at=now,
            )
        )
        await session.execute(
            tickets.insert().values(
                purchase_id=int(result.inserted_primary_key[0]),
                attendee_public_id=f"A{wa_id[-9:]}{event_id % 1000:03d}"[:16],
                holder_name=holder_name,
                ticket_type=ticket_type,
                wa_id=wa_id,
                created_at=now,
            )
        )
    await store.upsert_contact(wa_id, profile_name=holder_name)
    if language != "es":
        await store.set_language(wa_id, language, "explicit")


async def consent(store: Store, wa_id: str, purposes: tuple[str, ...], granted: bool) -> None:
    await store.record_consent(
        wa_id, purposes, granted=granted, policy_version=POLICY, source="button"
    )
