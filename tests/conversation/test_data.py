"""Rasa's own checks of the training data, run with the project's venv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RASA = Path(sys.executable).with_name("rasa")

NLU_FILES = sorted((ROOT / "data" / "nlu").glob("*.yml"))


def _env() -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


@pytest.mark.rasa
def test_rasa_data_validate_fails_on_no_warning() -> None:
    result = subprocess.run(
        [str(RASA), "data", "validate", "--fail-on-warnings"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _examples(intent: str) -> list[str]:
    found = []
    for path in NLU_FILES:
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if block.get("intent") == intent:
                found += [line[2:] for line in block["examples"].splitlines() if line]
    return found


@pytest.mark.parametrize("intent", ["greet", "goodbye", "thank", "bot_challenge"])
def test_core_small_talk_has_enough_varied_examples(intent: str) -> None:
    examples = _examples(intent)
    assert len(examples) >= 40
    assert len({e.lower() for e in examples}) == len(examples), "duplicates"


@pytest.mark.parametrize(
    "intent", ["greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help",
               "human_handoff", "out_of_scope"],
)  # fmt: skip
def test_every_intent_has_examples(intent: str) -> None:
    assert len(_examples(intent)) >= 20


def test_test_stories_use_known_intents_and_actions() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    intents.add("nlu_fallback")
    actions = {a if isinstance(a, str) else next(iter(a)) for a in domain["actions"]}
    actions |= set(domain.get("forms") or {})  # a form runs as an action in stories
    stories = [
        story
        for path in sorted((ROOT / "tests" / "conversation" / "stories").glob("*.yml"))
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]
    ]
    for story in stories:
        for step in story["steps"]:
            if "intent" in step:
                assert step["intent"] in intents, story["story"]
                assert step.get("user", "").strip(), "test stories carry the user's text"
            if "action" in step:
                assert step["action"] in actions, story["story"]
