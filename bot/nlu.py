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

import unicodedata
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

__all__ = ["OUT_OF_SCOPE_INTENT", "SYMBOL_INTENTS", "OutOfScopeFallback", "SymbolOnlyClassifier"]

OUT_OF_SCOPE_INTENT = "out_of_scope"


class BuiltFromConfig:
    """Rasa builds graph components through ``create``; ours need nothing but their config."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Any:
        return cls(config)  # type: ignore[call-arg]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OutOfScopeFallback(BuiltFromConfig, GraphComponent, IntentClassifier):
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


#: Messages made only of these symbols mean the intent (skin tones and variation selectors
#: are ignored). Everything else without a letter or a digit is out of scope.
SYMBOL_INTENTS: dict[str, str] = {
    "👍": "affirm",
    "👌": "affirm",
    "✅": "affirm",
    "✔": "affirm",
    "🆗": "affirm",
    "👎": "deny",
    "❌": "deny",
    "👋": "greet",
    "🙏": "thank",
}

_IGNORED = {"\ufe0f", "\u200d"}  # variation selector-16, zero-width joiner


def _symbols(text: str) -> list[str] | None:
    """The symbols of a text without letters or digits, or ``None`` when it has some."""
    symbols = []
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "LN":
            return None
        if char.isspace() or char in _IGNORED or category == "Sk":  # Sk: skin tone modifiers
            continue
        symbols.append(char)
    return symbols


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SymbolOnlyClassifier(BuiltFromConfig, GraphComponent, IntentClassifier):
    """Classifies messages that hold no letter or digit: emoji, punctuation, nothing.

    Why: Rasa's ``WhitespaceTokenizer`` drops emoji, so "👍", "🍕🍕" and "???" all reach
    DIET as the same empty message and come out as one confident intent. A thumbs-up is
    a yes and a wave a greeting (``SYMBOL_INTENTS``); any other symbol-only message is
    ``nlu_fallback``, which the fallback action answers.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text")
            if not isinstance(text, str) or text.startswith("/"):
                continue  # no text, or a button payload that Rasa already parsed
            symbols = _symbols(text)
            if symbols is None:
                continue
            intents = {SYMBOL_INTENTS.get(symbol) for symbol in symbols}
            name = intents.pop() if len(intents) == 1 else None
            chosen = {
                INTENT_NAME_KEY: name or DEFAULT_NLU_FALLBACK_INTENT_NAME,
                PREDICTED_CONFIDENCE_KEY: 1.0,
            }
            message.data[INTENT] = chosen
            ranking = [
                entry
                for entry in message.data.get(INTENT_RANKING_KEY) or []
                if entry.get(INTENT_NAME_KEY) != chosen[INTENT_NAME_KEY]
            ]
            message.data[INTENT_RANKING_KEY] = [chosen, *ranking]
            message.data["entities"] = []
        return messages
