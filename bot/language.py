"""Cheap Spanish/English detection for every inbound message.

The assistant speaks Colombian Spanish first and English second, so detection is
biased towards Spanish and towards *not switching*: a short or unclear message
("ok", "👍", "vip", "2") keeps the conversation's current language, or Spanish
when there is none yet.

How a message is judged:

1. Text is lower-cased, accents are stripped and words are extracted.
2. No words at all (emoji, digits, punctuation) → ``current`` or ``"es"``.
3. Curated marker words and phrases ("hi", "thanks", "how much", "tickets" /
   "hola", "parce", "qué más", "boleta", plus unambiguous function words) are
   counted for each language.
4. Fewer than 3 words: the side with more markers wins, otherwise no change.
5. Three words or more: langdetect, restricted to the ``es`` and ``en``
   profiles (loaded once, ~20 ms, no network, seeded for determinism), decides
   when it is at least 90 % sure and the markers do not contradict it; otherwise
   the marker majority decides, otherwise no change.

Results are memoised: the same text with the same current language costs a dict
lookup.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

__all__ = ["DEFAULT_LANGUAGE", "SUPPORTED", "detect_language"]

SUPPORTED = ("es", "en")
DEFAULT_LANGUAGE = "es"

#: langdetect must be at least this sure before it overrides "keep the current language".
CONFIDENCE = 0.9
#: Below this many words, langdetect is not consulted at all (it is unreliable there).
MIN_WORDS_FOR_LANGDETECT = 3

DetectorFactory.seed = 0

# Words that, once accents are stripped, belong clearly to one language. Words that
# Colombians use in both ("no", "me", "a", "ok", "vip", "bot", "show", "info", "cool")
# are deliberately left out.
_EN_WORDS = frozenset(
    """
    hi hello hey hiya howdy thanks thank thx ty bye goodbye cya please pls plz
    tickets ticket the you your youre is are am was were what whats where when how who
    why which want wanna need would could can cant do does dont did i im ive my mine
    to for with and of this that there here it its have has get buy event events much
    many price prices cost talk speak human person someone somebody anyone
    help morning afternoon evening night good great awesome nice yes yeah yep yup nope
    sure english welcome sorry see later cheers lot lots just only people agent
    tomorrow today tonight weekend wheres about know tell send again lost
    """.split()
)
_ES_WORDS = frozenset(
    """
    hola ola holi buenas buenos buen dias tardes noches parce parcero parcera parceros
    pues pue gracias muchas muchisimas mil chao chau adios hasta luego vemos que quiubo
    quibo quiubole el la los las lo un una unos unas de del para por con sin en y es
    esta estas estoy soy eres sos usted ustedes vos tu te mi mis quiero queria quisiera
    necesito puedo puede podria tengo tiene hay boleta boletas boleteria entrada entradas
    tiquete tiquetes desfile desfiles pasarela cuanto cuanta cuantos cuando donde como
    porque favor persona alguien hablar humano humana ayuda ayudame ayudar si claro
    listo dale hagale bueno bien muy mas vale precio plata pago pagar comprar evento
    eventos pregunta senor senora senorita gente nada todo ahorita chevere bacano genial
    perfecto excelente maquina asistente atienda atender quien cual hoy manana ayer
    semana yo ella ellos nosotros tambien pero porfa porfis espanol
    """.split()
)
# Multi-word markers, matched on the normalised text with word boundaries.
_EN_PHRASES = (
    "good morning",
    "good afternoon",
    "good evening",
    "good night",
    "thank you",
    "how much",
    "hey there",
    "see you",
    "what's up",
    "whats up",
    "talk to",
    "are you",
)
_ES_PHRASES = (
    "que mas",
    "por favor",
    "buenas tardes",
    "buenas noches",
    "buenos dias",
    "buen dia",
    "de una",
    "hasta luego",
    "nos vemos",
    "que hubo",
    "una pregunta",
)

_WORD_RE = re.compile(r"[a-z']+")
_EN_PHRASE_RE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in _EN_PHRASES) + r")\b")
_ES_PHRASE_RE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in _ES_PHRASES) + r")\b")


def _normalise(text: str) -> str:
    """Lower-case and strip accents ("Qué MÁS" → "que mas"); ñ becomes n."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    """langdetect with only the Spanish and English profiles, loaded once."""
    profiles = Path(PROFILES_DIRECTORY)
    factory = DetectorFactory()
    factory.load_json_profile([(profiles / lang).read_text(encoding="utf-8") for lang in SUPPORTED])
    return factory


def _langdetect(text: str) -> tuple[str, float] | None:
    """Most likely language among es/en and its probability, or None if undecidable."""
    try:
        detector = _factory().create()
        detector.append(text)
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return None
    return best.lang, best.prob


def _marker_score(normalised: str, words: list[str]) -> tuple[int, int]:
    """(Spanish markers, English markers) found in the text."""
    bare = [w.replace("'", "") for w in words]
    es = sum(1 for w in bare if w in _ES_WORDS) + len(_ES_PHRASE_RE.findall(normalised))
    en = sum(1 for w in bare if w in _EN_WORDS) + len(_EN_PHRASE_RE.findall(normalised))
    return es, en


@lru_cache(maxsize=4096)
def _detect(text: str, current: str | None) -> str:
    fallback = current if current in SUPPORTED else DEFAULT_LANGUAGE
    normalised = _normalise(text)
    words = _WORD_RE.findall(normalised)
    if not words:
        return fallback

    es, en = _marker_score(normalised, words)
    if len(words) >= MIN_WORDS_FOR_LANGDETECT:
        guess = _langdetect(normalised)
        if guess is not None:
            lang, prob = guess
            if prob >= CONFIDENCE and lang == "en" and en >= es:
                return "en"
            if prob >= CONFIDENCE and lang == "es" and es >= en:
                return "es"
    if en > es:
        return "en"
    if es > en:
        return "es"
    return fallback


def detect_language(text: str, current: str | None = None) -> str:
    """Return ``"es"`` or ``"en"`` for an inbound message.

    ``current`` is the conversation's language so far (``None`` for a new contact);
    it is kept whenever the message does not say clearly which language it is in.
    """
    return _detect((text or "").strip(), current)
