"""What language a person asked for ("hablame en inglés"), as opposed to the one they write in.

Detection (:mod:`bot.language`) guesses the language of each message; this module reads
an explicit request, the ``language`` entity of ``change_language``. The NLU maps
names to codes (``data/nlu/consent.yml``: es, en, pt, fr); raw names are accepted too in
case a synonym did not fire. Only es and en are supported; anything else is
"requested but unsupported", which gets a polite answer in the current language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from bot.language import SUPPORTED

__all__ = ["SUPPORTED", "requested_language"]

_ALIASES = {
    "es": "es",
    "espanol": "es",
    "castellano": "es",
    "spanish": "es",
    "en": "en",
    "ingles": "en",
    "english": "en",
    "pt": "pt",
    "portugues": "pt",
    "portuguese": "pt",
    "fr": "fr",
    "frances": "fr",
    "french": "fr",
}


def _normalise(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def requested_language(values: Iterable[object]) -> str | None:
    """The first language code among the entity values (``None``: nothing asked for).

    Known names become ISO codes ("inglés" → ``en``); an unknown name is returned
    normalised, so the caller can still say "only Spanish or English".
    """
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        name = _normalise(value)
        return _ALIASES.get(name, name)
    return None
