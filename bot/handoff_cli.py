"""``python -m bot handoffs list|release <wa_id>``: the team's hand-off queue from a terminal.

A thin client of the admin API on the action server (``/admin/handoffs``), so the
terminal and any other tool release a hand-off the same way: Rasa is resumed first,
then the hand-off is marked released (see :mod:`bot.http.handoffs`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx

from bot.settings import Settings, get_settings

__all__ = ["add_parser"]


class _NotRunning(RuntimeError):
    pass


def _call(settings: Settings, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": "Bearer " + settings.secret("admin_token")}
    try:
        return httpx.request(
            method, f"{settings.action_url}/admin{path}", headers=headers, timeout=30, **kwargs
        )
    except httpx.HTTPError as exc:
        raise _NotRunning(
            f"the action server does not answer at {settings.action_url}: start the "
            "assistant with `make run`"
        ) from exc


def cmd_list(args: argparse.Namespace) -> int:
    response = _call(get_settings(), "GET", "/handoffs")
    response.raise_for_status()
    handoffs = response.json()["handoffs"]
    for handoff in handoffs:
        print(json.dumps(handoff, ensure_ascii=False), flush=True)
    if not handoffs:
        print("no open hand-offs", file=sys.stderr)
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from bot.cli import normalise_wa_id

    wa_id = normalise_wa_id(args.wa_id)
    response = _call(
        get_settings(), "POST", f"/handoffs/{wa_id}/release", json={"released_by": args.by}
    )
    body = response.json()
    if response.status_code != 200:
        print(f"error: {body.get('error', response.text)}", file=sys.stderr)
        return 1
    print(json.dumps(body, ensure_ascii=False), flush=True)
    return 0


def _run(func: Any) -> Any:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except _NotRunning as exc:
            from bot.cli import EXIT_NOT_RUNNING

            print(f"error: {exc}", file=sys.stderr)
            return EXIT_NOT_RUNNING

    return wrapped


def add_parser(sub: Any) -> None:
    """Register ``handoffs`` on the ``python -m bot`` sub-command parser."""
    handoffs = sub.add_parser("handoffs", help="list or release conversations handed to a person")
    actions = handoffs.add_subparsers(dest="handoffs_command", required=True)
    listing = actions.add_parser("list", help="open hand-offs, oldest first (JSON lines)")
    listing.set_defaults(func=_run(cmd_list))
    release = actions.add_parser("release", help="the team is done: the bot answers again")
    release.add_argument("wa_id", help="the user's phone, e.g. 573001234567 or 300 123 4567")
    release.add_argument("--by", default="cli", help="who releases it (kept in the record)")
    release.set_defaults(func=_run(cmd_release))
