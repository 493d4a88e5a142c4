"""Summarise cross-validation runs of several pipelines side by side (for docs/NLU_PIPELINE.md).

    python -m bot.nlu_report.compare results/pipeline-compare/{baseline,spacy}

Each directory is the ``--out`` of ``python -m bot.nlu_report.cv`` (Rasa's reports plus
``fold_times.json``). Prints a Markdown table and the worst intents of each run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.nlu_report import metrics as m
from bot.nlu_report.catalog import CATALOG


def summarise(run: Path) -> dict:
    report = json.loads((run / "intent_report.json").read_text(encoding="utf-8"))
    errors_path = run / "intent_errors.json"
    errors = json.loads(errors_path.read_text(encoding="utf-8")) if errors_path.is_file() else []
    times_path = run / "fold_times.json"
    times = json.loads(times_path.read_text(encoding="utf-8")) if times_path.is_file() else {}
    entity = {}
    for path in sorted(run.glob("*_report.json")):
        if path.name not in ("intent_report.json", "response_selection_report.json"):
            rep = json.loads(path.read_text(encoding="utf-8"))
            entity[path.name.removesuffix("_report.json")] = (rep.get("micro avg") or {}).get(
                "f1-score"
            )
    fold_s = times.get("fold_train_s") or []
    rows = [r for r in m.label_rows(report) if r.support > 0]
    return {
        "name": run.name,
        "folds": times.get("folds"),
        "examples": sum(r.support for r in rows),
        "accuracy": float(report.get("accuracy", float("nan"))),
        "macro_f1": m.macro_f1(report),
        "macro_f1_catalog": m.macro_f1(report, only=CATALOG),
        "weighted_f1": m.weighted_f1(report),
        "entity_micro_f1": entity,
        "errors": len(errors),
        "fold_train_mean_s": sum(fold_s) / len(fold_s) if fold_s else float("nan"),
        "worst": sorted(rows, key=lambda r: (r.f1, r.label))[:6],
        "confused": m.confused_pairs(m.pairs_from_errors(errors), top=6, symmetric=True),
        "error_keys": [(e.get("text"), e.get("intent")) for e in errors],
    }


def main(argv: list[str] | None = None) -> int:
    runs = [summarise(Path(p)) for p in (argv if argv is not None else sys.argv[1:])]
    print("| pipeline | folds | accuracy | macro F1 | macro F1 (catalog) | weighted F1 "
          "| entity micro F1 | errors | train s/fold |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for s in runs:
        ent = ", ".join(f"{k} {v:.3f}" for k, v in s["entity_micro_f1"].items() if v is not None)
        print(
            f"| {s['name']} | {s['folds']} | {s['accuracy']:.4f} | {s['macro_f1']:.4f} "
            f"| {s['macro_f1_catalog']:.4f} | {s['weighted_f1']:.4f} | {ent or '-'} "
            f"| {s['errors']} of {s['examples']} | {s['fold_train_mean_s']:.0f} |"
        )
    first = runs[0] if runs else None
    for s in runs[1:]:
        only_a, only_b = m.discordant(first["error_keys"], s["error_keys"])
        print(
            f"\n{first['name']} vs {s['name']} (same folds): only {first['name']} wrong {only_a}, "
            f"only {s['name']} wrong {only_b}, McNemar exact p={m.mcnemar_p(only_a, only_b):.3f}"
        )
    for s in runs:
        worst = ", ".join(f"{r.label} {r.f1:.3f}" for r in s["worst"])
        confused = ", ".join(f"{a}/{b} {n}" for a, b, n in s["confused"])
        print(f"\n{s['name']}: worst intents (F1): {worst}")
        print(f"{s['name']}: most confused pairs (either direction): {confused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
