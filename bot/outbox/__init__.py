"""Proactive messaging: the durable outbox and its delivery worker (issue 5, item 1).

* :mod:`bot.storage.outbox`: the ``outbox`` table's store methods (enqueue, claim,
  transitions, dead letters), mixed into :class:`bot.storage.store.Store`;
* :mod:`bot.outbox.ratelimit`: token buckets per sending number and per recipient,
  in process or in Redis;
* :mod:`bot.outbox.worker`: :class:`DeliveryWorker`, which claims rows and sends them;
* ``python -m bot outbox list|redrive|counts`` (:mod:`bot.outbox_cli`).

Choices are written down in ``docs/decisions/outbox.md``.
"""

from __future__ import annotations

from bot.outbox.ratelimit import (
    InProcessTokenBucket,
    RedisTokenBucket,
    TokenBucket,
    make_bucket,
    number_bucket,
    pair_pacer,
)
from bot.outbox.worker import DeliveryWorker, request_body

__all__ = [
    "DeliveryWorker",
    "InProcessTokenBucket",
    "RedisTokenBucket",
    "TokenBucket",
    "make_bucket",
    "number_bucket",
    "pair_pacer",
    "request_body",
]
