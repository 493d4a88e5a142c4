"""bot/copy/{es,en}.yml and bot.i18n: same keys, same parameters, every used key exists."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from actions import base
from bot import replies
from bot.i18n import SUPPORTED, catalog, language_of, t

ROOT = Path(__file__).resolve().parents[2]
ACTIONS_DIR = ROOT / "actions"
KEY_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def used_keys() -> dict[str, set[str]]:
    """Copy keys the actions use literally, with the parameters they pass.

    Found with ``ast``: ``t(lang, "key", **params)`` calls, ``copy_key = "key"``
    class attributes, and ``menu.<intent>.*`` for every intent a menu may offer.
    """
    keys: dict[str, set[str]] = {}
    menu_intents = set(base.ALWAYS_AVAILABLE) | set(base.GREET_MENU) | set(base.HELP_MENU)
    for path in sorted(ACTIONS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t":
                key = node.args[1]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    keys.setdefault(key.value, set()).update(k.arg for k in node.keywords)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "menu_options":
                wanted = node.args[1]
                if isinstance(wanted, ast.Tuple):
                    menu_intents.update(e.value for e in wanted.elts if isinstance(e, ast.Constant))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if any(getattr(target, "id", None) == "copy_key" for target in node.targets):
                    keys.setdefault(node.value.value, set())
            elif isinstance(node, ast.IfExp):  # key = "a.b" if ... else "a.c"
                for branch in (node.body, node.orelse):
                    if isinstance(branch, ast.Constant) and KEY_RE.match(str(branch.value)):
                        keys.setdefault(branch.value, set())
    for intent in menu_intents:
        keys.setdefault(f"menu.{intent}.title", set())
        keys.setdefault(f"menu.{intent}.description", set())
    return keys


def test_languages_have_the_same_keys() -> None:
    es, en = catalog("es"), catalog("en")
    assert set(es) - set(en) == set(), "keys missing in en.yml"
    assert set(en) - set(es) == set(), "keys missing in es.yml"


def test_languages_have_the_same_parameters() -> None:
    es, en = catalog("es"), catalog("en")
    for key in es:
        assert placeholders(es[key]) == placeholders(en[key]), key


def test_no_empty_or_untrimmed_text() -> None:
    for lang in SUPPORTED:
        for key, text in catalog(lang).items():
            assert text.strip() == text and text, f"{lang}:{key}"


def test_the_actions_use_only_existing_keys_with_the_right_parameters() -> None:
    keys = used_keys()
    # sanity: the scan found the calls of every journey
    assert {"greet.welcome", "greet.welcome_back", "goodbye.text", "handoff.failed"} <= set(keys)
    assert {"fallback.text", "fallback.again", "bot_challenge.text", "help.body"} <= set(keys)
    for lang in SUPPORTED:
        texts = catalog(lang)
        for key, params in keys.items():
            assert key in texts, f"{lang}.yml lacks {key}"
            if None in params:  # t(lang, key, **params): checked where params is built
                assert params - {None} <= placeholders(texts[key]), f"{lang}:{key} params"
                continue
            assert placeholders(texts[key]) == params, f"{lang}:{key} params"


def test_menu_titles_fit_buttons_and_list_rows() -> None:
    for lang in SUPPORTED:
        for key, text in catalog(lang).items():
            if key.startswith("menu.") and key.endswith(".title"):
                assert len(text) <= replies.BUTTON_TITLE_MAX, f"{lang}:{key}"
            if key.startswith("menu.") and key.endswith(".description"):
                assert len(text) <= replies.ROW_DESCRIPTION_MAX, f"{lang}:{key}"
        assert len(t(lang, "help.list_button")) <= replies.LIST_BUTTON_MAX
        assert len(t(lang, "help.section")) <= replies.SECTION_TITLE_MAX


def test_texts_fit_an_interactive_body() -> None:
    for lang in SUPPORTED:
        for key, text in catalog(lang).items():
            assert len(text) <= replies.BODY_MAX, f"{lang}:{key}"


def test_t_formats_and_falls_back() -> None:
    hours = t("en", "handoff.hours")
    assert hours in t("en", "handoff.later", hours=hours, when="today")
    assert t("fr", "goodbye.text") == t("es", "goodbye.text")
    assert t(None, "goodbye.text") == t("es", "goodbye.text")
    with pytest.raises(KeyError):
        t("es", "no.such.key")
    with pytest.raises(KeyError):
        t("es", "handoff.later", hours="x")  # a parameter is missing


def test_english_falls_back_to_spanish_for_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.i18n as i18n

    real = i18n.catalog

    def fake(lang: str) -> dict[str, str]:
        return {} if lang == "en" else real(lang)

    monkeypatch.setattr(i18n, "catalog", fake)
    assert i18n.t("en", "goodbye.text") == real("es")["goodbye.text"]


class _Tracker:
    def __init__(self, metadata: object, slot: str | None) -> None:
        self.latest_message = {"metadata": metadata}
        self._slot = slot

    def get_slot(self, name: str) -> str | None:
        return self._slot if name == "language" else None


@pytest.mark.parametrize(
    ("metadata", "slot", "expected"),
    [
        ({"language": "en"}, "es", "en"),
        ({"language": "es"}, "en", "es"),
        ({"language": "fr"}, "en", "en"),
        ({}, "en", "en"),
        (None, "en", "en"),
        ({}, None, "es"),
        ({"language": "pt"}, "de", "es"),
    ],
)
def test_language_of(metadata: object, slot: str | None, expected: str) -> None:
    assert language_of(_Tracker(metadata, slot)) == expected
