"""Custom Rasa NLU components of the assistant (referenced from ``config.yml``).

:class:`OutOfScopeFallback` turns the trained ``out_of_scope`` class into Rasa's
``nlu_fallback``. Why: DIET's softmax over a handful of intents is confident on anything,
so weather questions or gibberish would come out as a confident wrong intent and the
``FallbackClassifier`` threshold alone cannot catch them. We therefore *train* them as
``out_of_scope`` (``data/nlu/out_of_scope.yml``) and report them as ``nlu_fallback``,
exactly like a low-confidence message (see ``INTENTS.md``). The original class stays
second in the ranking, the way ``FallbackClassifier`` does it, so ``rasa test nlu``
(which undoes fallback predictions before scoring) still scores ``out_of_scope``.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

__all__ = ["OUT_OF_SCOPE_INTENT", "OutOfScopeFallback"]

OUT_OF_SCOPE_INTENT = "out_of_scope"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OutOfScopeFallback(GraphComponent, IntentClassifier):
    """Reports the intents listed in ``intents`` (default ``out_of_scope``) as ``nlu_fallback``."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intents": [OUT_OF_SCOPE_INTENT]}

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config
        self._intents = frozenset(config.get("intents") or ())

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OutOfScopeFallback:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.data.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) not in self._intents:
                continue
            fallback = {
                INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY, 1.0),
            }
            message.data[INTENT] = fallback
            ranking = message.data.get(INTENT_RANKING_KEY) or []
            message.data[INTENT_RANKING_KEY] = [fallback, *ranking]
        return messages
