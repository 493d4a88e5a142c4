"""Staff side: purchases and refund decisions through the admin API and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from bot.ticketing.catalog import find_event, find_ticket_type, upcoming_events
from bot.ticketing.purchase import PurchaseRequest, start_purchase
from bot.ticketing.refund_decisions import request_refund
from tests.support.ticketing import TicketingHarness, running_ticketing


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketingHarness]:
    with running_ticketing(tmp_path_factory.mktemp("admin")) as harness:
        yield harness


def cli(h: TicketingHarness, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STATE_DIR": str(h.settings.state_dir),
        "ACTION_PORT": str(h.settings.action_port),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_admin_routes_need_the_token(h: TicketingHarness) -> None:
    assert httpx.get(f"{h.action_url}/admin/purchases", timeout=10).status_code == 401
    assert httpx.get(f"{h.action_url}/admin/refunds", timeout=10).status_code == 401


def test_purchase_refund_decision_reaches_the_buyer(h: TicketingHarness) -> None:
    ctx = h.ticketing
    wa_id = "573150000001"
    h.open_window(wa_id)

    async def buy_and_request() -> tuple[object, object]:
        events = await upcoming_events(ctx.hi_events, 1)
        event = find_event(events, "Moda Sostenible Fest")
        ticket = find_ticket_type(event, "General")
        purchase = await start_purchase(
            ctx,
            PurchaseRequest(wa_id, "en", event, ticket, 1, "Emma Stone", "emma@example.com"),
        )
        paid = await ctx.store.mark_paid(purchase.id, transaction_id="tx-1", method="NEQUI")
        record, created, why = await request_refund(
            ctx, paid, reason="I can't go", now=ctx.now() + timedelta(days=1)
        )
        assert created and record.eligible and why == "within_term"
        return purchase, record

    purchase, record = h.run(buy_and_request())
    listed = cli(h, "purchases", "list")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["state"] for r in rows if r["reference"] == purchase.reference] in (
        ["paid"],
        ["fulfilled"],  # the worker may already have sent the ticket
    )
    bad = cli(h, "purchases", "list", "--state", "nonsense")
    assert bad.returncode != 0
    refunds = cli(h, "refunds", "list", "--status", "pending")
    assert refunds.returncode == 0 and f'"id": {record.id}' in refunds.stdout
    decided = cli(h, "refunds", "decide", str(record.id), "approve", "--by", "laura")
    assert decided.returncode == 0, decided.stderr
    assert json.loads(decided.stdout)["status"] == "approved"
    h.wait_for(wa_id, lambda ms: "approved the refund" in json.dumps(ms))
    again = cli(h, "refunds", "decide", str(record.id), "reject")
    assert again.returncode == 1 and "no pending" in again.stderr
