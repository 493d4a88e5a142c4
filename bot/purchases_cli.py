"""``python -m bot purchases list`` and ``python -m bot refunds list|decide``: staff tools.

Thin clients of the admin API (``/admin/purchases``, ``/admin/refunds``), like the
hand-off commands: a purchase stuck in ``paid`` shows its ``last_error`` while the
fulfilment worker retries it, and a refund decision is sent to the buyer by the server.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.handoff_cli import _call, _run
from bot.settings import get_settings

__all__ = ["add_parser"]


def _print_rows(rows: list[dict[str, Any]], empty: str) -> int:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False), flush=True)
    if not rows:
        print(empty, file=sys.stderr)
    return 0


def cmd_purchases(args: argparse.Namespace) -> int:
    params = {"state": args.state} if args.state else {}
    response = _call(get_settings(), "GET", "/purchases", params=params)
    if response.status_code != 200:
        print(f"error: {response.json().get('error', response.text)}", file=sys.stderr)
        return 1
    return _print_rows(response.json()["purchases"], "no purchases")


def cmd_refunds(args: argparse.Namespace) -> int:
    params = {"status": args.status} if args.status else {}
    response = _call(get_settings(), "GET", "/refunds", params=params)
    response.raise_for_status()
    return _print_rows(response.json()["refunds"], "no refund requests")


def cmd_decide(args: argparse.Namespace) -> int:
    body = {"approved": args.decision == "approve", "decided_by": args.by, "note": args.note}
    response = _call(get_settings(), "POST", f"/refunds/{args.id}/decision", json=body)
    if response.status_code != 200:
        print(f"error: {response.json().get('error', response.text)}", file=sys.stderr)
        return 1
    print(json.dumps(response.json(), ensure_ascii=False), flush=True)
    return 0


def add_parser(sub: Any) -> None:
    """Register ``purchases`` and ``refunds`` on the ``python -m bot`` parser."""
    purchases = sub.add_parser("purchases", help="ticket purchases (paid ones not yet sent, ...)")
    purchases_sub = purchases.add_subparsers(dest="purchases_command", required=True)
    listing = purchases_sub.add_parser("list", help="purchases, newest first")
    listing.add_argument(
        "--state",
        choices=("awaiting_payment", "paid", "fulfilled", "expired", "flagged", "cancelled"),
        help="only this state (paid = paid, tickets not yet sent)",
    )
    listing.set_defaults(func=_run(cmd_purchases))

    refunds = sub.add_parser("refunds", help="refund requests (Ley 1480) and staff decisions")
    refunds_sub = refunds.add_subparsers(dest="refunds_command", required=True)
    listing = refunds_sub.add_parser("list", help="refund requests, newest first")
    listing.add_argument("--status", choices=("pending", "approved", "rejected"))
    listing.set_defaults(func=_run(cmd_refunds))
    decide = refunds_sub.add_parser("decide", help="approve or reject; the buyer is told")
    decide.add_argument("id", type=int, help="the request id (RF-00042 → 42)")
    decide.add_argument("decision", choices=("approve", "reject"))
    decide.add_argument("--by", default="staff", help="who decided (kept with the decision)")
    decide.add_argument("--note", default=None, help="a sentence for the buyer")
    decide.set_defaults(func=_run(cmd_decide))
