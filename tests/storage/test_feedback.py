"""Opinions about events on SQLite and PostgreSQL: stored once, a comment added later."""

from __future__ import annotations

import pytest

from bot.storage.store import Store


async def test_a_rating_is_stored_once_per_message_and_the_comment_added(store: Store) -> None:
    first, new = await store.record_feedback(
        "573001112233",
        rating=4,
        comment=None,
        source="button",
        language="es",
        event_id=7,
        event_title="Medellín Fashion Night",
        inbound_wamid="wamid.rate",
    )
    again, new_again = await store.record_feedback(
        "573001112233",
        rating=4,
        comment=None,
        source="button",
        language="es",
        inbound_wamid="wamid.rate",
    )
    assert new and not new_again and again.id == first.id
    updated = await store.add_feedback_comment(first.id, "el sonido estuvo regular")
    assert updated is not None and updated.comment == "el sonido estuvo regular"
    assert (await store.get_feedback(first.id)).rating == 4
    await store.record_feedback(
        "573009998877", rating=2, comment="fila eterna", source="text", language="es", event_id=7
    )
    summary = await store.feedback_summary(7)
    assert summary["opinions"] == 2 and summary["average"] == 3.0
    assert summary["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}
    assert [r.rating for r in await store.feedback_for_event(7)] == [2, 4]


@pytest.mark.parametrize(
    ("rating", "comment", "source"),
    [(6, None, "text"), (0, "x", "text"), (None, "  ", "text"), (3, None, "carrier pigeon")],
)
async def test_impossible_opinions_are_refused(
    store: Store, rating: int | None, comment: str | None, source: str
) -> None:
    with pytest.raises(ValueError):
        await store.record_feedback(
            "573001112233", rating=rating, comment=comment, source=source, language="es"
        )


async def test_a_comment_for_a_missing_opinion_is_none(store: Store) -> None:
    assert await store.add_feedback_comment(999_999, "hola") is None
