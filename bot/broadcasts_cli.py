"""``python -m bot broadcasts create|list|preview|dry-run|send|status|cancel``.

A thin client of the admin API (``/admin/broadcasts``), like ``python -m bot purchases``:
the server applies consent, Ley 2300 hours and the approved-templates rule; the CLI
prints its JSON answers (one object per line) and exits 1 on a refusal.

    python -m bot broadcasts create --name "Preventa" --template promotion \\
        --var event="Pasarela Otoño 2026" --var price='$80.000' --var until="6 de nov" \\
        --var event_slug=pasarela-otono-2026 \\
        --var image_url=https://fashionistas.co/media/promos/preventa-otono.jpg \\
        --event 7001 --opt-in --at 2026-11-28T10:00:00-05:00 --by laura
    python -m bot broadcasts dry-run 3
    python -m bot broadcasts send 3
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.handoff_cli import _call, _run
from bot.settings import get_settings

__all__ = ["add_parser", "parse_vars"]


def parse_vars(items: list[str] | None) -> dict[str, Any]:
    """``name=value`` and ``es.name=value`` (language-specific) into the API's variables."""
    variables: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: --var expects name=value, got {item!r}")
        language, dot, name = key.partition(".")
        if dot and language in ("es", "en"):
            variables.setdefault(language, {})[name] = value
        else:
            variables[key] = value
    return variables


def _print(response: Any, ok: tuple[int, ...] = (200, 201, 202)) -> int:
    try:
        body = response.json()
    except ValueError:
        body = {"error": response.text}
    if response.status_code not in ok:
        print(f"error ({response.status_code}): {body.get('error', body)}", file=sys.stderr)
        return 1
    print(json.dumps(body, ensure_ascii=False), flush=True)
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    segment: dict[str, Any] = {}
    if args.event is not None:
        segment["event_id"] = args.event
    if args.ticket_type:
        segment["ticket_type"] = args.ticket_type
    if args.role:
        segment["role"] = args.role
    if args.language:
        segment["language"] = args.language
    if args.opt_in:
        segment["marketing_opt_in"] = True
    body = {
        "name": args.name,
        "template": args.template,
        "variables": parse_vars(args.var),
        "segment": segment,
        "created_by": args.by,
        "scheduled_for": args.at,
    }
    if args.purpose:
        body["purpose"] = args.purpose
    return _print(_call(get_settings(), "POST", "/broadcasts", json=body))


def cmd_list(args: argparse.Namespace) -> int:
    params = {"status": args.status} if args.status else {}
    response = _call(get_settings(), "GET", "/broadcasts", params=params)
    if response.status_code != 200:
        return _print(response)
    rows = response.json()["broadcasts"]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False), flush=True)
    if not rows:
        print("no broadcasts", file=sys.stderr)
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    params = {"wa_id": args.wa_id} if args.wa_id else {}
    response = _call(get_settings(), "GET", f"/broadcasts/{args.id}/preview", params=params)
    if response.status_code != 200 or args.json:
        return _print(response)
    body = response.json()
    sample = body.get("sample") or {}
    print(f"sample recipient: {sample.get('wa_id', '-')} ({sample.get('language', '-')})")
    for language, shown in body["languages"].items():
        print(f"\n--- {language} ---")
        print(shown.get("text") or f"error: {shown.get('error')}")
    return 0


def _simple(method: str, suffix: str) -> Any:
    def command(args: argparse.Namespace) -> int:
        return _print(_call(get_settings(), method, f"/broadcasts/{args.id}{suffix}"))

    return command


def add_parser(sub: Any) -> None:
    """Register ``broadcasts`` on the ``python -m bot`` parser."""
    broadcasts = sub.add_parser("broadcasts", help="organizer broadcasts (admin API client)")
    actions = broadcasts.add_subparsers(dest="broadcasts_command", required=True)

    create = actions.add_parser("create", help="a draft from a library template")
    create.add_argument("--name", required=True)
    create.add_argument("--template", required=True, help="a library template name")
    create.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="a template value (repeat); es.NAME=… / en.NAME=… for one language",
    )
    create.add_argument("--event", type=int, help="holders of this event (Hi.Events id)")
    create.add_argument("--ticket-type", help="holders of this ticket type")
    create.add_argument("--role", choices=("attendee", "model", "designer", "organizer", "staff"))
    create.add_argument("--language", choices=("es", "en"))
    create.add_argument("--opt-in", action="store_true", help="only people with marketing consent")
    create.add_argument("--purpose", choices=("marketing", "utility"))
    create.add_argument("--at", help="when, ISO 8601 with offset (2026-11-28T10:00:00-05:00)")
    create.add_argument("--by", default="cli", help="who creates it (kept with it)")
    create.set_defaults(func=_run(cmd_create))

    listing = actions.add_parser("list", help="the latest broadcasts")
    listing.add_argument("--status", choices=("draft", "scheduled", "sending", "done", "cancelled"))
    listing.set_defaults(func=_run(cmd_list))

    preview = actions.add_parser("preview", help="the text per language for one recipient")
    preview.add_argument("id", type=int)
    preview.add_argument("--wa-id", help="the sample recipient (default: the first one)")
    preview.add_argument("--json", action="store_true", help="the raw answer")
    preview.set_defaults(func=_run(cmd_preview))

    for name, method, suffix, helptext in (
        ("dry-run", "POST", "/dry-run", "audience after consent, by language and reason"),
        ("send", "POST", "/send", "queue it (marketing waits for the Ley 2300 slot)"),
        ("status", "GET", "", "progress: queued, sent, delivered, read, failed"),
        ("cancel", "POST", "/cancel", "cancel it: queued messages never go"),
    ):
        command = actions.add_parser(name, help=helptext)
        command.add_argument("id", type=int)
        command.set_defaults(func=_run(_simple(method, suffix)))
