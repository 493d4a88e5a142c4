"""Consent rules: which purposes a message grants or revokes, and the STOP keywords.

Why these rules (``../shared/design/COMPLIANCE.md`` §4.1, §4.2, §5):

* Consent is recorded **per purpose** — ``transactional`` (answering what the person
  asks, their tickets and purchases), ``marketing`` (event news and promotions) and
  ``casting`` (casting calls; photos and measurements are sensitive data, so this one
  is never granted implicitly).
* Accepting the notice, or opting in without naming a purpose, grants
  ``transactional`` and ``marketing``. Naming a purpose grants it plus ``transactional``.
* Opting out without naming a purpose revokes every non-transactional purpose; the
  person still gets the answers and tickets they ask for (a purchase is never
  conditioned on marketing, Ley 2300 art. 5).
* The bare keywords STOP, BAJA and PARAR must always work: the WhatsApp channel turns
  them into ``/opt_out`` before the NLU sees them (:func:`is_stop_keyword`).
* Every decision carries the policy version and a hash of the notice text the person
  was shown, so the exact wording can be proven later (D.1377 arts. 26–27).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from bot.storage.models import CONSENT_PURPOSES

__all__ = [
    "CONSENT_PURPOSES",
    "DEFAULT_OPT_IN",
    "NON_TRANSACTIONAL",
    "OPT_OUT_PAYLOAD",
    "POLICY_URL",
    "POLICY_VERSION",
    "PRIVACY_EMAIL",
    "STOP_KEYWORDS",
    "TRANSACTIONAL",
    "consent_source",
    "granted",
    "is_stop_keyword",
    "needs_notice",
    "notice_hash",
    "opt_in_purposes",
    "opt_out_purposes",
    "purposes_mentioned",
]

#: Version of the Política de Tratamiento de Datos the notice points to. Bump it (and
#: the text in bot/copy) when the policy changes substantially: D.1377 art. 5 asks for
#: the new version to be communicated.
POLICY_VERSION = "2026-11"
#: Where the full policy lives. Placeholder until counsel publishes it (see
#: docs/decisions/consent.md).
POLICY_URL = "https://fashionistas.co/privacidad"
#: The Responsable's contact for Habeas Data requests (D.1377 art. 13).
PRIVACY_EMAIL = "privacidad@fashionistas.co"

TRANSACTIONAL = "transactional"
NON_TRANSACTIONAL: tuple[str, ...] = tuple(p for p in CONSENT_PURPOSES if p != TRANSACTIONAL)
#: What "Acepto" (or an opt-in that names no purpose) grants. Casting is sensitive
#: data (photos, measurements) and needs its own, explicit authorisation.
DEFAULT_OPT_IN: tuple[str, ...] = (TRANSACTIONAL, "marketing")

#: Bare words that always mean "stop messaging me" (INTENTS.md, Ley 2300 art. 5).
STOP_KEYWORDS = frozenset({"stop", "baja", "parar"})
#: What the channel hands to Rasa instead of a bare STOP keyword.
OPT_OUT_PAYLOAD = "/opt_out"

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_PURPOSE_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "marketing": re.compile(
        r"\b(promo\w*|publicidad|novedad\w*|noticia\w*|oferta\w*|descuento\w*|difusion"
        r"|newsletter|marketing|news|updates?|offers?|deals?|discounts?|advertis\w*|spam"
        r"|eventos?|events?|shows?|desfiles?)\b"
    ),
    "casting": re.compile(r"\b(casting\w*|convocatoria\w*|audicion\w*|auditions?|model calls?)\b"),
}


def _normalise(text: str) -> str:
    """Lower case without accents: "Promociónes" → "promociones"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def is_stop_keyword(text: str | None) -> bool:
    """True for a message that is only STOP, BAJA or PARAR (any case, punctuation, emoji).

    "STOP", "baja.", "¡Parar!", " Stop 🙏 " are keywords; "stop sending promos" is a
    sentence for the NLU (still ``opt_out``, but it may name a purpose).
    """
    words = _NOT_WORD.sub(" ", _normalise(text or "")).split()
    return len(words) == 1 and words[0] in STOP_KEYWORDS


def purposes_mentioned(text: str | None) -> frozenset[str]:
    """The non-transactional purposes a message names ("promos" → marketing)."""
    normalised = _normalise(text or "")
    return frozenset(p for p, pattern in _PURPOSE_PATTERNS.items() if pattern.search(normalised))


def opt_out_purposes(text: str | None) -> tuple[str, ...]:
    """What an opt-out revokes: the purposes it names, or every non-transactional one."""
    named = purposes_mentioned(text)
    return tuple(p for p in NON_TRANSACTIONAL if p in named) or NON_TRANSACTIONAL


def opt_in_purposes(text: str | None) -> tuple[str, ...]:
    """What an opt-in grants: the purposes it names plus transactional, or the default."""
    named = purposes_mentioned(text)
    if not named:
        return DEFAULT_OPT_IN
    return (TRANSACTIONAL, *(p for p in NON_TRANSACTIONAL if p in named))


def consent_source(metadata: Mapping[str, Any] | None, text: str | None) -> str:
    """``keyword``, ``button`` or ``text``: how the decision reached us (for the log)."""
    metadata = metadata or {}
    if metadata.get("consent_source") == "keyword" or is_stop_keyword(text):
        return "keyword"
    if metadata.get("interactive") or metadata.get("button"):
        return "button"
    if metadata.get("message_type") in ("interactive", "button"):
        return "button"
    return "text"


def notice_hash(text: str) -> str:
    """SHA-256 (hex) of the notice as shown, with the policy version it refers to."""
    return hashlib.sha256(f"{POLICY_VERSION}\n{text}".encode()).hexdigest()


def needs_notice(state: Mapping[str, Any]) -> bool:
    """True while the person has made no consent decision at all (first contact)."""
    return not state


def granted(state: Mapping[str, Any], purpose: str) -> bool:
    """Whether the latest decision for ``purpose`` grants it (no decision: not granted)."""
    record = state.get(purpose)
    return bool(record is not None and record.granted)
