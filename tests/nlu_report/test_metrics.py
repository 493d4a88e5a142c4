"""The pure functions behind ``make nlu-report``, on small hand-made inputs."""

from __future__ import annotations

import math

import pytest

from bot.nlu_report import metrics as m

REPORT = {
    "greet": {"precision": 1.0, "recall": 0.5, "f1-score": 0.6667, "support": 2},
    "buy_ticket": {"precision": 0.5, "recall": 1.0, "f1-score": 0.6667, "support": 1,
                   "confused_with": {}},
    "help": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 3},
    # only predicted, never a gold label of this set
    "out_of_scope": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0},
    "accuracy": 0.8,
    "macro avg": {"precision": 0.6, "recall": 0.6, "f1-score": 0.5834, "support": 6},
    "weighted avg": {"precision": 0.9, "recall": 0.8, "f1-score": 0.8333, "support": 6},
}  # fmt: skip


def test_label_rows_skip_aggregates_and_keep_support() -> None:
    rows = m.label_rows(REPORT)
    assert [r.label for r in rows] == ["greet", "buy_ticket", "help", "out_of_scope"]
    assert rows[0] == m.Row("greet", 1.0, 0.5, 0.6667, 2)


def test_macro_f1_averages_gold_labels_only() -> None:
    # (0.6667 + 0.6667 + 1.0) / 3: the support-0 row is not a class of this set
    assert m.macro_f1(REPORT) == pytest.approx(0.7778, abs=1e-4)
    assert m.macro_f1(REPORT, exclude=["help"]) == pytest.approx(0.6667, abs=1e-4)
    assert m.macro_f1(REPORT, only=["greet", "help", "deny"]) == pytest.approx(0.8333, abs=1e-4)
    assert math.isnan(m.macro_f1(REPORT, only=["deny"]))
    assert math.isnan(m.macro_f1({}))


def test_weighted_f1() -> None:
    assert m.weighted_f1(REPORT) == pytest.approx((0.6667 * 2 + 0.6667 + 3.0) / 6, abs=1e-4)


def test_confused_pairs_counts_errors_most_frequent_first() -> None:
    pairs = [
        ("ask_price", "buy_ticket"),
        ("ask_price", "buy_ticket"),
        ("buy_ticket", "ask_price"),
        ("affirm", "opt_in"),
        ("greet", "greet"),  # correct: ignored
    ]
    assert m.confused_pairs(pairs) == [
        ("ask_price", "buy_ticket", 2),
        ("affirm", "opt_in", 1),
        ("buy_ticket", "ask_price", 1),
    ]
    assert m.confused_pairs(pairs, top=1) == [("ask_price", "buy_ticket", 2)]
    assert m.confused_pairs(pairs, symmetric=True) == [
        ("ask_price", "buy_ticket", 3),
        ("affirm", "opt_in", 1),
    ]
    assert m.confused_pairs([("a", "a")]) == []


def test_pairs_from_rasa_errors_file() -> None:
    errors = [
        {"text": "cuanto vale", "intent": "ask_price",
         "intent_prediction": {"name": "buy_ticket", "confidence": 0.7}},
        {"text": "??", "intent": "help", "intent_prediction": None},
    ]  # fmt: skip
    assert m.pairs_from_errors(errors) == [("ask_price", "buy_ticket"), ("help", "None")]


def test_accuracy() -> None:
    assert m.accuracy([("a", "a"), ("a", "b"), ("b", "b"), ("c", "a")]) == 0.5
    assert math.isnan(m.accuracy([]))


def test_oos_recall_is_share_of_final_fallbacks() -> None:
    intents = ["nlu_fallback", "nlu_fallback", "greet", "nlu_fallback", "out_of_scope"]
    assert m.oos_recall(intents) == pytest.approx(0.6)
    assert m.oos_recall(["nlu_fallback"] * 4) == 1.0
    assert m.oos_recall(["greet"]) == 0.0
    assert math.isnan(m.oos_recall([]))


def test_oos_misses_most_confident_first() -> None:
    results = [
        {"text": "clima", "intent": "nlu_fallback", "confidence": 0.9},
        {"text": "partido", "intent": "list_events", "confidence": 0.55},
        {"text": "tarea", "intent": "help", "confidence": 0.97},
    ]
    misses = m.oos_misses(results)
    assert [x["text"] for x in misses] == ["tarea", "partido"]
    assert misses[0] == {"text": "tarea", "intent": "help", "confidence": 0.97}


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert m.percentile(values, 50) == 50.0
    assert m.percentile(values, 95) == 95.0
    assert m.percentile([3.0, 1.0, 2.0], 100) == 3.0
    assert math.isnan(m.percentile([], 50))


def test_figure_lines() -> None:
    assert m.figure("test_macro_f1", 0.912345) == "test_macro_f1=0.9123"
    assert m.figure("nlu_parse_p95_ms", 12.3456) == "nlu_parse_p95_ms=12.35"
    assert m.figure("oos_messages", 80) == "oos_messages=80"
    assert m.figure("target_oos_recall_met", True) == "target_oos_recall_met=yes"


def test_report_from_pairs() -> None:
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("c", "a")]
    report = m.report_from_pairs(pairs)
    assert set(report) == {"a", "b", "c"}
    assert report["a"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1-score": 0.5, "support": 2}
    )
    assert report["b"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1-score": 2 / 3, "support": 1}
    )
    assert report["c"] == {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 1}
    assert m.macro_f1(report) == pytest.approx((0.5 + 2 / 3 + 0.0) / 3)
    assert m.report_from_pairs([]) == {}


def test_normalize_text() -> None:
    assert m.normalize_text("¿Cuánto VALE la boleta? 🙏") == "cuanto vale la boleta"
    assert m.normalize_text("Qué más pues!!") == m.normalize_text("que mas pues")
    assert m.normalize_text("pa'l desfile") == "pa l desfile"
    assert m.normalize_text("👍") == ""


def test_discordant_counts_errors_of_one_run_only() -> None:
    a = [("hola", "greet"), ("si", "affirm"), ("si", "affirm")]
    b = [("si", "affirm"), ("chao", "goodbye")]
    assert m.discordant(a, b) == (2, 1)
    assert m.discordant([], []) == (0, 0)


def test_mcnemar_exact_p() -> None:
    assert m.mcnemar_p(0, 0) == 1.0
    assert m.mcnemar_p(5, 5) == 1.0
    # 0 vs 6: 2 * (1/2)**6
    assert m.mcnemar_p(0, 6) == pytest.approx(2 / 64)
    assert m.mcnemar_p(6, 0) == m.mcnemar_p(0, 6)
    # 1 vs 9: 2 * (1 + 10) / 1024
    assert m.mcnemar_p(1, 9) == pytest.approx(22 / 1024)
    assert m.mcnemar_p(143, 166) == pytest.approx(0.2107, abs=1e-3)
