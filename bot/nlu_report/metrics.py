"""Pure functions behind ``make nlu-report``: no Rasa, no files, small inputs in the tests.

Reports are the dicts Rasa writes as ``intent_report.json`` / ``<Extractor>_report.json``
(sklearn's ``classification_report(output_dict=True)`` plus Rasa's ``confused_with``):
one row per label with ``precision``, ``recall``, ``f1-score`` and ``support``, and the
aggregate rows below.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

AGGREGATE_ROWS = frozenset({"accuracy", "macro avg", "weighted avg", "micro avg"})
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Row:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


def label_rows(report: Mapping[str, Any]) -> list[Row]:
    """The per-label rows of a report (aggregate rows left out), in the report's order."""
    rows = []
    for label, values in report.items():
        if label in AGGREGATE_ROWS or not isinstance(values, Mapping):
            continue
        rows.append(
            Row(
                label=label,
                precision=float(values.get("precision", 0.0)),
                recall=float(values.get("recall", 0.0)),
                f1=float(values.get("f1-score", 0.0)),
                support=int(values.get("support", 0)),
            )
        )
    return rows


def macro_f1(
    report: Mapping[str, Any],
    *,
    exclude: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> float:
    """Unweighted mean F1 over the labels that occur in the gold data (support > 0).

    Labels that were only *predicted* (support 0, e.g. ``out_of_scope`` on an in-scope
    test set) are not classes of that set: their false positives already cost the true
    class its recall, so they are not averaged in a second time (sklearn's ``macro avg``
    row does average them, with F1 0). ``exclude`` drops labels (e.g. ``help``); ``only``
    keeps just the given labels (e.g. the intent catalog). NaN when nothing is left.
    """
    excluded = set(exclude)
    kept = set(only) if only is not None else None
    scores = [
        row.f1
        for row in label_rows(report)
        if row.support > 0 and row.label not in excluded and (kept is None or row.label in kept)
    ]
    return sum(scores) / len(scores) if scores else float("nan")


def weighted_f1(report: Mapping[str, Any]) -> float:
    """Support-weighted mean F1 over the labels with support > 0."""
    rows = [row for row in label_rows(report) if row.support > 0]
    total = sum(row.support for row in rows)
    return sum(row.f1 * row.support for row in rows) / total if total else float("nan")


def accuracy(pairs: Iterable[tuple[str, str]]) -> float:
    """Share of (gold, predicted) pairs that agree; NaN for no pairs."""
    pairs = list(pairs)
    return sum(gold == pred for gold, pred in pairs) / len(pairs) if pairs else float("nan")


def report_from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Per-label precision, recall, F1 and support from (gold, predicted) pairs.

    Labels are those seen as gold or as prediction; an undefined ratio (no predictions
    or no gold examples of a label) counts as 0, as sklearn's ``zero_division=0`` does.
    """
    pairs = list(pairs)
    gold_n: Counter[str] = Counter(g for g, _ in pairs)
    pred_n: Counter[str] = Counter(p for _, p in pairs)
    hits: Counter[str] = Counter(g for g, p in pairs if g == p)
    report: dict[str, dict[str, float]] = {}
    for label in sorted(set(gold_n) | set(pred_n)):
        precision = hits[label] / pred_n[label] if pred_n[label] else 0.0
        recall = hits[label] / gold_n[label] if gold_n[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[label] = {
            "precision": precision,
            "recall": recall,
            "f1-score": f1,
            "support": gold_n[label],
        }
    return report


def normalize_text(text: str) -> str:
    """Lowercase, accents and punctuation/emoji removed, words joined by one space.

    Used to find held-out test messages that also occur in the training data.
    """
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", plain))


def pairs_from_errors(errors: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(gold, predicted) pairs from Rasa's ``intent_errors.json`` entries."""
    pairs = []
    for error in errors:
        predicted = error.get("intent_prediction") or {}
        pairs.append((str(error.get("intent")), str(predicted.get("name"))))
    return pairs


def confused_pairs(
    pairs: Iterable[tuple[str, str]], *, top: int | None = 10, symmetric: bool = False
) -> list[tuple[str, str, int]]:
    """The most frequent (gold, predicted, count) confusions, correct pairs ignored.

    With ``symmetric`` a->b and b->a are counted as one pair (sorted label names), which
    shows the pairs that are hard to tell apart in either direction. Ties sort by name.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for gold, pred in pairs:
        if gold == pred:
            continue
        key = tuple(sorted((gold, pred))) if symmetric else (gold, pred)
        counts[key] += 1  # type: ignore[index]
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if top is not None:
        ordered = ordered[:top]
    return [(a, b, n) for (a, b), n in ordered]


def oos_recall(final_intents: Sequence[str], fallback: str = FALLBACK_INTENT) -> float:
    """Share of out-of-scope messages whose final intent is the fallback intent."""
    if not final_intents:
        return float("nan")
    return sum(intent == fallback for intent in final_intents) / len(final_intents)


def oos_misses(
    results: Iterable[Mapping[str, Any]], fallback: str = FALLBACK_INTENT
) -> list[dict[str, Any]]:
    """Parsed out-of-scope messages that did not end as the fallback, most confident first."""
    misses = [
        {"text": r["text"], "intent": r["intent"], "confidence": r.get("confidence")}
        for r in results
        if r["intent"] != fallback
    ]
    return sorted(misses, key=lambda m: -(m["confidence"] or 0.0))


def discordant(
    errors_a: Iterable[tuple[str, str]], errors_b: Iterable[tuple[str, str]]
) -> tuple[int, int]:
    """(only A wrong, only B wrong) for two runs on the same examples, from their errors.

    Errors are (text, gold intent) keys; a key listed twice (a duplicated example) counts
    twice, so the figures match the examples evaluated.
    """
    a, b = Counter(errors_a), Counter(errors_b)
    return sum((a - b).values()), sum((b - a).values())


def mcnemar_p(only_a: int, only_b: int) -> float:
    """Exact two-sided McNemar p-value: are the two runs' discordant errors a fair coin?"""
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): the smallest observed value with at least q %
    of the values at or below it; never interpolated."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def figure(name: str, value: float | int | str) -> str:
    """One ``name=value`` line; floats rounded to 4 places (3 for milliseconds)."""
    if isinstance(value, bool):
        return f"{name}={'yes' if value else 'no'}"
    if isinstance(value, float):
        places = 2 if name.endswith("_ms") or name.endswith("_s") else 4
        return f"{name}={round(value, places)}"
    return f"{name}={value}"
