"""Read the template library files (``bot/templates/library/*.yml``) into typed templates.

One YAML file per language (``es_CO.yml`` is the source of truth, ``en.yml`` its
translation)::

    language: es_CO
    templates:
      event_reminder_1d:
        category: UTILITY
        header: {text: "Mañana es {{1}}", variables: {event: Pasarela Otoño}}
        body:
          text: "¡Hola, {{1}}! ..."
          variables:          # {{1}}, {{2}}… in this order: name → example value
            name: Laura
        footer: Fashionistas Medellín
        buttons:
          - {type: URL, text: Ver mi entrada, url: "https://…/{{1}}", variables: {ticket: A-1}}
          - {type: QUICK_REPLY, text: Hablar con alguien, payload: /human_handoff}
          - {type: PHONE_NUMBER, text: Llamar, phone_number: "573145550100"}

Unknown keys, wrong types and unquoted non-text examples (YAML reads ``8:00`` as the
number 480) are errors: the loader, like the validator, fails loudly and lists every
problem of every file at once (:class:`~bot.templates.validate.LibraryError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.templates.model import Button, Header, Library, TemplateDef, Variable
from bot.templates.validate import LibraryError, validate_library

__all__ = ["LIBRARY_DIR", "default_library", "load_library", "parse_library_file"]

LIBRARY_DIR = Path(__file__).resolve().parent / "library"

_TEMPLATE_KEYS = {"category", "header", "body", "footer", "buttons"}
_HEADER_KEYS = {"format", "text", "variables"}
_BODY_KEYS = {"text", "variables"}
_BUTTON_KEYS = {"type", "text", "url", "phone_number", "variables", "payload"}


class _Problems(list[str]):
    def add(self, where: str, problem: str) -> None:
        self.append(f"{where}: {problem}")


def load_library(directory: Path | str = LIBRARY_DIR, *, validate: bool = True) -> Library:
    """Every ``*.yml`` of ``directory``, validated (``validate=False`` only parses)."""
    directory = Path(directory)
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise LibraryError([f"{directory}: no *.yml template files"])
    problems = _Problems()
    templates: dict[tuple[str, str], TemplateDef] = {}
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.add(path.name, f"not valid YAML: {exc}")
            continue
        for template in parse_library_file(data, path.name, problems):
            if template.key in templates:
                problems.add(path.name, f"{template.label} is defined twice")
            templates[template.key] = template
    if problems:
        raise LibraryError(problems)
    library = Library(templates)
    return validate_library(library) if validate else library


@lru_cache(maxsize=1)
def default_library() -> Library:
    """The shipped library, loaded and validated once per process."""
    return load_library()


def parse_library_file(
    data: Any, source: str, problems: _Problems | None = None
) -> list[TemplateDef]:
    """The templates of one parsed file; structure problems go to ``problems`` (or raise)."""
    collect = problems if problems is not None else _Problems()
    found: list[TemplateDef] = []
    if not isinstance(data, Mapping) or set(data) - {"language", "templates"}:
        collect.add(source, "a file has exactly the keys 'language' and 'templates'")
    elif not isinstance(data.get("language"), str) or not data["language"]:
        collect.add(source, "'language' must be a language code such as es_CO")
    elif not isinstance(data.get("templates"), Mapping) or not data["templates"]:
        collect.add(source, "'templates' must map template names to templates")
    else:
        for name, spec in data["templates"].items():
            where = f"{source}: {name}"
            template = _template(str(name), data["language"], spec, where, collect)
            if template is not None:
                found.append(template)
    if problems is None and collect:
        raise LibraryError(collect)
    return found


def _template(
    name: str, language: str, spec: Any, where: str, problems: _Problems
) -> TemplateDef | None:
    if not _mapping(spec, _TEMPLATE_KEYS, where, problems):
        return None
    before = len(problems)
    category = _text(spec.get("category"), f"{where}.category", problems)
    body_spec = spec.get("body")
    if isinstance(body_spec, str):
        body_spec = {"text": body_spec}
    body_text, body_vars = "", ()
    if _mapping(body_spec, _BODY_KEYS, f"{where}.body", problems):
        body_text = _text(body_spec.get("text"), f"{where}.body.text", problems)
        body_vars = _variables(body_spec.get("variables"), f"{where}.body", problems)
    header = None
    if spec.get("header") is not None:
        header_spec = spec["header"]
        if _mapping(header_spec, _HEADER_KEYS, f"{where}.header", problems):
            header = Header(
                format=str(header_spec.get("format", "TEXT")).upper(),
                text=_optional_text(header_spec.get("text"), f"{where}.header.text", problems),
                variables=_variables(header_spec.get("variables"), f"{where}.header", problems),
            )
    footer = _optional_text(spec.get("footer"), f"{where}.footer", problems)
    buttons = _buttons(spec.get("buttons"), where, problems)
    if len(problems) > before:
        return None
    return TemplateDef(
        name=name,
        language=language,
        category=category.upper(),
        body=body_text,
        body_variables=body_vars,
        header=header,
        footer=footer,
        buttons=buttons,
        source=where.split(":")[0],
    )


def _buttons(value: Any, where: str, problems: _Problems) -> tuple[Button, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(f"{where}.buttons", "must be a list")
        return ()
    buttons: list[Button] = []
    for index, spec in enumerate(value, start=1):
        at = f"{where}.buttons[{index}]"
        if not _mapping(spec, _BUTTON_KEYS, at, problems):
            continue
        buttons.append(
            Button(
                type=str(spec.get("type", "")).upper(),
                text=_text(spec.get("text"), f"{at}.text", problems),
                url=_optional_text(spec.get("url"), f"{at}.url", problems),
                phone_number=_optional_text(spec.get("phone_number"), f"{at}.phone", problems),
                variables=_variables(spec.get("variables"), at, problems),
                payload=_optional_text(spec.get("payload"), f"{at}.payload", problems),
            )
        )
    return tuple(buttons)


def _variables(value: Any, where: str, problems: _Problems) -> tuple[Variable, ...]:
    """``{name: example, …}`` in ``{{1}}, {{2}}…`` order."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        problems.add(f"{where}.variables", "must map variable names to example values")
        return ()
    variables = []
    for name, example in value.items():
        if not isinstance(example, str):
            problems.add(
                f"{where}.variables.{name}",
                f"the example must be text; quote it (YAML read {example!r})",
            )
            continue
        variables.append(Variable(str(name), example))
    return tuple(variables)


def _mapping(value: Any, allowed: set[str], where: str, problems: _Problems) -> bool:
    if not isinstance(value, Mapping):
        problems.add(where, "must be a mapping")
        return False
    unknown = sorted(set(map(str, value)) - allowed)
    if unknown:
        problems.add(where, f"unknown key(s) {', '.join(unknown)}; allowed: {sorted(allowed)}")
        return False
    return True


def _text(value: Any, where: str, problems: _Problems) -> str:
    if not isinstance(value, str):
        problems.add(where, f"must be text, got {value!r}")
        return ""
    return value


def _optional_text(value: Any, where: str, problems: _Problems) -> str | None:
    return None if value is None else _text(value, where, problems)
