"""Contract rules for the template library: fail loudly before Meta (or Wappbíz) would.

:func:`template_problems` checks one template, :func:`library_problems` the whole
library (both languages present, same category, variables and buttons in each), and
:func:`validate_library` raises :class:`LibraryError` listing *every* problem at once.

Limits are the contract's §6 (name ≤ 512 of ``a-z0-9_``; header 60, body 1024, footer
60, button text 25; ≤ 10 buttons) and §4 (reply ids ≤ 256). A few of Meta's documented
rules the contract does not list are enforced too because they are common rejection
causes: a body must not start or end with a variable, a text header has no emoji,
newline or formatting marks, a URL button has its variable only at the end, at most 2
URL buttons and 1 phone button, and quick replies are grouped together. A ``UTILITY``
template with promotional wording is refused like Wappbíz's review refuses it
(``INCORRECT_CATEGORY``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.templates.model import LANGUAGES, MEDIA_FORMATS, PLACEHOLDER, Library, TemplateDef

__all__ = [
    "CATEGORIES",
    "LibraryError",
    "library_problems",
    "template_problems",
    "validate_library",
]

#: Categories the library may use (AUTHENTICATION templates have a fixed Meta format).
CATEGORIES = ("MARKETING", "UTILITY")
MAX_NAME = 512
MAX_HEADER = 60
MAX_BODY = 1024
MAX_FOOTER = 60
MAX_BUTTON_TEXT = 25
MAX_BUTTONS = 10
MAX_URL_BUTTONS = 2
MAX_PHONE_BUTTONS = 1
MAX_URL = 2000
MAX_PAYLOAD = 256
BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VARIABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PHONE = re.compile(r"^\+?[1-9]\d{7,19}$")
#: Wording that makes a UTILITY template promotional (Wappbíz's INCORRECT_CATEGORY rule).
PROMOTIONAL = re.compile(
    r"descuento|oferta|promo|rebaja|cup[oó]n|coupon|discount|\d+\s*%\s*off|%\s*off|\bsale\b",
    re.IGNORECASE,
)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")
_BRACES = re.compile(r"\{\{|\}\}")
#: Punctuation around a leading or trailing variable does not count as text.
_STARTS_WITH_VARIABLE = re.compile(r"^[\s¡¿(«\"'*_]*\{\{\d+\}\}")
_ENDS_WITH_VARIABLE = re.compile(r"\{\{\d+\}\}[\s.!?…:;,)»\"'*_]*$")


class LibraryError(ValueError):
    """The template library breaks the contract; ``problems`` lists every violation."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the template library has {count} problem(s):\n{lines}")


def validate_library(library: Library) -> Library:
    """Return ``library`` when it follows every rule, else raise :class:`LibraryError`."""
    problems = library_problems(library)
    if problems:
        raise LibraryError(problems)
    return library


def library_problems(library: Library) -> list[str]:
    """Every problem of every template, then of the languages taken together."""
    problems: list[str] = []
    for template in library:
        problems.extend(f"{template.label}: {p}" for p in template_problems(template))
    for name in library.names():
        problems.extend(f"{name}: {p}" for p in _translation_problems(library, name))
    return problems


def template_problems(t: TemplateDef) -> list[str]:
    """Problems of one template, as short sentences (empty when it is fine)."""
    problems: list[str] = []
    if len(t.name) > MAX_NAME or not _NAME.match(t.name):
        problems.append(
            f"name must be lowercase letters, digits and underscores, starting with a letter "
            f"(≤ {MAX_NAME}), got {t.name!r}"
        )
    if t.language not in LANGUAGES:
        problems.append(f"language must be one of {', '.join(LANGUAGES)}, got {t.language!r}")
    if t.category not in CATEGORIES:
        problems.append(f"category must be one of {', '.join(CATEGORIES)}, got {t.category!r}")
    problems.extend(_body_problems(t))
    problems.extend(_header_problems(t))
    if t.footer is not None:
        if not t.footer.strip() or len(t.footer) > MAX_FOOTER:
            problems.append(f"footer must be 1..{MAX_FOOTER} characters ({len(t.footer)})")
        if _BRACES.search(t.footer):
            problems.append("footer cannot have variables")
    problems.extend(_button_problems(t))
    problems.extend(_variable_problems(t))
    if t.category == "UTILITY":
        match = PROMOTIONAL.search(_all_text(t))
        if match:
            problems.append(
                f"UTILITY template with promotional wording {match.group(0)!r}: "
                "make it MARKETING or reword it (review: INCORRECT_CATEGORY)"
            )
    return problems


def _placeholder_problems(where: str, text: str, count: int) -> list[str]:
    """``{{1}}..{{n}}`` in order of first appearance, well formed, one per variable."""
    problems: list[str] = []
    stripped = PLACEHOLDER.sub("", text)
    # ``{{ 1 }}``, ``{1}`` and copy-style ``{name}`` would reach people as typed.
    if _BRACES.search(stripped) or re.search(r"\{\s*[\w ]*\s*\}|\{\s*\{|\}\s*\}", stripped):
        problems.append(f"{where} has a malformed variable; write {{{{1}}}}, {{{{2}}}}…")
    seen: list[int] = []
    for match in PLACEHOLDER.finditer(text):
        number = int(match.group(1))
        if number not in seen:
            seen.append(number)
    if seen != list(range(1, len(seen) + 1)):
        problems.append(
            f"{where} variables must be numbered {{{{1}}}}..{{{{n}}}} in order of first "
            f"appearance, got {', '.join('{{' + str(n) + '}}' for n in seen)}"
        )
    if len(seen) != count:
        problems.append(f"{where} uses {len(seen)} variable(s) but declares {count}")
    return problems


def _body_problems(t: TemplateDef) -> list[str]:
    problems: list[str] = []
    body = t.body or ""
    if not body.strip():
        return ["body text is required"]
    if len(body) > MAX_BODY:
        problems.append(f"body is {len(body)} characters; at most {MAX_BODY}")
    problems.extend(_placeholder_problems("body", body, len(t.body_variables)))
    if _STARTS_WITH_VARIABLE.search(body) or _ENDS_WITH_VARIABLE.search(body):
        problems.append("body must not start or end with a variable (Meta rejects it)")
    hydrated = _hydrate(body, [v.example for v in t.body_variables])
    if len(hydrated) > MAX_BODY:
        problems.append(f"body with its examples is {len(hydrated)} characters; at most {MAX_BODY}")
    return problems


def _header_problems(t: TemplateDef) -> list[str]:
    header = t.header
    if header is None:
        return []
    problems: list[str] = []
    if header.format in MEDIA_FORMATS:
        if header.text:
            problems.append(f"a {header.format} header has no text")
        if len(header.variables) != 1:
            problems.append(
                f"a {header.format} header needs exactly one variable (its link at send time) "
                "whose example is an https URL"
            )
        elif not header.variables[0].example.startswith("https://"):
            problems.append(f"the {header.format} header example must be an https URL")
        return problems
    if header.format != "TEXT":
        formats = ", ".join(["TEXT", *MEDIA_FORMATS])
        return [f"header format must be one of {formats}, got {header.format!r}"]
    text = header.text or ""
    if not text.strip() or len(text) > MAX_HEADER:
        problems.append(f"header text must be 1..{MAX_HEADER} characters ({len(text)})")
    if len(header.variables) > 1:
        problems.append("header text allows at most one variable")
    problems.extend(_placeholder_problems("header", text, len(header.variables)))
    if "\n" in text or re.search(r"[*_~`]", text) or _EMOJI.search(text):
        problems.append("header text cannot have newlines, emoji or formatting (*, _, ~)")
    hydrated = _hydrate(text, [v.example for v in header.variables])
    if len(hydrated) > MAX_HEADER:
        problems.append(f"header with its example is {len(hydrated)} characters; at most 60")
    return problems


def _button_problems(t: TemplateDef) -> list[str]:
    problems: list[str] = []
    buttons = t.buttons
    if len(buttons) > MAX_BUTTONS:
        problems.append(f"{len(buttons)} buttons; at most {MAX_BUTTONS}")
    kinds = [b.type for b in buttons]
    if kinds.count("URL") > MAX_URL_BUTTONS:
        problems.append(f"at most {MAX_URL_BUTTONS} URL buttons")
    if kinds.count("PHONE_NUMBER") > MAX_PHONE_BUTTONS:
        problems.append(f"at most {MAX_PHONE_BUTTONS} PHONE_NUMBER button")
    quick = [i for i, kind in enumerate(kinds) if kind == "QUICK_REPLY"]
    if quick and quick != list(range(quick[0], quick[0] + len(quick))):
        problems.append("quick replies must be grouped together, not mixed with other buttons")
    texts = [b.text for b in buttons]
    if len(set(texts)) != len(texts):
        problems.append("button texts must be unique")
    for index, button in enumerate(buttons):
        where = f"button {index + 1}"
        if button.type not in BUTTON_TYPES:
            problems.append(f"{where}: type must be one of {', '.join(BUTTON_TYPES)}")
            continue
        if not button.text.strip() or len(button.text) > MAX_BUTTON_TEXT:
            problems.append(
                f"{where}: text must be 1..{MAX_BUTTON_TEXT} characters, got {button.text!r}"
            )
        if _BRACES.search(button.text):
            problems.append(f"{where}: text cannot have variables")
        if button.type == "QUICK_REPLY":
            if button.url or button.phone_number or button.variables:
                problems.append(f"{where}: a QUICK_REPLY has only text (and a payload)")
            if button.payload is not None and not 1 <= len(button.payload) <= MAX_PAYLOAD:
                problems.append(f"{where}: payload must be 1..{MAX_PAYLOAD} characters")
        elif button.type == "URL":
            problems.extend(_url_problems(where, button.url or "", len(button.variables)))
        elif not _PHONE.match(button.phone_number or ""):
            problems.append(f"{where}: phone_number must be digits with the country code")
        if button.type != "QUICK_REPLY" and button.payload is not None:
            problems.append(f"{where}: only a QUICK_REPLY has a payload")
    return problems


def _url_problems(where: str, url: str, count: int) -> list[str]:
    problems: list[str] = []
    if not url.startswith("https://") or len(url) > MAX_URL:
        problems.append(f"{where}: url must be an https URL of at most {MAX_URL} characters")
    problems.extend(_placeholder_problems(f"{where} url", url, count))
    if count > 1:
        problems.append(f"{where}: a URL allows one variable")
    if PLACEHOLDER.search(url) and not url.endswith("{{1}}"):
        problems.append(f"{where}: the URL variable must be at its end")
    return problems


def _variable_problems(t: TemplateDef) -> list[str]:
    problems: list[str] = []
    groups = [("header", t.header.variables if t.header else ()), ("body", t.body_variables)]
    groups.extend((f"button {i + 1}", b.variables) for i, b in enumerate(t.buttons))
    examples: dict[str, str] = {}
    for where, variables in groups:
        names = [v.name for v in variables]
        if len(set(names)) != len(names):
            problems.append(f"{where}: a variable name is declared twice")
        for variable in variables:
            if not _VARIABLE_NAME.match(variable.name):
                problems.append(f"{where}: variable name {variable.name!r} must be snake_case")
            if not isinstance(variable.example, str) or not variable.example.strip():
                problems.append(f"{where}: variable {variable.name!r} needs an example value")
                continue
            if re.search(r"[\n\t]| {5,}", variable.example):
                problems.append(
                    f"{where}: the example of {variable.name!r} has a newline, tab or 5+ spaces"
                )
            earlier = examples.setdefault(variable.name, variable.example)
            if earlier != variable.example:
                problems.append(
                    f"{where}: variable {variable.name!r} has two different examples "
                    f"({earlier!r} and {variable.example!r})"
                )
    return problems


def _translation_problems(library: Library, name: str) -> list[str]:
    """Both languages exist and agree on what the sender must know (category, variables…)."""
    versions = {code: library.templates.get((name, code)) for code in LANGUAGES}
    missing = [code for code, t in versions.items() if t is None]
    problems = [f"missing in {code}" for code in missing]
    present = [t for t in versions.values() if t is not None]
    if len(present) < 2:
        return problems
    first, others = present[0], present[1:]
    for other in others:
        pair = f"{first.language} and {other.language}"
        if other.category != first.category:
            problems.append(
                f"category differs between {pair} ({first.category} / {other.category})"
            )
        if set(other.variables()) != set(first.variables()):
            problems.append(
                f"variables differ between {pair}: {sorted(first.variables())} / "
                f"{sorted(other.variables())}"
            )
        if _shape(other) != _shape(first):
            problems.append(
                f"header, footer or buttons differ between {pair}: {_shape(first)} / "
                f"{_shape(other)}"
            )
    return problems


def _shape(t: TemplateDef) -> tuple[object, ...]:
    """What a translation must keep: header kind, footer presence, button types and payloads."""
    header = None if t.header is None else (t.header.format, bool(t.header.variables))
    buttons = tuple((b.type, b.payload, tuple(v.name for v in b.variables)) for b in t.buttons)
    return (header, t.footer is not None, buttons)


def _hydrate(text: str, values: list[str]) -> str:
    return PLACEHOLDER.sub(
        lambda m: values[int(m.group(1)) - 1] if int(m.group(1)) <= len(values) else "", text
    )


def _all_text(t: TemplateDef) -> str:
    parts = [t.header.text or "" if t.header else "", t.body, t.footer or ""]
    parts.extend(b.text for b in t.buttons)
    return "\n".join(parts)
