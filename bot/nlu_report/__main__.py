"""``make nlu-report`` (``python -m bot.nlu_report``): NLU figures, ``name=value`` lines too.

1. Cross-validation (skipped with ``NLU_CV=0``): ``rasa test nlu --cross-validation`` on
   ``data/nlu`` with ``config.yml``, ``NLU_FOLDS`` folds (default 5), seeded folds, in a
   subprocess (``bot.nlu_report.cv``; log in ``results/nlu-report/cv.log``). It trains a
   model per fold (minutes each); ``NLU_CV=reuse`` prints the last run again and says
   whether config, domain or data changed since.
2. Held-out test set ``tests/nlu/test_set.yml`` with the current model (``ensure_model``).
3. Out-of-scope set ``tests/nlu/out_of_scope.yml``: recall of ``nlu_fallback``.

Writes ``results/nlu-report/{cv,test,oos,summary}.json`` (``NLU_REPORT_OUT`` elsewhere);
``NLU_MODEL=path.tar.gz`` evaluates that model instead of the current one. The held-out
sets are never trained on; the two kinds of figures are printed side by side, never merged.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.nlu_report import metrics as m
from bot.nlu_report.catalog import CATALOG
from bot.settings import PROJECT_ROOT

OUT = Path(os.environ.get("NLU_REPORT_OUT") or PROJECT_ROOT / "results" / "nlu-report")
TARGET_TEST_MACRO_F1 = 0.93
TARGET_OOS_RECALL = 0.85
TOP_CONFUSIONS = 10
NEAR = 0.8  # char n-gram cosine from which a test message has a near copy in training
FIGURES: dict[str, Any] = {}


def emit(name: str, value: float | int | str | bool) -> None:
    FIGURES[name] = value
    print(m.figure(name, value), flush=True)


def heading(title: str) -> None:
    print(f"\n## {title}", flush=True)


def print_rows(rows: list[m.Row], label: str = "intent") -> None:
    width = max([len(label), *(len(r.label) for r in rows)])
    print(f"  {label:<{width}}  precision  recall     f1  support")
    for r in sorted(rows, key=lambda r: (r.f1, r.label)):
        scores = f"{r.precision:9.3f}  {r.recall:6.3f}  {r.f1:5.3f}  {r.support:7d}"
        print(f"  {r.label:<{width}}  {scores}")


def print_confusions(pairs: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    confused = m.confused_pairs(pairs, top=TOP_CONFUSIONS)
    print("  most confused (gold -> predicted: count):")
    for gold, pred, n in confused:
        print(f"    {gold} -> {pred}: {n}")
    if not confused:
        print("    none")
    return confused


def write_json(name: str, data: Any) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


# --- 1. cross-validation -----------------------------------------------------------------


def run_cv(folds: int) -> None:
    heading(
        f"Cross-validation: rasa test nlu --cross-validation, data/nlu, config.yml, {folds} folds"
    )
    from bot.training import fingerprint

    cv_dir = OUT / "cv"
    log = OUT / "cv.log"
    shutil.rmtree(cv_dir, ignore_errors=True)  # no stale reports of an earlier run
    cv_dir.mkdir(parents=True, exist_ok=True)
    # config, domain and data as they were when the run started (for NLU_CV=reuse)
    (cv_dir / "fingerprint.txt").write_text(fingerprint() + "\n", encoding="utf-8")
    print(f"  training {folds} folds (a full NLU training each); log: {log}")
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(  # noqa: S603 - our own module with fixed arguments
            [sys.executable, "-m", "bot.nlu_report.cv", "--config", "config.yml",
             "--nlu", "data/nlu", "--folds", str(folds), "--out", str(cv_dir)],
            cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
    if done.returncode != 0:
        print(f"  cross-validation failed (exit {done.returncode}); see {log}", file=sys.stderr)
        raise SystemExit(done.returncode)
    present_cv(cv_dir)
    emit("cv_wall_s", time.monotonic() - started)


def reuse_cv() -> None:
    """Print the last cross-validation again (``NLU_CV=reuse``), saying whether it is stale."""
    from bot.training import fingerprint

    cv_dir = OUT / "cv"
    heading(f"Cross-validation: reused from {cv_dir} (NLU_CV=reuse), not run now")
    if not (cv_dir / "intent_report.json").is_file():
        print("  no earlier cross-validation found; run `make nlu-report` without NLU_CV")
        return
    recorded = cv_dir / "fingerprint.txt"
    then = recorded.read_text(encoding="utf-8").strip() if recorded.is_file() else "unknown"
    now = fingerprint()
    print(f"  config/domain/data fingerprint then: {then}, now: {now}")
    emit("cv_reused", True)
    emit("cv_fingerprint_matches", then == now)
    present_cv(cv_dir)


def present_cv(cv_dir: Path) -> None:
    report = read_json(cv_dir / "intent_report.json") or {}
    errors = read_json(cv_dir / "intent_errors.json") or []
    times = read_json(cv_dir / "fold_times.json") or {}
    rows = m.label_rows(report)
    print_rows(rows)
    pairs_errors = m.pairs_from_errors(errors)
    confused = print_confusions(pairs_errors)
    entities = _entity_section(cv_dir, "cv")
    emit("cv_folds", int(times.get("folds") or 0))
    emit("cv_examples", sum(r.support for r in rows))
    emit("cv_accuracy", float(report.get("accuracy", float("nan"))))
    emit("cv_macro_f1", m.macro_f1(report))
    emit("cv_macro_f1_catalog", m.macro_f1(report, only=CATALOG))
    emit("cv_weighted_f1", m.weighted_f1(report))
    fold_s = times.get("fold_train_s") or []
    if fold_s:
        emit("cv_fold_train_mean_s", sum(fold_s) / len(fold_s))
    write_json(
        "cv.json",
        {
            "folds": times.get("folds"),
            "seed": times.get("seed"),
            "fold_train_s": fold_s,
            "report": report,
            "confused_pairs": confused,
            "entities": entities,
        },
    )


# --- 2. and 3. held-out sets ----------------------------------------------------------------


def _entity_section(out_dir: Path, prefix: str) -> dict[str, Any]:
    """Per-entity rows of every ``<Extractor>_report.json`` in ``out_dir``."""
    found: dict[str, Any] = {}
    for path in sorted(out_dir.glob("*_report.json")):
        extractor = path.name.removesuffix("_report.json")
        if extractor in ("intent", "response_selection"):
            continue
        report = read_json(path) or {}
        rows = [r for r in m.label_rows(report) if r.label != "no_entity"]
        print(f"  entities ({extractor}):")
        print_rows(rows, label="entity")
        for r in sorted(rows, key=lambda r: r.label):
            emit(f"{prefix}_entity_{r.label}_f1", r.f1)
        micro = report.get("micro avg") or report.get("weighted avg") or {}
        if micro:
            emit(f"{prefix}_entity_micro_f1", float(micro.get("f1-score", float("nan"))))
        found[extractor] = report
    return found


async def run_heldout() -> None:
    from bot.nlu_report import heldout

    heading("Held-out test set: tests/nlu/test_set.yml, current model (never trained on)")
    model = heldout.current_model()
    print(f"  model: {model.name}")
    agent = heldout.load_agent(model)
    processor = agent.processor

    shutil.rmtree(OUT / "test", ignore_errors=True)
    result = await heldout.evaluate_test_set(processor, OUT / "test")
    intents = result.get("intent_evaluation") or {}
    report = intents.get("report") or {}
    predictions = intents.get("predictions") or []
    rows = m.label_rows(report)
    print("  intents (fallback predictions undone, as rasa test nlu scores them):")
    print_rows([r for r in rows if r.support > 0])
    extra = [r for r in rows if r.support == 0]
    if extra:
        print("  predicted but not in the test set: " + ", ".join(f"{r.label}" for r in extra))
    pairs = [(p["intent"], p["predicted"]) for p in predictions]
    confused = print_confusions(pairs)
    entities = _entity_section(OUT / "test", "test")

    examples = heldout.load_test_examples()
    parsed = await heldout.parse_all(processor, [text for text, _ in examples])
    final_pairs = [(gold, p["intent"]) for (_, gold), p in zip(examples, parsed, strict=True)]
    fallback_share = m.oos_recall([p["intent"] for p in parsed])  # share ending as nlu_fallback

    emit("test_examples", len(pairs))
    emit("test_intents", sum(1 for r in rows if r.support > 0))
    emit("test_accuracy", m.accuracy(pairs))
    emit("test_macro_f1", m.macro_f1(report))
    emit("test_macro_f1_catalog", m.macro_f1(report, only=CATALOG))
    emit("test_macro_f1_rasa_row", float((report.get("macro avg") or {}).get("f1-score", math.nan)))
    emit("test_weighted_f1", m.weighted_f1(report))
    emit("test_accuracy_final", m.accuracy(final_pairs))
    emit("test_fallback_share", fallback_share)
    # How close is the test set to the training data? Short stock phrases ("hola", "STOP")
    # occur in both; the "novel" figures leave out every test message with a near copy.
    train = heldout.training_texts()
    seen = {m.normalize_text(t) for t in train}
    nearest = heldout.nearest_similarity([p["text"] for p in predictions], train)
    novel = [
        (p["intent"], p["predicted"])
        for p, sim in zip(predictions, nearest, strict=True)
        if sim < NEAR
    ]
    exact = sum(m.normalize_text(p["text"]) in seen for p in predictions)
    emit("test_seen_in_training_share", exact / len(pairs) if pairs else math.nan)
    emit("test_near_training_share", 1 - len(novel) / len(pairs) if pairs else math.nan)
    emit("test_novel_examples", len(novel))
    emit("test_novel_accuracy", m.accuracy(novel))
    emit("test_novel_macro_f1_catalog", m.macro_f1(m.report_from_pairs(novel), only=CATALOG))
    write_json(
        "test.json",
        {
            "model": model.name,
            "report": report,
            "confused_pairs": confused,
            "errors": [p for p in predictions if p["intent"] != p["predicted"]],
            "final_misses": [
                {
                    "text": p["text"],
                    "gold": gold,
                    "intent": p["intent"],
                    "confidence": p["confidence"],
                }
                for (_, gold), p in zip(examples, parsed, strict=True)
                if p["intent"] != gold
            ],
            "entities": entities,
        },
    )

    heading("Out-of-scope set: tests/nlu/out_of_scope.yml (final intent must be nlu_fallback)")
    oos = heldout.load_oos()
    oos_parsed = await heldout.parse_all(processor, oos)
    recall = m.oos_recall([p["intent"] for p in oos_parsed])
    misses = m.oos_misses(oos_parsed)
    print(f"  misses ({len(misses)} of {len(oos)}):")
    for miss in misses:
        print(f"    {miss['intent']} {miss['confidence']:.2f}  {miss['text']!r}")
    emit("oos_messages", len(oos))
    emit("oos_recall", recall)
    emit("oos_misses", len(misses))
    write_json("oos.json", {"model": model.name, "recall": recall, "misses": misses})


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    cv = os.environ.get("NLU_CV", "1").strip().lower()
    if cv == "reuse":
        reuse_cv()
    elif cv not in ("0", "false", "no", ""):
        run_cv(int(os.environ.get("NLU_FOLDS", "5")))
    else:
        heading("Cross-validation skipped (NLU_CV=0)")
    asyncio.run(run_heldout())

    heading("Targets")
    f1 = FIGURES.get("test_macro_f1_catalog", math.nan)
    recall = FIGURES.get("oos_recall", math.nan)
    emit("target_test_macro_f1_catalog", TARGET_TEST_MACRO_F1)
    emit("target_test_macro_f1_catalog_met", bool(f1 >= TARGET_TEST_MACRO_F1))
    emit("target_oos_recall", TARGET_OOS_RECALL)
    emit("target_oos_recall_met", bool(recall >= TARGET_OOS_RECALL))
    write_json("summary.json", FIGURES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
