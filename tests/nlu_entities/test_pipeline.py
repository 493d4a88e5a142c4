"""EntityNormalizer as a pipeline component: the config lines build a valid Rasa graph, and
a model trained with it normalizes entities when Rasa parses a message."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = "bot.nlu_entities.EntityNormalizer"

pytestmark = pytest.mark.rasa


def with_normalizer(config: dict[str, Any]) -> dict[str, Any]:
    """The project's config.yml with the component right after EntitySynonymMapper."""
    config = copy.deepcopy(config)
    pipeline = [c for c in config["pipeline"] if c["name"] != COMPONENT]
    at = next(i for i, c in enumerate(pipeline) if c["name"] == "EntitySynonymMapper")
    pipeline.insert(at + 1, {"name": COMPONENT})
    config["pipeline"] = pipeline
    return config


def test_the_project_pipeline_with_the_component_is_a_valid_graph() -> None:
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.validation import validate

    config = with_normalizer(yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8")))
    graph = DefaultV1Recipe().graph_config_for_recipe(config, {})
    validate(graph)
    nodes = graph.predict_schema.nodes
    [normalizer] = [n for n in nodes if "EntityNormalizer" in n]
    [mapper] = [n for n in nodes if "EntitySynonymMapper" in n]
    assert mapper in nodes[normalizer].needs.values()  # runs on the mapper's output
    assert not any("EntityNormalizer" in n for n in graph.train_schema.nodes)  # no training


NLU = """
version: "3.1"
nlu:
- intent: buy_ticket
  examples: |
    - quiero [dos](quantity) boletas para [el sábado](date)
    - [2](quantity) tickets for [tomorrow at 8pm](date)
- intent: change_language
  examples: |
    - en [inglés](language) por favor
- lookup: quantity
  examples: |
    - dos
    - un par
    - 2
- lookup: date
  examples: |
    - el sábado
    - mañana a las 8
    - tomorrow at 8pm
- lookup: language
  examples: |
    - inglés
    - English
- synonym: "2"
  examples: |
    - dos
    - un par
- synonym: en
  examples: |
    - inglés
"""

CONFIG = f"""
recipe: default.v1
language: es
pipeline:
  - name: WhitespaceTokenizer
  - name: KeywordIntentClassifier
  - name: RegexEntityExtractor
    use_lookup_tables: true
  - name: EntitySynonymMapper
  - name: {COMPONENT}
"""


async def test_a_trained_model_normalizes_when_rasa_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trained and loaded by Rasa itself (no TensorFlow model: regex extraction keeps it fast)."""
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.model_training import train_nlu

    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "cache"))
    (tmp_path / "nlu.yml").write_text(NLU, encoding="utf-8")
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    model = train_nlu(
        str(tmp_path / "config.yml"), str(tmp_path / "nlu.yml"), str(tmp_path / "models")
    )
    assert model
    agent = Agent.load(model)

    message = UserMessage(
        "hola, quiero un par de boletas para el sábado, en inglés",
        metadata={"timestamp": "2026-11-25T20:00:00+00:00"},  # Wednesday 15:00 in Bogotá
    )
    parsed = await agent.processor.parse_message(message)
    by_type = {e["entity"]: e for e in parsed["entities"]}
    assert by_type["quantity"]["value"] == 2
    assert by_type["quantity"]["text"] == "un par"
    assert by_type["date"]["value"] == "2026-11-28"
    assert by_type["date"]["additional_info"] == {"resolved": True, "grain": "day"}
    assert by_type["language"]["value"] == "en"
    assert "EntityNormalizer" in by_type["quantity"]["processors"]

    english = await agent.processor.parse_message(
        UserMessage("2 tickets for tomorrow at 8pm", metadata={"timestamp": 1796922000})
    )
    [date] = [e for e in english["entities"] if e["entity"] == "date"]
    assert date["value"] == "2026-12-11T20:00:00-05:00"  # written on 10 December
