"""``python -m bot templates check|sync|status``: the template library and its review.

    python -m bot templates check                 # validate the library, no network
    python -m bot templates sync --dry-run        # what would be submitted or edited
    python -m bot templates sync [--wait 120]     # submit, edit, record statuses
    python -m bot templates status [--json]       # the recorded statuses, no network

``sync`` talks to Wappbíz (the emulator in embedded mode: start ``make run`` first) and
writes the configured database (``python -m bot migrate`` first). Exit status: 0 when
every template is APPROVED or under review, 1 when one is rejected, paused, disabled
or could not be submitted (``status``: also when one was never submitted or changed
since), 2 for an invalid library, 3 when Wappbíz does not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.clients.wappbiz_templates import WappbizTemplatesClient
from bot.errors import ProviderError, ProviderUnavailable, WhatsAppAuthError
from bot.settings import get_settings
from bot.storage.store import Store
from bot.templates import (
    LibraryError,
    SyncEntry,
    SyncReport,
    default_library,
    sync_templates,
    wait_for_review,
)

__all__ = ["add_parser"]

EXIT_PROBLEMS = 1
EXIT_LIBRARY = 2
EXIT_UNREACHABLE = 3


def _run(func: Callable[[argparse.Namespace], Awaitable[int]]) -> Callable[..., int]:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            default_library()  # fail before any network or database work
            return asyncio.run(func(args))
        except LibraryError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_LIBRARY
        except ProviderUnavailable as exc:
            settings = get_settings()
            hint = " (start the assistant with `make run`)" if settings.uses_wappbiz_sandbox else ""
            print(f"error: Wappbíz does not answer: {exc}{hint}", file=sys.stderr)
            return EXIT_UNREACHABLE
        except WhatsAppAuthError as exc:
            print(f"error: Wappbíz refused the access token: {exc}", file=sys.stderr)
            return EXIT_UNREACHABLE
        except ProviderError as exc:
            print(f"error: Wappbíz refused the template listing: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS
        except DBAPIError as exc:
            print(
                f"error: the database refused the template query ({type(exc.orig).__name__}); "
                "is it migrated? run `python -m bot migrate`",
                file=sys.stderr,
            )
            return EXIT_PROBLEMS

    return wrapped


def _print_report(report: SyncReport, as_json: bool) -> int:
    if as_json:
        for entry in report.to_json():
            print(json.dumps(entry, ensure_ascii=False), flush=True)
    else:
        print("\n".join(report.lines()), flush=True)
    return 0 if report.ok else EXIT_PROBLEMS


async def cmd_sync(args: argparse.Namespace) -> int:
    settings = get_settings()
    library = default_library()
    client = WappbizTemplatesClient.from_settings(settings)
    try:
        async with Store.from_settings(settings) as store:
            report = await sync_templates(store, client, library, dry_run=args.dry_run)
            if args.wait > 0 and not args.dry_run and report.pending:
                waited = await wait_for_review(
                    store, client, library, timeout_s=args.wait, poll_s=args.poll
                )
                # Keep what this run did (created, edited…) with the statuses it waited for.
                statuses = {(e.name, e.language): e for e in waited.entries}
                report = SyncReport(
                    tuple(
                        _with_status(entry, statuses.get((entry.name, entry.language)))
                        for entry in report.entries
                    ),
                    report.mode,
                )
    finally:
        await client.aclose()
    return _print_report(report, args.json)


def _with_status(entry: SyncEntry, fresh: SyncEntry | None) -> SyncEntry:
    if fresh is None or entry.action == "failed":
        return entry
    return replace(entry, status=fresh.status, rejected_reason=fresh.rejected_reason)


async def cmd_status(args: argparse.Namespace) -> int:
    library = default_library()
    async with Store.from_settings(get_settings()) as store:
        rows = {(r.name, r.language): r for r in await store.list_message_templates()}
    lines: list[dict[str, Any]] = []
    for template in library:
        row = rows.pop(template.key, None)
        line: dict[str, Any] = {
            "name": template.name,
            "language": template.language,
            "category": row.category if row else template.category,
            "status": row.status if row else None,
            "rejected_reason": row.rejected_reason if row else None,
            "wappbiz_id": row.wappbiz_id if row else None,
            "updated_at": row.updated_at.isoformat() if row else None,
            "note": _status_note(template.content_hash(), row),
        }
        lines.append(line)
    for row in rows.values():  # recorded, but no longer in the library
        lines.append(
            {
                "name": row.name,
                "language": row.language,
                "category": row.category,
                "status": row.status,
                "rejected_reason": row.rejected_reason,
                "wappbiz_id": row.wappbiz_id,
                "updated_at": row.updated_at.isoformat(),
                "note": "not in the library",
            }
        )
    if args.json:
        for line in lines:
            print(json.dumps(line, ensure_ascii=False), flush=True)
    else:
        print(_table(lines), flush=True)
    sendable = all(
        line["status"] == "APPROVED" and not line["note"]
        for line in lines
        if line["note"] != "not in the library"
    )
    return 0 if sendable else EXIT_PROBLEMS


def _status_note(wanted: str, row: Any) -> str:
    if row is None:
        return "never submitted: run `python -m bot templates sync`"
    if row.content_hash != wanted:
        return "changed in the library since submitted: sync again"
    return ""


def _table(lines: list[dict[str, Any]]) -> str:
    columns = ("name", "language", "category", "status", "rejected_reason", "wappbiz_id", "note")
    cells = [[str(line.get(c) or "-") for c in columns] for line in lines]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    header = "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
    rows = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([header, *(r.rstrip() for r in rows)])


async def cmd_check(args: argparse.Namespace) -> int:
    library = default_library()  # raises LibraryError (exit 2) when anything is wrong
    categories = {template.name: template.category for template in library}
    counts: dict[str, int] = {}
    for category in categories.values():
        counts[category] = counts.get(category, 0) + 1
    summary = ", ".join(f"{n} {category}" for category, n in sorted(counts.items()))
    print(
        f"template library OK: {len(library.names())} templates in "
        f"{', '.join(library.languages())} ({summary})",
        flush=True,
    )
    return 0


def add_parser(sub: Any) -> None:
    """Register ``templates`` on the ``python -m bot`` sub-command parser."""
    templates = sub.add_parser(
        "templates", help="WhatsApp message templates: check, sync to Wappbíz, review status"
    )
    templates_sub = templates.add_subparsers(dest="templates_command", required=True)

    check = templates_sub.add_parser("check", help="validate the template library (no network)")
    check.set_defaults(func=_run(cmd_check))

    sync = templates_sub.add_parser(
        "sync", help="submit new templates, re-submit edited ones, record review statuses"
    )
    sync.add_argument(
        "--dry-run", action="store_true", help="show what would be sent, send nothing"
    )
    sync.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="then wait up to this long for pending reviews (default: do not wait)",
    )
    sync.add_argument("--poll", type=float, default=2.0, help=argparse.SUPPRESS)
    sync.add_argument("--json", action="store_true", help="one JSON line per template")
    sync.set_defaults(func=_run(cmd_sync))

    status = templates_sub.add_parser(
        "status", help="recorded review status of every template (no network)"
    )
    status.add_argument("--json", action="store_true", help="one JSON line per template")
    status.set_defaults(func=_run(cmd_status))
