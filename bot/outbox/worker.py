"""The delivery worker: drains the outbox through the Wappbíz send API.

One loop per process (embedded mode: one, in-process; at scale: several processes on
PostgreSQL, all sharing one Redis token bucket per sending number)::

    worker = DeliveryWorker(store, client, number_bucket(settings.redis_url),
                            pacer=pair_pacer(settings.redis_url))
    await worker.run_forever(stop_event)

Each round claims a batch (most urgent first: the claim orders by priority, so an
emergency alert overtakes a queued broadcast), then delivers the rows concurrently.
``run_forever`` pipelines the rounds: while one batch is being sent it claims the next
(at most ``pipeline`` batches in hand, 2 by default), so the number's bucket never idles
waiting for a claim. Per row: the recipient's pacing slot (the pair limit; a row whose
slot is far off is given back with ``release`` and comes again then, without spending
an attempt), a token of the number's bucket (reserved in claim order, so priorities hold
within a batch too), then ``client.send``. Outcomes:

* accepted → ``sent`` with the wamid, recorded in batches: results are buffered and
  written by ``mark_sent_many``, one transaction per flush (every ``flush_every`` results
  or ``flush_interval_s`` after the first unwritten one, and at the end of every round),
  instead of one commit per message;
* ``ReEngagementRequired`` (131047, the 24-hour window is closed) → the row turns into
  its ``template_fallback`` and is sent again at once; without one it is ``dead`` with
  code 131047 and ``window_closed`` in ``last_error``;
* a retryable error (429/130429/131056, 5xx, 131000/131016/131057, timeouts) →
  ``mark_retry`` after an exponential backoff with full jitter; a rate-limit answer also
  backs the bucket off (the number's, or the recipient's for 131056), for every worker;
* a non-retryable error, or a retryable one on the last attempt → ``mark_dead`` (a dead
  letter: ``python -m bot outbox list --status dead`` / ``redrive``).

Delivery is at least once, narrowed by reconciliation. A crash between the send and
the flush that records it (at most ``flush_every`` results or ``flush_interval_s`` of
sends, plus the requests in flight), or a timeout after the provider accepted, leaves a
row without its outcome; it is claimed again (after its lease, or after the retry's
backoff). The key travels as ``biz_opaque_callback_data`` and WhatsApp echoes it in the
status webhooks, which the ingestion records (``message_statuses.callback_data``). So
before sending a row again (a claim with ``attempts > 1``: ``claim`` counts the attempt
before handing the row over, and ``release`` gives a paced row's attempt back) the
worker asks ``store.accepted_wamid(key)``: a status other than ``failed`` means the
earlier send was accepted, and the row is recorded ``sent`` with that wamid
(``outbox.reconciled``) instead of being sent twice. Every re-attempt asks, not only
re-claims after a lapsed lease: ``claim`` leaves ``last_error`` as it was, so an error of
an earlier attempt says nothing about how the latest one ended. First attempts cost no
query. The limit: a status webhook that has not arrived (or not been recorded) when the
row is claimed again; the lease (60 s by default) usually covers WhatsApp's ``sent``
status by far, but a webhook outage longer than that, or a payload carrying its own
``biz_opaque_callback_data``, still means a second send. A clean stop flushes first.
Failures the provider reports later, in a ``failed`` status webhook, are not this
worker's concern.

The :class:`~bot.clients.wappbiz.WappbizClient` retries on its own (``max_attempts``);
give the worker a client built with ``max_attempts=1`` so that the outbox's durable
retry policy (backoff between claims, dead letters) is the only one, and the worker's
tests construct it that way so this policy is what they exercise.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clients.wappbiz import WappbizClient
from bot.errors import ProviderError, ReEngagementRequired, WhatsAppRateLimited
from bot.logging import event, mask_phone
from bot.outbox.ratelimit import TokenBucket, number_key, pair_key
from bot.storage.outbox import DEFAULT_MAX_ATTEMPTS, OutboxRecord
from bot.storage.store import Store
from bot.storage.types import utcnow

__all__ = ["DeliveryWorker", "backoff_delay", "default_worker_id", "request_body"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class Relay(Protocol):
    """Gives the body of a row as the dialogue said it, or ``None`` (send it as is)."""

    async def body_for(self, row: OutboxRecord) -> dict[str, Any] | None: ...


#: Provider code of the (business, consumer) pair limit: wait per recipient, 4^n s.
PAIR_RATE_LIMIT = 131056
WINDOW_CLOSED = 131047


def default_worker_id() -> str:
    """``host:pid:random``: unique per running worker, as the claim fence requires."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def backoff_delay(
    attempt: int, base_s: float, cap_s: float, rand: Callable[[], float] = random.random
) -> float:
    """Full jitter: uniform in ``[0, min(cap, base * 2^(attempt-1))]`` seconds."""
    ceiling = min(cap_s, base_s * (2 ** max(0, attempt - 1)))
    return ceiling * rand()


def request_body(row: OutboxRecord) -> dict[str, Any]:
    """The Cloud API body of a row (``messaging_product`` is added by the client).

    The idempotency key rides along as ``biz_opaque_callback_data`` (echoed in status
    webhooks) unless the payload set its own.
    """
    if row.kind == "template":
        body: dict[str, Any] = {"type": "template", "template": copy.deepcopy(row.payload)}
    else:
        body = copy.deepcopy(row.payload)
    body = {"to": row.wa_id, **body}
    body.setdefault("biz_opaque_callback_data", row.idempotency_key)
    return body


class DeliveryWorker:
    """Claims outbox rows and sends them; see the module docstring for the policy.

    ``bucket`` limits the sending number (shared across workers when it is a Redis
    bucket); ``pacer`` (optional) paces each recipient. ``max_attempts`` applies to rows
    enqueued without their own. ``clock`` dates retries (aware UTC); ``sleep`` is used
    for pacing waits and idling; ``rand`` draws the jitter (tests pin it).
    ``flush_every``/``flush_interval_s`` batch the ``sent`` results (one transaction per
    flush); ``pipeline`` is how many claimed batches ``run_forever`` keeps in hand.
    """

    def __init__(
        self,
        store: Store,
        client: WappbizClient,
        bucket: TokenBucket,
        *,
        pacer: TokenBucket | None = None,
        worker_id: str | None = None,
        batch: int = 50,
        lease_s: float = 60.0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_base_s: float = 5.0,
        backoff_cap_s: float = 300.0,
        rate_limit_pause_s: float = 1.0,
        max_pacing_wait_s: float = 1.0,
        idle_s: float = 1.0,
        bucket_key: str | None = None,
        flush_every: int = 50,
        flush_interval_s: float = 0.05,
        guard: Callable[[Any, OutboxRecord], Awaitable[bool]] | None = None,
        relay: Relay | None = None,
        pipeline: int = 2,
        clock: Callable[[], datetime] = utcnow,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if flush_every < 1 or flush_interval_s <= 0:
            raise ValueError("flush_every must be at least 1 and flush_interval_s positive")
        if pipeline < 1:
            raise ValueError("pipeline must be at least 1")
        #: Asked right before each send whether the row may still go (consent withdrawn
        #: since it was queued: STOP takes effect before the next message).
        self.guard = guard
        #: Inside the 24-hour window, free text goes through the dialogue first
        #: (``bot/proactive/relay.py``); ``None`` from it means "send the row as is".
        self.relay = relay
        self.store = store
        self.client = client
        self.bucket = bucket
        self.pacer = pacer
        self.worker_id = worker_id or default_worker_id()
        self.batch = batch
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.rate_limit_pause_s = rate_limit_pause_s
        self.max_pacing_wait_s = max_pacing_wait_s
        self.idle_s = idle_s
        self.bucket_key = bucket_key or number_key(client.phone_number_id)
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self.flush_every = flush_every
        self.flush_interval_s = flush_interval_s
        self.pipeline = pipeline
        self._wake = asyncio.Event()
        #: Sent but not yet recorded: ``(row, wamid)``, written by :meth:`flush`.
        self._unflushed: list[tuple[OutboxRecord, str]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._flush_lock = asyncio.Lock()
        self._flush_tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------- the loop

    def wake(self) -> None:
        """Cut the idle wait short (call after enqueueing in the same process)."""
        self._wake.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; the batches in hand are finished first.

        Pipelined: the next batch is claimed while the previous one is being sent (at
        most ``pipeline`` batches in hand). Cancelled, the batches in hand are cancelled
        too (unsent rows are released) and what was sent is flushed.
        """
        event(
            log,
            "outbox.worker_started",
            worker=self.worker_id,
            batch=self.batch,
            pipeline=self.pipeline,
        )
        inflight: set[asyncio.Task[int]] = set()
        cancelled = False
        try:
            while not stop.is_set():
                if len(inflight) >= self.pipeline:
                    await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                    inflight = {task for task in inflight if not task.done()}
                    continue
                try:
                    rows = await self._claim()
                except Exception as exc:  # the database or a bug: keep the loop alive
                    event(log, "outbox.round_failed", logging.ERROR, error=repr(exc)[:300])
                    rows = []
                if rows:
                    inflight.add(asyncio.create_task(self._deliver_batch(rows)))
                    # Let the batch reserve its tokens (claim order) before the next claim.
                    await asyncio.sleep(0)
                    if len(rows) >= self.batch:
                        continue  # more is probably due: claim the next batch now
                await self._idle(stop, inflight)
                inflight = {task for task in inflight if not task.done()}
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            if cancelled:
                for task in inflight:
                    task.cancel()
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.shield(self.flush())
            event(log, "outbox.worker_stopped", worker=self.worker_id)

    async def _idle(self, stop: asyncio.Event, inflight: set[asyncio.Task[int]]) -> None:
        """Wait ``idle_s``, or less: a stop, a wake, or a batch in hand finishing."""
        self._wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(
                [*waiters, *inflight], timeout=self.idle_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim one batch, deliver it and record it; returns how many rows were claimed."""
        rows = await self._claim()
        if rows:
            await self._deliver_batch(rows)
        await self.flush()
        return len(rows)

    async def _claim(self) -> list[OutboxRecord]:
        return await self.store.claim(
            self.worker_id,
            limit=self.batch,
            lease_s=self.lease_s,
            default_max_attempts=self.max_attempts,
        )

    async def _deliver_batch(self, rows: list[OutboxRecord]) -> int:
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    # ---------------------------------------------------------- recording results

    async def _record_sent(self, row: OutboxRecord, wamid: str) -> None:
        """Buffer an accepted row; flush when ``flush_every`` are waiting."""
        self._unflushed.append((row, wamid))
        if len(self._unflushed) >= self.flush_every:
            await self.flush()
        elif self._flush_timer is None:
            self._arm_flush(self.flush_interval_s)

    def _arm_flush(self, delay: float) -> None:
        self._flush_timer = asyncio.get_running_loop().call_later(delay, self._flush_due)

    def _flush_due(self) -> None:
        self._flush_timer = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flush_tasks.add(task)
        task.add_done_callback(self._flush_tasks.discard)

    async def flush(self) -> None:
        """Record the buffered sends as ``sent``: one ``mark_sent_many`` transaction.

        If the database fails, the results stay buffered and the flush is tried again
        (after a second); rows whose lease was lost meanwhile are refused, as always.
        """
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        async with self._flush_lock:
            items, self._unflushed = self._unflushed, []
            if not items:
                return
            try:
                done = set(
                    await self.store.mark_sent_many(
                        self.worker_id, [(row.id, wamid) for row, wamid in items]
                    )
                )
            except Exception as exc:  # the database: keep the results, try again soon
                self._unflushed[:0] = items
                event(
                    log,
                    "outbox.flush_failed",
                    logging.ERROR,
                    rows=len(items),
                    error=repr(exc)[:300],
                )
                if self._flush_timer is None:
                    self._arm_flush(max(1.0, self.flush_interval_s))
                return
        for row, _ in items:
            if row.id not in done:
                self._lost(row, "sent")
                continue
            event(
                log,
                "outbox.sent",
                id=row.id,
                wa_id=mask_phone(row.wa_id),
                kind=row.kind,
                priority=row.priority,
                attempt=row.attempts,
            )

    # --------------------------------------------------------------------- one row

    async def _deliver(self, row: OutboxRecord) -> None:
        sending = False
        try:
            if row.attempts > 1 and await self._reconcile(row):
                return
            if self.guard is not None and not await self.guard(self.store, row):
                await self.store.cancel_claimed(
                    row.id, "consent withdrawn before sending", worker_id=self.worker_id
                )
                event(log, "outbox.cancelled_by_consent", id=row.id, to=mask_phone(row.wa_id))
                return
            if self.pacer is not None and not await self._pace(row):
                return
            await self.bucket.acquire(self.bucket_key)
            sending = True
            await self._send(row)
        except asyncio.CancelledError:
            if not sending:  # never reached the provider: give the row back at once
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.store.release(row.id, worker_id=self.worker_id))
            raise
        except Exception as exc:  # a bug or the database: the row retries, then dies
            event(log, "outbox.unexpected_error", logging.ERROR, id=row.id, error=repr(exc)[:300])
            with contextlib.suppress(Exception):
                await self._retry_or_dead(row, f"{type(exc).__name__}: {exc}"[:2000], None)

    async def _reconcile(self, row: OutboxRecord) -> bool:
        """Record a re-attempted row ``sent`` if WhatsApp already accepted an earlier send.

        The earlier attempt's outcome may never have been written (the process died
        before the flush, or the request timed out after the provider accepted); the
        status webhooks echo the key, so they tell. ``True`` when the row was taken care
        of this way (no send, no token spent), ``False`` to send it as usual.
        """
        wamid = await self.store.accepted_wamid(row.idempotency_key)
        if wamid is None:
            return False
        event(
            log,
            "outbox.reconciled",
            id=row.id,
            wa_id=mask_phone(row.wa_id),
            attempt=row.attempts,
            wamid=wamid,
        )
        await self._record_sent(row, wamid)
        return True

    async def _pace(self, row: OutboxRecord) -> bool:
        """Take the recipient's slot; ``False`` when the row was deferred instead."""
        assert self.pacer is not None
        key = pair_key(row.wa_id)
        wait = await self.pacer.try_acquire(key)
        if wait <= 0:
            return True
        if wait <= self.max_pacing_wait_s:
            await self._sleep(wait)
            await self.pacer.acquire(key)
            return True
        until = self._clock() + timedelta(seconds=wait)
        await self.store.release(row.id, worker_id=self.worker_id, until=until)
        event(
            log,
            "outbox.paced",
            id=row.id,
            wa_id=mask_phone(row.wa_id),
            delay_s=round(wait, 2),
        )
        return False

    async def _send(self, row: OutboxRecord, *, relay: bool = True) -> None:
        body = None
        if relay and self.relay is not None:
            body = await self.relay.body_for(row)
        try:
            result = await self.client.send(body or request_body(row))
        except ReEngagementRequired as exc:
            await self._window_closed(row, exc)
            return
        except ProviderError as exc:
            await self._failed(row, exc)
            return
        await self._record_sent(row, result.wamid)

    async def _window_closed(self, row: OutboxRecord, exc: ReEngagementRequired) -> None:
        if row.kind == "message" and row.template_fallback is not None:
            switched = await self.store.switch_to_template(
                row.id, worker_id=self.worker_id, error=f"window_closed: {exc}"[:2000]
            )
            if switched is None:
                self._lost(row, "switch_to_template")
                return
            event(log, "outbox.template_fallback", id=row.id, wa_id=mask_phone(row.wa_id))
            await self.bucket.acquire(self.bucket_key)
            await self._send(switched, relay=False)
            return
        error = f"window_closed: {exc} (no template fallback)"
        if row.kind == "template":
            error = f"window_closed: {exc} (already a template)"
        await self._dead(row, error, WINDOW_CLOSED)

    async def _failed(self, row: OutboxRecord, exc: ProviderError) -> None:
        error = str(exc)[:2000]
        if not exc.retryable:
            await self._dead(row, error, exc.code)
            return
        delay = None
        if isinstance(exc, WhatsAppRateLimited):
            delay = await self._back_off_bucket(row, exc)
        await self._retry_or_dead(row, error, exc.code, delay)

    async def _back_off_bucket(self, row: OutboxRecord, exc: WhatsAppRateLimited) -> float | None:
        """Tell the shared bucket: the number (or this recipient) must wait."""
        if exc.code == PAIR_RATE_LIMIT:
            # Meta: retry after 4^n seconds; every worker leaves this recipient alone.
            delay = min(self.backoff_cap_s, 4.0 ** max(0, row.attempts - 1))
            if self.pacer is not None:
                await self.pacer.penalize(pair_key(row.wa_id), delay)
            return delay
        await self.bucket.penalize(self.bucket_key, self.rate_limit_pause_s)
        event(
            log,
            "outbox.rate_limited",
            logging.WARNING,
            code=exc.code,
            pause_s=self.rate_limit_pause_s,
        )
        return None

    async def _retry_or_dead(
        self, row: OutboxRecord, error: str, code: int | None, at_least_s: float | None = None
    ) -> None:
        if row.attempts >= row.attempt_limit(self.max_attempts):
            await self._dead(row, error, code)
            return
        delay = backoff_delay(row.attempts, self.backoff_base_s, self.backoff_cap_s, self._rand)
        if at_least_s is not None:
            delay = max(delay, at_least_s)
        retry_at = self._clock() + timedelta(seconds=delay)
        done = await self.store.mark_retry(row.id, error, code, retry_at, worker_id=self.worker_id)
        if done is None:
            self._lost(row, "retry")
            return
        event(
            log,
            "outbox.retry",
            logging.WARNING,
            id=row.id,
            wa_id=mask_phone(row.wa_id),
            attempt=row.attempts,
            code=code,
            error=error[:160],
            delay_s=round(delay, 3),
        )

    async def _dead(self, row: OutboxRecord, error: str, code: int | None) -> None:
        done = await self.store.mark_dead(row.id, error, code, worker_id=self.worker_id)
        if done is None:
            self._lost(row, "dead")
            return
        event(
            log,
            "outbox.dead",
            logging.ERROR,
            id=row.id,
            wa_id=mask_phone(row.wa_id),
            attempt=row.attempts,
            code=code,
        )

    def _lost(self, row: OutboxRecord, outcome: str) -> None:
        """The lease ran out and another worker owns the row now: its result stands."""
        event(
            log,
            "outbox.claim_lost",
            logging.WARNING,
            id=row.id,
            outcome=outcome,
            worker=self.worker_id,
        )
