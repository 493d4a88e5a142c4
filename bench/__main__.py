"""``make bench``: figures of the inbound path, printed as ``name=value`` lines.

Starts the real stack (rasa server, action server, Wappbíz sandbox) on free ports
with a private state dir, then measures:

- webhook acknowledgement latency under load (signed webhooks posted directly to
  the channel at a fixed rate; a realistic mix of message and status webhooks,
  and messages only);
- end-to-end turn latency (webhook posted -> reply accepted by the emulator) beside
  a raw Rasa turn (``Agent.handle_text`` on the same model, same action server);
- webhooks lost or processed twice (each message id must get exactly one reply
  set, including deliberately duplicated deliveries);
- resident memory of each process;
- NLU parse latency (``bench/nlu.py``, also alone: ``python -m bench nlu``);
- payment webhook → last QR ticket accepted, lost and doubled purchases
  (``bench/purchases.py``, also alone: ``python -m bench purchases``);
- proactive messaging (issue 5): an emergency alert to 5,000 people, time to queue and
  to the first 1,000 accepted (``bench/emergency.py``, ``python -m bench emergency``),
  and a 10,000-recipient broadcast at the rate limit, then the same with the worker
  SIGKILLed halfway and restarted (``bench/broadcast.py``, ``python -m bench broadcast``;
  about 5 minutes: ``BENCH_PROACTIVE=0`` leaves both out).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

from bench import emergency as bench_emergency
from bench import nlu as bench_nlu
from bench import purchases as bench_purchases
from bench.load import build_request, run_open_loop
from bot.storage.store import Store
from bot.whatsapp.signature import sign
from tests.support.payloads import envelope, status
from tests.support.payloads import text_message as message
from tests.support.stack import RunningStack, start_stack

TEXTS_ES = ["hola", "hola parce", "buenas", "gracias", "chao", "eres un bot?", "qué más pues"]
TEXTS_EN = ["hi", "hello there", "thanks a lot", "bye", "are you a bot?"]


def emit(name: str, value: float | int) -> None:
    print(f"{name}={round(value, 2) if isinstance(value, float) else value}", flush=True)


def emit_text(name: str, value: str) -> None:
    print(f"{name}={value}", flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class Poster:
    def __init__(self, running: RunningStack) -> None:
        self.url = running.webhook_url
        self.secret = running.settings.secret("wappbiz_app_secret")
        self.http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=64))

    async def post(self, payload: dict) -> tuple[float, int]:
        body = json.dumps(payload, ensure_ascii=True).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body, self.secret),
        }
        started = time.perf_counter()
        response = await self.http.post(self.url, content=body, headers=headers)
        return (time.perf_counter() - started) * 1000, response.status_code


async def open_windows(running: RunningStack, wa_ids: list[str]) -> None:
    """Webhooks posted directly bypass the emulator, so open each 24-hour window by hand."""
    async with httpx.AsyncClient(timeout=10) as http:
        for wa_id in wa_ids:
            url = f"{running.sandbox_url}/sandbox/api/conversations/{wa_id}/window"
            (await http.post(url, json={"open": True})).raise_for_status()


async def ack_load(
    running: RunningStack, rate: float, seconds: float, message_share: float, senders: int
) -> tuple[list[float], int]:
    """Post signed webhooks at a fixed rate (open loop, requests built beforehand)."""
    secret = running.settings.secret("wappbiz_app_secret")
    every = max(1, round(1 / message_share)) if message_share > 0 else 0
    requests = []
    for i in range(int(rate * seconds)):
        if every and i % every == 0:
            wa_id = f"57300{(i // every) % senders:07d}"
            payload = envelope([message(wa_id, TEXTS_ES[i % len(TEXTS_ES)])])
        else:
            payload = envelope(statuses=[status(f"wamid.ack{uuid.uuid4().hex}", "delivered")])
        body = json.dumps(payload, ensure_ascii=True).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret)}
        requests.append(build_request(running.webhook_url, body, headers))
    return await run_open_loop(running.webhook_url, requests, rate)


async def wait_idle(running: RunningStack, store: Store, timeout: float = 300) -> None:
    """Until the inbox has no pending rows (the backlog of the load phase is worked off)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not await store.pending_inbound(limit=1):
            return
        await asyncio.sleep(0.5)


async def e2e_turns(running: RunningStack, poster: Poster, n: int) -> list[float]:
    """Sequential turns; the reply is seen through the emulator's long-poll."""
    results = []
    async with httpx.AsyncClient(timeout=40) as http:
        for i in range(n):
            wa_id = f"5731{i % 50:08d}"
            text = (TEXTS_ES + TEXTS_EN)[i % (len(TEXTS_ES) + len(TEXTS_EN))]
            url = f"{running.sandbox_url}/sandbox/api/conversations/{wa_id}/messages"
            last = (await http.get(url, params={"after": 0})).json().get("last_seq", 0)
            started = time.perf_counter()
            _, code = await poster.post(envelope([message(wa_id, text)]))
            assert code == 200
            while True:
                data = (await http.get(url, params={"after": last, "wait": 20})).json()
                last = data.get("last_seq", last)
                if any(m["direction"] == "out" for m in data["messages"]):
                    results.append((time.perf_counter() - started) * 1000)
                    break
            await asyncio.sleep(1.0)  # let the rest of the turn finish before the next
    return results


async def raw_rasa_turns(model: Path, action_url: str, n: int) -> list[float]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # debug logging would slow the raw turn unfairly
    logging.getLogger("rasa").setLevel(logging.WARNING)

    agent = Agent.load(str(model), action_endpoint=EndpointConfig(url=f"{action_url}/webhook"))
    texts = TEXTS_ES + TEXTS_EN
    for i in range(3):
        await agent.handle_text(texts[i], sender_id=f"warm{i}")
    results = []
    for i in range(n):
        started = time.perf_counter()
        await agent.handle_text(texts[i % len(texts)], sender_id=f"raw{i % 50}")
        results.append((time.perf_counter() - started) * 1000)
    return results


async def lost_and_doubled(
    running: RunningStack, poster: Poster, store: Store, n: int
) -> tuple[int, int]:
    """n unique messages, every fifth delivered twice.

    Rasa's tracker says how often each message id reached the dialogue: lost is a
    message with no user event or no reply, doubled one with two user events.
    """
    sent: dict[str, str] = {}
    for i in range(n):
        wa_id = f"5732{i:08d}"
        msg = message(wa_id, TEXTS_ES[i % len(TEXTS_ES)])
        sent[msg["id"]] = wa_id
        await poster.post(envelope([msg]))
        if i % 5 == 0:
            await poster.post(envelope([msg]))
    await wait_idle(running, store)
    await asyncio.sleep(2)
    lost = doubled = 0
    token = running.settings.secret("rasa_api_token")
    async with httpx.AsyncClient(timeout=30) as http:
        for wamid, wa_id in sent.items():
            tracker = (
                await http.get(
                    f"{running.settings.rasa_url}/conversations/{wa_id}/tracker",
                    params={"token": token},
                )
            ).json()
            user_events = [
                e
                for e in tracker.get("events", [])
                if e.get("event") == "user" and e.get("message_id") == wamid
            ]
            replies = [
                r for r in await store.list_outbound(wa_id=wa_id) if r.reply_to_wamid == wamid
            ]
            if not user_events or not replies:
                lost += 1
            elif len(user_events) > 1:
                doubled += 1
    return lost, doubled


def rss_mb(pids: dict[str, int]) -> dict[str, float]:
    out = {}
    for name, pid in pids.items():
        try:
            proc = psutil.Process(pid)
            total = proc.memory_info().rss + sum(
                c.memory_info().rss for c in proc.children(recursive=True)
            )
            out[name] = total / 1024 / 1024
        except psutil.Error:
            out[name] = float("nan")
    return out


async def main_async(running: RunningStack) -> None:
    poster = Poster(running)
    store = Store(running.settings.resolved_database_url)
    await store.start()
    try:
        rate = float(os.environ.get("BENCH_RATE", "200"))
        seconds = float(os.environ.get("BENCH_SECONDS", "10"))
        # A realistic mix: per inbound message about three status webhooks (sent, delivered, read).
        await open_windows(running, [f"57300{i:07d}" for i in range(200)])
        await open_windows(running, [f"5731{i:08d}" for i in range(50)])
        await open_windows(
            running, [f"5732{i:08d}" for i in range(int(os.environ.get("BENCH_UNIQUE", "100")))]
        )
        lat, errors = await ack_load(running, rate, seconds, message_share=0.05, senders=100)
        emit("ack_rate_per_s", rate)
        emit("ack_webhooks", len(lat))
        emit("ack_p50_ms", pct(lat, 50))
        emit("ack_p99_ms", pct(lat, 99))
        emit("ack_errors", errors)
        await wait_idle(running, store)
        lat3, errors3 = await ack_load(running, rate, seconds, message_share=0.0, senders=1)
        emit("ack_statuses_only_p50_ms", pct(lat3, 50))
        emit("ack_statuses_only_p99_ms", pct(lat3, 99))
        emit("ack_statuses_only_errors", errors3)
        lat2, errors2 = await ack_load(running, rate, seconds / 2, message_share=1.0, senders=200)
        emit("ack_messages_only_p50_ms", pct(lat2, 50))
        emit("ack_messages_only_p99_ms", pct(lat2, 99))
        emit("ack_messages_only_errors", errors2)
        await wait_idle(running, store)

        n = int(os.environ.get("BENCH_TURNS", "60"))
        e2e = await e2e_turns(running, poster, n)
        raw = await raw_rasa_turns(running.stack.model, running.settings.action_url, n)
        emit("turn_e2e_p50_ms", pct(e2e, 50))
        emit("turn_e2e_p95_ms", pct(e2e, 95))
        emit("turn_raw_rasa_p50_ms", pct(raw, 50))
        emit("turn_raw_rasa_p95_ms", pct(raw, 95))
        emit("turn_p95_ratio", pct(e2e, 95) / pct(raw, 95))
        emit("turn_p95_budget_ms", 1.5 * pct(raw, 95) + 30)

        lost, doubled = await lost_and_doubled(
            running, poster, store, int(os.environ.get("BENCH_UNIQUE", "100"))
        )
        emit("webhooks_lost", lost)
        emit("webhooks_doubled", doubled)
        for name, mb in rss_mb(running.stack.pids()).items():
            emit(f"rss_{name}_mb", mb)
        emit("rss_bench_raw_agent_mb", psutil.Process().memory_info().rss / 1024 / 1024)
        emit("mean_turn_e2e_ms", statistics.fmean(e2e))
    finally:
        await poster.http.aclose()
        await store.close()


def main() -> int:
    if sys.argv[1:] == ["nlu"]:  # `python -m bench nlu`: only the NLU parse latency
        return bench_nlu.main()
    if sys.argv[1:] == ["purchases"]:  # `python -m bench purchases`: payment → QR tickets
        return bench_purchases.main()
    if sys.argv[1:] == ["broadcast"]:  # `python -m bench broadcast`: 10,000 at the rate limit
        return __import__("bench.broadcast", fromlist=["main"]).main()
    if sys.argv[1:] == ["emergency"]:  # `python -m bench emergency`: alert to 5,000 people
        return bench_emergency.main()
    with tempfile.TemporaryDirectory(prefix="fashionistas-bench-") as tmp:
        print(f"# starting the stack in {tmp} ...", file=sys.stderr, flush=True)
        env = {"LOG_LEVEL": "WARNING"}
        if os.environ.get("BENCH_DATABASE_URL"):  # e.g. PostgreSQL instead of embedded SQLite
            env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
        emit_text("database", (env.get("DATABASE_URL") or "sqlite").split(":")[0])
        running = start_stack(Path(tmp), env)
        try:
            asyncio.run(main_async(running))
        finally:
            running.stack.stop()
    bench_purchases.main()  # in-process (sandbox + action server), after the stack stopped
    status = bench_nlu.main()
    if os.environ.get("BENCH_PROACTIVE", "1") != "0":
        status = bench_emergency.main() or status
        status = __import__("bench.broadcast", fromlist=["main"]).main() or status
    return status


if __name__ == "__main__":
    sys.exit(main())
