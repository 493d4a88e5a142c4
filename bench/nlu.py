"""NLU parse latency: the held-out test messages parsed in-process by one loaded model.

``python -m bench nlu`` runs only this; ``make bench`` runs it after the stack figures.
What is timed is ``MessageProcessor.parse_message`` (the whole NLU pipeline, the same call
a Rasa turn makes), one message at a time after a warm-up, on the current model
(``bot.training.ensure_model``). Target: p95 under 20 ms.
"""

from __future__ import annotations

import asyncio
import os
import sys

from bot.nlu_report import heldout
from bot.nlu_report.metrics import figure, percentile

TARGET_P95_MS = 20.0


def emit(name: str, value: float | int | bool) -> None:
    print(figure(name, value), flush=True)


async def measure(rounds: int, warmup: int) -> tuple[list[float], list[float]]:
    model = heldout.current_model()
    print(f"# nlu: parsing with {model.name}", file=sys.stderr, flush=True)
    processor = heldout.load_agent(model).processor
    texts = [text for text, _ in heldout.load_test_examples()]
    await heldout.parse_all(processor, texts[:warmup])  # graph, TF functions, caches
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        results = await heldout.parse_all(processor, texts)
        wall += [r["ms"] for r in results]
        cpu += [r["cpu_ms"] for r in results]
    return wall, cpu


def main() -> int:
    rounds = int(os.environ.get("BENCH_NLU_ROUNDS", "3"))
    warmup = int(os.environ.get("BENCH_NLU_WARMUP", "30"))
    load_before = os.getloadavg()[0]
    timings, cpu = asyncio.run(measure(rounds, warmup))
    p95 = percentile(timings, 95)
    emit("nlu_parse_messages", len(timings))
    emit("nlu_parse_p50_ms", percentile(timings, 50))
    emit("nlu_parse_p95_ms", p95)
    emit("nlu_parse_p99_ms", percentile(timings, 99))
    emit("nlu_parse_max_ms", max(timings))
    # CPU time of the process per parse: what the parse costs, whatever else the machine
    # runs; the wall-clock figures above include waiting for a core on a busy machine.
    emit("nlu_parse_cpu_p50_ms", percentile(cpu, 50))
    emit("nlu_parse_cpu_p95_ms", percentile(cpu, 95))
    emit("nlu_parse_loadavg_1m", max(load_before, os.getloadavg()[0]))
    emit("nlu_parse_cpus", os.cpu_count() or 0)
    emit("nlu_parse_p95_target_ms", TARGET_P95_MS)
    emit("nlu_parse_p95_target_met", p95 < TARGET_P95_MS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
