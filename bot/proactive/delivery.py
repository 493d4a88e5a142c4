"""The outbox delivery worker as the action server runs it (issue 5, item 1).

One :class:`~bot.outbox.DeliveryWorker` per action server process, on the server's
event loop and the server's :class:`~bot.storage.store.Store`:

* the number's token bucket at ``OUTBOX_RATE_PER_S`` (in Redis when ``REDIS_URL`` is
  set, so several processes share it; in process otherwise) and the per-recipient
  pacer on the same backend;
* its own :class:`~bot.clients.wappbiz.WappbizClient` with ``max_attempts=1``: the
  outbox's durable retry policy (backoff between claims, dead letters) is the only one;
* inside the 24-hour window, free text goes through Rasa's ``trigger_intent`` first
  (:class:`~bot.proactive.relay.RasaRelay`; ``PROACTIVE_VIA_RASA=false`` skips it);
* ``OUTBOX_BATCH`` rows per claim; ``OUTBOX_WORKER=false`` leaves the outbox to a
  worker elsewhere (``start`` then does nothing, ``wake`` is a no-op).

``start``/``stop`` may be called again (tests pause the worker to queue rows behind
its back); ``aclose`` releases the client and the buckets once the server stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.broadcasts.guard import still_allowed
from bot.clients.wappbiz import WappbizClient
from bot.logging import event
from bot.outbox import DeliveryWorker, number_bucket, pair_pacer
from bot.proactive.relay import RasaRelay
from bot.settings import Settings
from bot.storage.store import Store

__all__ = ["OutboxDelivery"]

log = logging.getLogger(__name__)


class OutboxDelivery:
    """Owns the worker task, its client and its buckets."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.enabled = settings.outbox_worker
        self.rate_per_s = settings.outbox_rate_per_s
        self.client = WappbizClient(
            graph_url=settings.wappbiz_graph_url,
            access_token=settings.secret("wappbiz_access_token"),
            phone_number_id=settings.wappbiz_phone_number_id,
            timeout_s=settings.wappbiz_timeout_s,
            max_attempts=1,
        )
        self.bucket = number_bucket(settings.redis_url, rate_per_s=settings.outbox_rate_per_s)
        self.pacer = pair_pacer(settings.redis_url)
        self.relay = (
            RasaRelay(store, settings.rasa_url, settings.secret("rasa_api_token"))
            if settings.proactive_via_rasa
            else None
        )
        self.worker = DeliveryWorker(
            store,
            self.client,
            self.bucket,
            pacer=self.pacer,
            batch=settings.outbox_batch,
            guard=still_allowed,  # STOP since queueing: the promotion is not sent
            relay=self.relay,  # inside the 24-hour window: through the dialogue
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the loop on the running event loop (no-op if disabled or running)."""
        if not self.enabled or self.running:
            return
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self.worker.run_forever(self._stop))
        event(log, "outbox.delivery_started", rate_per_s=self.rate_per_s)

    def wake(self) -> None:
        """Claim now instead of after the idle pause (rows were just queued)."""
        self.worker.wake()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Let the batch in hand finish, then end the loop (cancelled after ``timeout_s``).

        A cancelled batch gives its unsent rows back (``release``); a row cut off
        mid-send is due again when its lease ends (at least once).
        """
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=timeout_s)
        except asyncio.TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def aclose(self) -> None:
        await self.stop()
        await self.client.aclose()
        await self.bucket.aclose()
        await self.pacer.aclose()
        if self.relay is not None:
            await self.relay.aclose()
