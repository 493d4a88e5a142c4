"""Normalize the values of extracted entities (a custom Rasa graph component).

:class:`EntityNormalizer` runs after ``DIETClassifier`` and ``EntitySynonymMapper``
and turns each entity's ``value`` into something an action can use, keeping what the
person wrote in ``text``:

- ``quantity``: an ``int`` from digits or words in Spanish and English ("dos", "un
  par", "2x", "x2", "two", "a couple", "media docena", "veinte"), within 1–50;
- ``date``: resolved to Bogotá time relative to the message (``bot.nlu_dates``): an
  ISO date, an ISO datetime, or a ``{"from", "to", "grain"}`` range;
- ``email``: trimmed and lowercased; ``language``: an ISO 639-1 code (es, en, pt, fr);
- ``event`` and ``ticket_type`` are left as ``EntitySynonymMapper`` canonicalized them.

Each entity it touches gets ``additional_info`` (``resolved``; for dates ``grain`` and
how an hour without am/pm was read) and ``EntityNormalizer`` in ``processors``. A value
it cannot resolve stays as it was, with ``"resolved": False`` and a ``reason``.

DIET often splits dates or leaves words out ("[el jueves](date) a las 3", "[12 de]
(quantity) [diciembre](date)"): a date also reads the words around it and an adjacent
date entity, a quantity that is really an hour or a day of a date is removed, and one
that names a month or weekday becomes a date. Spans are never changed. Why a
component and not the actions: the slots, the stories and every action see the same
value, and ``rasa shell nlu`` shows it. Formats and rules: docs/decisions/entities.md.

"Now" is the message's ``metadata["timestamp"]`` (set by ``bot.whatsapp.inbound``),
else the component's ``now`` setting (tests), else :data:`clock` (module level, so tests
can replace it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TEXT,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import BuiltFromConfig
from bot.nlu_dates import (
    BOGOTA,
    NUMBER_WORDS,
    fold,
    has_date_word,
    is_month_name,
    resolve_date,
    warm,
    words_to_number,
)

__all__ = [
    "EntityNormalizer",
    "clock",
    "normalize_email",
    "normalize_language",
    "normalize_quantity",
]

log = logging.getLogger(__name__)

ADDITIONAL_INFO = "additional_info"
METADATA_TIMESTAMP = "timestamp"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


#: Where "now" comes from when a message carries no timestamp; tests replace it.
clock: Callable[[], datetime] = _utc_now


# --- quantity ---------------------------------------------------------------------------
_QUANTITY_PHRASES = {
    "media docena": 6, "half a dozen": 6, "half dozen": 6,
    "una docena": 12, "a dozen": 12, "docena": 12, "dozen": 12,
    "un par": 2, "par": 2, "un parcito": 2, "a couple": 2, "couple": 2, "a pair": 2, "pair": 2,
    "una sola": 1, "solo una": 1, "solo uno": 1, "una nomas": 1, "just one": 1,
    "only one": 1, "a single": 1, "single": 1,
}  # fmt: skip
_QUANTITY_NOISE = frozenset(
    "de of solo sola solamente nomas just only unas unos como about around aprox approx "
    "mas o menos x boleta boletas boletica boleticas boleto boletos entrada entradas tiquete "
    "tiquetes ticket tickets pases pase persona personas people pax para for".split()
)
_QUANTITY_DIGITS = re.compile(r"^(?:x\s*)?(\d{1,4})(?:\s*x)?$")


def normalize_quantity(text: str) -> int | None:
    """ "dos" -> 2, "un par de" -> 2, "2x" -> 2, "half a dozen" -> 6; None if unknown."""
    t = re.sub(r"[^\w\s]", " ", fold(str(text)))
    t = re.sub(r"\s+", " ", t).strip()
    if not t:
        return None
    digits = _QUANTITY_DIGITS.match(t)
    if digits:
        return int(digits.group(1))
    if t in _QUANTITY_PHRASES:
        return _QUANTITY_PHRASES[t]
    words = [w for w in t.split() if w not in _QUANTITY_NOISE]
    joined = " ".join(words)
    if joined in _QUANTITY_PHRASES:
        return _QUANTITY_PHRASES[joined]
    if len(words) == 1:
        digits = _QUANTITY_DIGITS.match(words[0]) or re.fullmatch(r"x?(\d{1,4})x?", words[0])
        if digits:
            return int(digits.group(1))
    return words_to_number(words) if all(w in NUMBER_WORDS or w == "y" for w in words) else None


# --- language ---------------------------------------------------------------------------
_LANGUAGES = {
    "es": "es espanol spanish castellano espanish espaniol spanihs espanhol",
    "en": "en ingles english inglish ingl engles englis englsh",
    "pt": "pt portugues portuguese portugesa portuguesa brasilero brasileiro portugal",
    "fr": "fr frances french francais francesa",
}
_LANGUAGE_CODES = {word: code for code, words in _LANGUAGES.items() for word in words.split()}
_LANGUAGE_NOISE = frozenset(
    "en in el la al a idioma lengua language to the de please por favor mejor better".split()
)


def normalize_language(text: str) -> str | None:
    """ "inglés" -> "en", "en español" -> "es", "Portuguese" -> "pt"; None if unknown."""
    t = re.sub(r"[^\w\s]", " ", fold(str(text))).split()
    if len(t) == 1 and t[0] in _LANGUAGE_CODES:
        return _LANGUAGE_CODES[t[0]]
    for word in t:
        if word not in _LANGUAGE_NOISE and word in _LANGUAGE_CODES:
            return _LANGUAGE_CODES[word]
    return None


# --- email ------------------------------------------------------------------------------
_EMAIL_RE = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$")


def normalize_email(text: str) -> tuple[str, bool]:
    """Trim, lowercase, drop a ``mailto:`` and wrapping punctuation; (value, looks valid)."""
    value = str(text).strip().strip("<>()[]{}\"'.,;:!?¿¡ ").lower()
    if value.startswith("mailto:"):
        value = value[len("mailto:") :]
    return value, bool(_EMAIL_RE.match(value))


# --- the component ----------------------------------------------------------------------
#: Words next to a date entity that DIET often leaves out of it; the date reads them:
#: a time after a day ("el jueves" + "a las 3"),
_TRAILING_TIME = re.compile(
    r"^\s*,?\s*(?:(?:a\s+las?|at|@|tipo|como\s+a\s+las?)\s+\d{1,2}(?:[:h]\d{2})?"
    r"|\d{1,2}(?::\d{2})\s*|\d{1,2}\s*(?=[ap]\.?\s?m))"
    r"(?:\s*[ap]\.?\s?m\.?)?(?:\s+y\s+(?:media|cuarto))?"
    r"(?:\s+(?:de|en|por)\s+la\s+(?:mañana|manana|tarde|noche|madrugada))?",
    re.IGNORECASE,
)
#: a modifier after a period ("el año" + "pasado", "el mes" + "que viene"),
_TRAILING_MODIFIER = re.compile(
    r"^\s+(?:pasad[oa]|que\s+viene|que\s+sigue|entrante|siguiente)\b", re.IGNORECASE
)
#: the day before or after a month ("12 de" + "diciembre", "December" + "12").
_LEADING_DAY = re.compile(
    r"(?<![\w/.:])(?:\d{1,2}(?:st|nd|rd|th|ro)?|primero)\s+(?:de\s+|of\s+)?$", re.IGNORECASE
)
_LEADING_PASADO = re.compile(r"(?<!\w)pasado\s+$", re.IGNORECASE)
#: A number that is an hour ("a las *8*", "*8* pm"), never a quantity.
_HOUR_BEFORE = re.compile(r"(?:\ba\s+las?|\blas|\bat|@)\s*$", re.IGNORECASE)
_HOUR_AFTER = re.compile(
    r"^\s*(?:[ap]\.?\s?m\b|:\d{2}|h\b|hrs?\b|de\s+la\s+(?:mañana|manana|tarde|noche))",
    re.IGNORECASE,
)
_TRAILING_DAY = re.compile(r"^\s+\d{1,2}(?:st|nd|rd|th)?\b(?![:/.]?\d)", re.IGNORECASE)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EntityNormalizer(BuiltFromConfig, GraphComponent, EntityExtractorMixin):
    """Gives ``quantity``, ``date``, ``email`` and ``language`` entities usable values."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [EntityExtractorMixin]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # quantities outside this range stay unresolved ("99 boletas" is a typo or a test)
            "quantity_min": 1,
            "quantity_max": 50,
            # intents whose hours 7-11 without am/pm are mornings (castings, fittings);
            # everywhere else they are evenings (shows)
            "morning_intents": ["casting_apply", "casting_confirm", "casting_decline"],
            # a fixed "now" (ISO 8601 with offset) for tests; None: the message's time
            "now": None,
            # dateparser for what the grammar does not know
            "use_dateparser": True,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config
        self._min = int(config.get("quantity_min", 1))
        self._max = int(config.get("quantity_max", 50))
        self._morning = frozenset(config.get("morning_intents") or ())
        self._now = _parse_time(config.get("now")) if config.get("now") else None
        self._use_dateparser = bool(config.get("use_dateparser", True))
        if self._use_dateparser:
            warm()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = message.get(ENTITIES) or []
            if not entities:
                continue
            try:
                entities = self._process_entities(entities, message)
            except Exception:  # a value we cannot read must never break the turn
                log.exception("entity normalization failed")
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def _process_entities(
        self, entities: list[dict[str, Any]], message: Message
    ) -> list[dict[str, Any]]:
        text = message.get(TEXT) or ""
        for entity in entities:
            _retag_date_quantity(entity, text)
        consumed: list[tuple[int, int]] = []
        for index, entity in enumerate(entities):
            try:
                used = self._normalize(entity, index, entities, message)
            except Exception:
                log.exception("entity normalization failed for %s", entity.get("entity"))
                _mark(entity, False, "error")
                continue
            if used is not None:
                consumed.append(used)
        # "a las 8" is an hour, not "8 boletas"
        return [e for e in entities if not _inside_date(e, consumed) and not _is_hour(e, text)]

    # --- one entity ----------------------------------------------------------------------
    def _normalize(
        self, entity: dict[str, Any], index: int, entities: list[dict[str, Any]], message: Message
    ) -> tuple[int, int] | None:
        """Normalize in place; returns the span of text a date read beyond its own."""
        kind = entity.get(ENTITY_ATTRIBUTE_TYPE)
        if kind not in ("quantity", "date", "email", "language"):
            return None
        if ADDITIONAL_INFO in entity and "resolved" in (entity[ADDITIONAL_INFO] or {}):
            return None  # already normalized
        text = message.get(TEXT) or ""
        original = _span(entity, text)
        entity.setdefault(ENTITY_ATTRIBUTE_TEXT, original)
        value = entity.get(ENTITY_ATTRIBUTE_VALUE)
        if kind == "quantity":
            self._quantity(entity, value, original)
        elif kind == "language":
            code = normalize_language(str(value)) or normalize_language(original)
            self._set(entity, code, "unknown")
        elif kind == "email":
            cleaned, valid = normalize_email(str(value))
            entity[ENTITY_ATTRIBUTE_VALUE] = cleaned
            _mark(entity, valid, None if valid else "invalid")
        else:
            used = self._date(entity, index, entities, message, original)
            self.add_processor_name(entity)
            return used
        self.add_processor_name(entity)
        return None

    def _quantity(self, entity: dict[str, Any], value: Any, original: str) -> None:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None:
            number = normalize_quantity(str(value))
        if number is None and original != str(value):
            number = normalize_quantity(original)
        if number is not None and not self._min <= number <= self._max:
            _mark(entity, False, "out_of_range")
            return
        self._set(entity, number, "unknown")

    def _date(
        self,
        entity: dict[str, Any],
        index: int,
        entities: list[dict[str, Any]],
        message: Message,
        original: str,
    ) -> tuple[int, int] | None:
        now = self._reference_time(message)
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        morning = intent in self._morning
        text = message.get(TEXT) or ""
        for phrase, context, used, grains in _date_readings(index, entities, text, original):
            resolved = resolve_date(
                phrase,
                now,
                morning=morning,
                use_dateparser=self._use_dateparser and context is None,
            )
            if resolved is None or (grains and resolved.grain not in grains):
                continue
            entity[ENTITY_ATTRIBUTE_VALUE] = resolved.value
            info = {"resolved": True, "grain": resolved.grain, **resolved.details}
            if context:
                info["context"] = context
            entity[ADDITIONAL_INFO] = {**(entity.get(ADDITIONAL_INFO) or {}), **info}
            return used
        _mark(entity, False, "unknown")
        return None

    @staticmethod
    def _set(entity: dict[str, Any], value: Any, reason: str) -> None:
        if value is None:
            _mark(entity, False, reason)
            return
        entity[ENTITY_ATTRIBUTE_VALUE] = value
        _mark(entity, True, None)

    def _reference_time(self, message: Message) -> datetime:
        metadata = message.get("metadata")
        if isinstance(metadata, dict) and metadata.get(METADATA_TIMESTAMP) is not None:
            stamp = _parse_time(metadata[METADATA_TIMESTAMP])
            if stamp is not None:
                return stamp.astimezone(BOGOTA)
        if self._now is not None:
            return self._now.astimezone(BOGOTA)
        now = clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        return now.astimezone(BOGOTA)


def _mark(entity: dict[str, Any], resolved: bool, reason: str | None) -> None:
    info = {**(entity.get(ADDITIONAL_INFO) or {}), "resolved": resolved}
    if reason:
        info["reason"] = reason
    entity[ADDITIONAL_INFO] = info


def _span(entity: dict[str, Any], text: str) -> str:
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return str(entity.get(ENTITY_ATTRIBUTE_VALUE, ""))


_MOMENT = ("hour", "minute")
_DAY_GRAIN = ("day",)
_NOT_MOMENT = ("day", "week", "month", "year", "part_of_day")
#: What may separate two pieces of one date: "el jueves | a | las 3".
_GAP = re.compile(r"[\s,]*(?:\b(?:a|at|y|and)\b)?[\s,]*", re.IGNORECASE)


def _date_readings(
    index: int, entities: list[dict[str, Any]], text: str, original: str
) -> list[tuple[str, str | None, tuple[int, int] | None, tuple[str, ...]]]:
    """(phrase, context, span of text read beyond the entity, grains accepted), best first.

    DIET often splits a date or leaves words out of it (seen with the trained model:
    "el jueves" + "a las 3", "del 10" + "al 20 de diciembre", "[12 de](quantity)
    [diciembre](date)", "pasado" + "mañana", "el año" + "pasado"); each reading puts
    some of those words back.
    """
    readings: list[tuple[str, str | None, tuple[int, int] | None, tuple[str, ...]]] = []
    previous, following = (
        _neighbour(index, entities, text, -1),
        _neighbour(index, entities, text, 1),
    )
    is_time = bool(_TRAILING_TIME.match(" " + original))
    if previous is not None and is_time:  # "el jueves" + "a las 3"
        readings.append((f"{previous} {original}", previous, None, _MOMENT))
    start, end = (
        entities[index].get(ENTITY_ATTRIBUTE_START),
        entities[index].get(ENTITY_ATTRIBUTE_END),
    )
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        after, before = text[end:], text[:start]
        month = is_month_name(original)
        for pattern, grains in (
            (_TRAILING_TIME, _MOMENT),
            (_TRAILING_MODIFIER, ()),
            *([(_TRAILING_DAY, _DAY_GRAIN)] if month else []),
        ):
            match = pattern.match(after)
            if match and match.group(0).strip():
                context = match.group(0).strip()
                used = (end, end + match.end())
                readings.append((f"{original} {context}", context, used, grains))
        leading = _LEADING_DAY.search(before) if month else None
        if leading is None and fold(original).strip() == "manana":
            leading = _LEADING_PASADO.search(before)
        if leading:
            context = leading.group(0).strip()
            used = (leading.start(), start)
            readings.append((f"{context} {original}", context, used, ()))
    if following is not None:  # "del 10" + "al 20 de diciembre", "this" + "weekend"
        readings.append((f"{original} {following}", following, None, _NOT_MOMENT))
    if previous is not None and not is_time:
        readings.append((f"{previous} {original}", previous, None, _NOT_MOMENT))
    readings.append((original, None, None, ()))
    return readings


def _retag_date_quantity(entity: dict[str, Any], text: str) -> None:
    """A "quantity" that names a month or a weekday ("11 de diciembre") is a date."""
    if entity.get(ENTITY_ATTRIBUTE_TYPE) != "quantity" or ADDITIONAL_INFO in entity:
        return
    if has_date_word(_span(entity, text)):
        entity[ENTITY_ATTRIBUTE_TYPE] = "date"
        entity[ADDITIONAL_INFO] = {"retyped_from": "quantity"}


def _is_hour(entity: dict[str, Any], text: str) -> bool:
    """A quantity that is the number of a clock time: "a las *8*", "*8* pm", "*8*:30"."""
    if entity.get(ENTITY_ATTRIBUTE_TYPE) != "quantity":
        return False
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        return False
    if not text[start:end].strip().isdigit():
        return False
    return bool(_HOUR_BEFORE.search(text[:start]) or _HOUR_AFTER.match(text[end:]))


def _inside_date(entity: dict[str, Any], consumed: list[tuple[int, int]]) -> bool:
    """A quantity DIET found in words a date read ("a las *8*", "*12* de diciembre")."""
    if entity.get(ENTITY_ATTRIBUTE_TYPE) != "quantity":
        return False
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    if not isinstance(start, int) or not isinstance(end, int):
        return False
    return any(start < used_end and used_start < end for used_start, used_end in consumed)


def _neighbour(index: int, entities: list[dict[str, Any]], text: str, step: int) -> str | None:
    """The text of the date entity right before (-1) or after (1) this one, if adjacent."""
    other_index = index + step
    if not 0 <= other_index < len(entities):
        return None
    current, other = entities[index], entities[other_index]
    if other.get(ENTITY_ATTRIBUTE_TYPE) != "date" or current.get(ENTITY_ATTRIBUTE_TYPE) != "date":
        return None
    first, second = (other, current) if step < 0 else (current, other)
    end, start = first.get(ENTITY_ATTRIBUTE_END), second.get(ENTITY_ATTRIBUTE_START)
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= end <= start:
        return None
    if not _GAP.fullmatch(text[end:start]):
        return None
    return str(other.get(ENTITY_ATTRIBUTE_TEXT) or _span(other, text))


def _parse_time(value: Any) -> datetime | None:
    """Unix seconds (int, float or digits) or ISO 8601; naive ISO is taken as UTC."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None
