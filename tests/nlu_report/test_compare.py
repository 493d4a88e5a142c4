"""The side-by-side summary of cross-validation runs, on a hand-made run directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.nlu_report.compare import main, summarise


def _run(tmp_path: Path) -> Path:
    run = tmp_path / "baseline"
    run.mkdir()
    report = {
        "ask_price": {"precision": 1.0, "recall": 0.5, "f1-score": 0.6, "support": 2},
        "buy_ticket": {"precision": 0.6667, "recall": 1.0, "f1-score": 0.8, "support": 2},
        "accuracy": 0.75,
        "macro avg": {"f1-score": 0.7333, "support": 4},
    }
    errors = [
        {"text": "cuanto", "intent": "ask_price",
         "intent_prediction": {"name": "buy_ticket", "confidence": 0.6}},
    ]  # fmt: skip
    (run / "intent_report.json").write_text(json.dumps(report))
    (run / "intent_errors.json").write_text(json.dumps(errors))
    (run / "DIETClassifier_report.json").write_text(
        json.dumps({"event": {"f1-score": 0.5, "support": 2}, "micro avg": {"f1-score": 0.5}})
    )
    (run / "fold_times.json").write_text(json.dumps({"folds": 2, "fold_train_s": [10.0, 20.0]}))
    return run


def test_summarise(tmp_path: Path) -> None:
    s = summarise(_run(tmp_path))
    assert s["examples"] == 4
    assert s["accuracy"] == 0.75
    assert s["macro_f1"] == pytest.approx(0.7)
    assert s["fold_train_mean_s"] == 15.0
    assert s["entity_micro_f1"] == {"DIETClassifier": 0.5}
    assert s["confused"] == [("ask_price", "buy_ticket", 1)]
    assert [r.label for r in s["worst"]] == ["ask_price", "buy_ticket"]


def test_main_prints_a_markdown_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(_run(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "| baseline | 2 | 0.7500 | 0.7000 |" in out
    assert "1 of 4" in out
