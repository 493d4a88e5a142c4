"""Run every Rasa test story in tests/conversation/stories against the trained model.

The stories carry the user's text, so `--e2e` checks the NLU and the dialogue policies
together; one `rasa test core` process covers all files (loading the model dominates).
Rasa reads only files named ``test_*`` as test stories and passes "0 of 0" otherwise, so
the names are checked and the number of stories evaluated must match the files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings
from bot.training import ensure_model

ROOT = Path(__file__).resolve().parents[2]
RASA = Path(sys.executable).with_name("rasa")
STORIES = ROOT / "tests" / "conversation" / "stories"


def _story_count() -> int:
    return sum(
        len(yaml.safe_load(path.read_text(encoding="utf-8"))["stories"])
        for path in STORIES.glob("*.yml")
    )


def test_story_files_are_named_so_that_rasa_reads_them() -> None:
    names = sorted(path.name for path in STORIES.glob("*.yml"))
    assert names, "no test stories"
    assert all(name.startswith("test_") for name in names), names


@pytest.mark.rasa
def test_every_test_story_passes(tmp_path: Path) -> None:
    model = ensure_model(Settings())
    result = subprocess.run(
        [
            str(RASA), "test", "core",
            "--stories", str(STORIES),
            "--model", str(model),
            "--e2e",
            "--fail-on-prediction-errors",
            "--out", str(tmp_path / "results"),
            "--no-plot",
        ],
        cwd=ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    failed = tmp_path / "results" / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, (detail or result.stdout[-3000:]) + result.stderr[-3000:]
    assert "story" not in detail.replace("stories:", ""), detail
    report = json.loads((tmp_path / "results" / "story_report.json").read_text(encoding="utf-8"))
    evaluated = report["conversation_accuracy"]["total"]
    assert evaluated == _story_count(), f"Rasa evaluated {evaluated} stories"
