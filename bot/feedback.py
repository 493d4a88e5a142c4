"""Opinions about events (``give_feedback``, issue 5 item 5): what was rated, and about what.

The feedback request goes the morning after a show as a template with five rating
buttons (``/give_feedback{"rating": "N"}``); people also just write ("le doy 4
estrellas, el sonido falló"). This module reads a rating out of either, tells a bare
rating from an opinion with words, and finds the event the opinion is about: the one
the request named (slot ``feedback_event``, set when the request went out through the
dialogue), else the person's latest show that has already started.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "FeedbackTarget",
    "is_no_comment",
    "is_offer_to_rate",
    "parse_rating",
    "rating_only",
    "target_for",
]

_WORDS = {"uno": 1, "una": 1, "one": 1, "dos": 2, "two": 2, "tres": 3, "three": 3}
_WORDS |= {"cuatro": 4, "four": 4, "cinco": 5, "five": 5}
_NUMBER = r"(\d{1,2}(?:[.,]5)?|" + "|".join(_WORDS) + r")"
#: "4/5", "4 de 5", "8/10", "8 de 10", "4 sobre 5", "4 out of 5"
_OUT_OF = re.compile(_NUMBER + r"\s*(?:/|de|sobre|out of|of)\s*(5|10)\b")
#: "5 estrellas", "4 stars", "un 5", "le doy 4", "calificacion 3"
_STARS = re.compile(_NUMBER + r"\s*(?:estrellas?|stars?|puntos?|points?)\b")
_GIVE = re.compile(
    r"(?:le doy|le pongo|le damos|rate it|i give it|give it|i rate it)\s+" + _NUMBER + r"\b"
)
_BARE = re.compile(r"^\s*" + _NUMBER + r"\s*[!.]*\s*$")
_STAR_EMOJI = re.compile("(?:\u2b50|\U0001f31f){1,5}")

#: Replies to "¿algo más?" that mean "no comment".
_NO_COMMENT = {
    "no",
    "nop",
    "nope",
    "nada",
    "no gracias",
    "no, gracias",
    "gracias",
    "nada mas",
    "ninguno",
    "ninguna",
    "asi esta bien",
    "todo bien",
    "listo",
    "ok",
    "okay",
    "no thanks",
    "no, thanks",
    "nothing",
    "thanks",
    "thank you",
    "skip",
    "n/a",
    "na",
    "that's all",
    "eso es todo",
    "no tengo",
    "nothing else",
    "no mas",
    "ya",
}


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)).strip()


def _number(raw: str) -> float:
    return float(_WORDS.get(raw, None) or raw.replace(",", "."))


def _clamp(value: float, scale: int) -> int | None:
    if scale == 10:
        value = value / 2
    if not 0 < value <= 5:
        return None
    return max(1, min(5, int(value + 0.5)))


def parse_rating(text: str | None, entity: Any = None) -> int | None:
    """A 1–5 rating from the button's entity or the words; ``None`` when there is none.

    Out of ten (a very Colombian "10/10") is halved; "4,5 estrellas" rounds up. A bare
    number counts only when it is the whole message, so "llegué a las 8" is no rating.
    """
    if entity is not None:
        try:
            return _clamp(float(str(entity).strip()), 5)
        except ValueError:
            pass
    if not text:
        return None
    plain = _plain(text)
    found = _OUT_OF.search(plain)
    if found:
        return _clamp(_number(found.group(1)), int(found.group(2)))
    for pattern in (_STARS, _GIVE):
        found = pattern.search(plain)
        if found:
            return _clamp(_number(found.group(1)), 5)
    found = _BARE.match(plain)
    if found:
        return _clamp(_number(found.group(1)), 5)
    stars = _STAR_EMOJI.search(text)
    if stars:
        return min(5, len(stars.group(0)))
    return None


def rating_only(text: str | None) -> bool:
    """True when the words are nothing but a rating ("5", "4/5", "⭐⭐⭐⭐"): no opinion."""
    if not text or text.lstrip().startswith("/"):
        return True
    rest = _plain(text)
    for pattern in (_OUT_OF, _STARS, _GIVE):
        rest = pattern.sub(" ", rest)
    rest = _BARE.sub(" ", rest)
    rest = _STAR_EMOJI.sub(" ", rest)
    rest = re.sub(r"[^\w]+", " ", rest).strip()
    return rest == ""


def is_no_comment(text: str | None) -> bool:
    """A reply to "¿algo más?" that adds nothing ("no", "nada", "gracias", a tap on No)."""
    if not text or text.lstrip().startswith("/"):
        return True
    plain = re.sub(r"[!.¡¿?]+", "", _plain(text)).strip()
    return plain in _NO_COMMENT or rating_only(text)


_OFFER = re.compile(
    r"^(?:quiero|quisiera|puedo|me gustaria|como|donde|i want to|i'd like to|can i|how do i|"
    r"where do i|let me)\s+(?:dejar|dar|calificar|poner|hacer|opinar|leave|give|rate|write|"
    r"review|send)\b[\w\s]*$"
)


def is_offer_to_rate(text: str | None) -> bool:
    """ "quiero calificar el evento", "I'd like to leave a review": no opinion in it yet."""
    if not text:
        return False
    plain = re.sub(r"[!.¡¿?,]+", "", _plain(text)).strip()
    return bool(_OFFER.match(plain)) and len(plain.split()) <= 10


@dataclass(frozen=True)
class FeedbackTarget:
    event_id: int | None
    title: str | None


async def target_for(store: Any, wa_id: str, event_id: Any, now: datetime) -> FeedbackTarget:
    """The event an opinion is about (see the module docstring); unknown is allowed.

    An opinion is kept even when no event can be told: organizers still read it.
    """
    if event_id not in (None, ""):
        try:
            wanted = int(float(event_id))
        except (TypeError, ValueError):
            wanted = None
        if wanted is not None:
            title = None
            for purchase in await store.purchases_for(wa_id, limit=50):
                if purchase.event_id == wanted:
                    title = purchase.event_title
                    break
            return FeedbackTarget(wanted, title)
    started = [
        p
        for p in await store.purchases_for(wa_id, states=("fulfilled",), limit=50)
        if p.event_starts_at <= now
    ]
    if not started:
        return FeedbackTarget(None, None)
    latest = max(started, key=lambda p: p.event_starts_at)
    return FeedbackTarget(latest.event_id, latest.event_title)
