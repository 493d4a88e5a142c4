"""Organizers read what attendees said about a show through the admin API."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.ticketing import running_ticketing


def test_the_feedback_of_an_event_over_http(tmp_path: Path) -> None:
    with running_ticketing(tmp_path) as h:
        store = h.action_app.ctx.store

        async def seed() -> None:
            await store.record_feedback(
                "573001112233", rating=5, comment=None, source="button", language="es", event_id=41
            )
            await store.record_feedback(
                "573009998877",
                rating=2,
                comment="fila eterna",
                source="text",
                language="es",
                event_id=41,
            )
            await store.record_feedback(
                "573009998877", rating=4, comment=None, source="text", language="es", event_id=42
            )

        h.run(seed())
        answer = httpx.get(
            f"{h.action_url}/admin/events/41/feedback",
            headers={"Authorization": f"Bearer {h.settings.secret('admin_token')}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["opinions"] == 2 and body["average"] == 3.5
        assert [o["comment"] for o in body["latest"]] == ["fila eterna", None]
        assert "573009998877" not in answer.text  # no phone numbers
        refused = httpx.get(f"{h.action_url}/admin/events/41/feedback", timeout=10)
        assert refused.status_code == 401
