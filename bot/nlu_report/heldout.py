"""The held-out sets, parsed in-process by one loaded model.

- ``tests/nlu/test_set.yml`` goes through Rasa's own ``rasa.nlu.test.run_evaluation`` (what
  ``rasa test nlu --nlu tests/nlu/test_set.yml`` does, fallback predictions undone before
  scoring, entity reports per extractor) with the processor of the loaded model; a second,
  plain pass keeps the *final* intents, so a message that ends as ``nlu_fallback`` can also
  be counted as a miss (``test_accuracy_final``).
- ``tests/nlu/out_of_scope.yml`` (a list under ``examples:``) is parsed message by message;
  recall is the share whose final intent is ``nlu_fallback``.

Nothing here trains or writes training data; the model is ``bot.training.ensure_model``'s.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

TEST_SET = PROJECT_ROOT / "tests" / "nlu" / "test_set.yml"
OUT_OF_SCOPE = PROJECT_ROOT / "tests" / "nlu" / "out_of_scope.yml"


def quiet_rasa() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # rasa's per-message progress bars
    warnings.filterwarnings("ignore")  # third-party deprecation noise, not ours
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    for name in ("rasa", "tensorflow", "absl", "matplotlib"):
        logging.getLogger(name).setLevel(logging.WARNING)


def current_model() -> Path:
    """The cached model of the current data and config (trained on a cache miss).

    ``NLU_MODEL=path/to/model.tar.gz`` measures that archive instead (e.g. a model of a
    pipeline under ``configs/pipelines/``).
    """
    if os.environ.get("NLU_MODEL"):
        return Path(os.environ["NLU_MODEL"]).resolve()
    from bot.settings import get_settings
    from bot.training import ensure_model

    # A training on a cache miss prints to stdout; keep stdout for the report's figures.
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        return ensure_model(get_settings())
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def load_agent(model: Path):  # -> rasa.core.agent.Agent
    quiet_rasa()
    from rasa.core.agent import Agent

    return Agent.load(str(model))


def load_test_examples(path: Path = TEST_SET) -> list[tuple[str, str]]:
    """(text, gold intent) of every example of a Rasa NLU file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def training_texts(path: Path = PROJECT_ROOT / "data" / "nlu") -> list[str]:
    """Texts of the training examples (to see how close the test messages are to them)."""
    from rasa.shared.nlu.training_data.loading import load_data

    return [m.get("text") or "" for m in load_data(str(path)).intent_examples]


def nearest_similarity(texts: Sequence[str], reference: Sequence[str]) -> list[float]:
    """For each text, the cosine similarity of its closest reference text.

    TF-IDF over character 3-4-grams within word boundaries, lowercased: 1.0 is the same
    text, about 0.8 and more a near copy (a word or an accent changed).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts or not reference:
        return [0.0] * len(texts)
    lowered = [t.lower() for t in texts]
    ref = [t.lower() for t in reference]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4)).fit(ref + lowered)
    sims = vectorizer.transform(lowered) @ vectorizer.transform(ref).T
    return [float(x) for x in sims.max(axis=1).toarray().ravel()]


def load_oos(path: Path = OUT_OF_SCOPE) -> list[str]:
    examples = yaml.safe_load(path.read_text(encoding="utf-8")).get("examples") or []
    return [str(e) for e in examples]


async def parse_all(processor: Any, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Final intent, confidence, runner-up, wall and CPU time of each text, one at a time."""
    from rasa.core.channels.channel import UserMessage

    results = []
    for text in texts:
        started, cpu_started = time.perf_counter(), time.process_time()
        parsed = await processor.parse_message(UserMessage(text=text))
        elapsed_ms = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
        intent = parsed.get("intent") or {}
        ranking = parsed.get("intent_ranking") or []
        results.append(
            {
                "text": text,
                "intent": intent.get("name"),
                "confidence": intent.get("confidence"),
                "ranking": [(r.get("name"), r.get("confidence")) for r in ranking[:3]],
                "ms": elapsed_ms,
                "cpu_ms": cpu_ms,  # all threads of the process, so it can exceed "ms"
            }
        )
    return results


async def evaluate_test_set(processor: Any, out_dir: Path, path: Path = TEST_SET) -> dict:
    """Rasa's evaluation of ``path`` with this processor; reports also written to ``out_dir``."""
    from rasa.nlu.test import run_evaluation

    out_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before the loop
    result = await run_evaluation(
        str(path),
        processor,
        output_directory=str(out_dir),
        successes=False,
        errors=True,
        disable_plotting=True,
        report_as_dict=True,
        domain_path=str(PROJECT_ROOT / "domain.yml"),
    )
    return result
