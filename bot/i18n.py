"""User-facing copy in Spanish and English.

All text the user sees lives in ``bot/copy/es.yml`` and ``bot/copy/en.yml`` (same keys,
nested YAML addressed with dotted keys such as ``"greet.welcome"``), never in
``domain.yml`` or in the actions. ``t(lang, key, **params)`` formats with
``str.format``; a key missing in English falls back to Spanish (the copy tests make
sure that never happens), an unknown key raises ``KeyError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.language import DEFAULT_LANGUAGE, SUPPORTED

__all__ = ["COPY_DIR", "DEFAULT_LANGUAGE", "SUPPORTED", "catalog", "language_of", "t"]

COPY_DIR = Path(__file__).resolve().parent / "copy"


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise TypeError(f"copy key {key!r} must be text, got {type(value).__name__}")
    return flat


@lru_cache(maxsize=len(SUPPORTED))
def catalog(lang: str) -> dict[str, str]:
    """All copy of one language as ``{dotted.key: text}``, read from disk once."""
    if lang not in SUPPORTED:
        raise ValueError(f"unsupported language {lang!r}; expected one of {SUPPORTED}")
    with (COPY_DIR / f"{lang}.yml").open(encoding="utf-8") as fh:
        tree = yaml.safe_load(fh) or {}
    return _flatten(tree)


def t(lang: str | None, key: str, **params: Any) -> str:
    """The text for ``key`` in ``lang`` (Spanish when the language is unknown)."""
    lang = lang if lang in SUPPORTED else DEFAULT_LANGUAGE
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise KeyError(key)
    return text.format(**params)


def language_of(tracker: Any) -> str:
    """The language to answer in.

    Order: the language the WhatsApp channel detected for the latest message
    (``latest_message["metadata"]["language"]``), then the ``language`` slot, then
    Spanish.
    """
    latest = getattr(tracker, "latest_message", None) or {}
    metadata = latest.get("metadata") or {}
    lang = metadata.get("language") if isinstance(metadata, Mapping) else None
    if lang in SUPPORTED:
        return lang
    slot = tracker.get_slot("language")
    if slot in SUPPORTED:
        return slot
    return DEFAULT_LANGUAGE
