"""In the sandbox, the template library is submitted to the emulated Wappbíz at start-up.

Against the real Wappbíz, submitting templates is a deliberate step
(``python -m bot templates sync``: Meta reviews every submission, and a rejected
template counts against the account). In the sandbox nothing is at stake, and without
APPROVED templates `make run` could not show a reminder outside the 24-hour window or
a broadcast from the chat; so the action server submits the library once the
emulator is up and records the emulator's verdicts, in the background.
"""

from __future__ import annotations

import asyncio
import logging

from bot.clients.wappbiz_templates import WappbizTemplatesClient
from bot.logging import event
from bot.settings import Settings
from bot.templates.sync import sync_templates, wait_for_review

__all__ = ["sync_in_sandbox"]

log = logging.getLogger(__name__)


async def sync_in_sandbox(
    store: object, settings: Settings, *, attempts: int = 30, pause_s: float = 2.0
) -> bool:
    """Sync and wait for the emulator's review; ``False`` (logged) when it never answered."""
    if not settings.uses_wappbiz_sandbox:
        return False
    client = WappbizTemplatesClient.from_settings(settings)
    try:
        for _ in range(attempts):  # the sandbox may start after the action server
            try:
                await sync_templates(store, client)  # type: ignore[arg-type]
                report = await wait_for_review(store, client, timeout_s=30)  # type: ignore[arg-type]
            except Exception as exc:
                event(log, "templates.sandbox_sync_retry", error=type(exc).__name__)
                await asyncio.sleep(pause_s)
                continue
            event(log, "templates.sandbox_synced", pending=len(report.pending))
            return True
    finally:
        await client.aclose()
    event(log, "templates.sandbox_sync_failed", logging.WARNING)
    return False
