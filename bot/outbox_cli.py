"""``python -m bot outbox list|redrive|counts``: the outbox from a terminal.

Works directly on the configured database (``DATABASE_URL``, or the SQLite file in
``STATE_DIR``), so dead letters can be inspected and re-driven with no server running.
Every command prints JSON lines on stdout; messages for people go to stderr.

    python -m bot outbox list --status dead --limit 20
    python -m bot outbox redrive --id 12 15      # or: --all
    python -m bot outbox counts [--broadcast 7]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from bot.settings import get_settings
from bot.storage.models import OUTBOX_STATUSES
from bot.storage.outbox import OutboxRecord
from bot.storage.store import Store

__all__ = ["add_parser"]

T = TypeVar("T")


def _record_json(record: OutboxRecord) -> str:
    data = dataclasses.asdict(record)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
    return json.dumps(data, ensure_ascii=False)


async def _with_store(func: Callable[[Store], Awaitable[T]]) -> T:
    async with Store.from_settings(get_settings()) as store:
        return await func(store)


def _run(func: Callable[[argparse.Namespace], Awaitable[int]]) -> Callable[..., int]:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(func(args))
        except DBAPIError as exc:
            print(
                f"error: the database refused the outbox query ({type(exc.orig).__name__}); "
                "is it migrated? run `python -m bot migrate`",
                file=sys.stderr,
            )
            return 1

    return wrapped


async def cmd_list(args: argparse.Namespace) -> int:
    rows = await _with_store(
        lambda store: store.list_outbox(
            status=args.status, broadcast_id=args.broadcast, limit=args.limit
        )
    )
    for row in rows:
        print(_record_json(row), flush=True)
    if not rows:
        print(
            "no outbox rows" + (f" with status {args.status}" if args.status else ""),
            file=sys.stderr,
        )
    return 0


async def cmd_redrive(args: argparse.Namespace) -> int:
    ids = None if args.all else list(args.ids)
    count = await _with_store(lambda store: store.redrive(ids))
    result: dict[str, Any] = {"redriven": count, "ids": "all" if ids is None else ids}
    print(json.dumps(result), flush=True)
    return 0


async def cmd_counts(args: argparse.Namespace) -> int:
    counts = await _with_store(lambda store: store.outbox_counts(args.broadcast))
    line: dict[str, Any] = {"broadcast_id": args.broadcast} if args.broadcast is not None else {}
    print(json.dumps({**line, **counts}), flush=True)
    return 0


def add_parser(sub: Any) -> None:
    """Register ``outbox`` on the ``python -m bot`` sub-command parser."""
    outbox = sub.add_parser("outbox", help="proactive messages: dead letters, re-drive, counts")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True)

    listing = outbox_sub.add_parser("list", help="outbox rows, most recently changed first")
    listing.add_argument("--status", choices=OUTBOX_STATUSES, help="only this status")
    listing.add_argument("--broadcast", type=int, default=None, help="only this broadcast id")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (50)")
    listing.set_defaults(func=_run(cmd_list))

    redrive = outbox_sub.add_parser("redrive", help="queue dead letters again (attempts reset)")
    which = redrive.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id", dest="ids", type=int, nargs="+", action="extend", metavar="N", help="these rows"
    )
    which.add_argument("--all", action="store_true", help="every dead letter")
    redrive.set_defaults(func=_run(cmd_redrive))

    counts = outbox_sub.add_parser("counts", help="rows per status, as one JSON line")
    counts.add_argument("--broadcast", type=int, default=None, help="only this broadcast id")
    counts.set_defaults(func=_run(cmd_counts))
