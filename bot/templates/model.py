"""Typed template definitions, and the Cloud API bodies made from them (contract §6).

A :class:`TemplateDef` is one template in one language, as the library files describe
it. Variables are positional on the wire (``{{1}}``, ``{{2}}``… per component, as the
contract's create example shows) but every one has a *name* in the library
(``name``, ``event``, ``time``…), so a sender fills them by name whatever order a
translation put them in, and the validator can check that both languages ask for the
same ones.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LANGUAGES",
    "PLACEHOLDER",
    "Button",
    "Header",
    "Library",
    "TemplateDef",
    "UnknownTemplate",
    "Variable",
    "content_hash",
    "template_language",
]

#: Template languages of the library, Spanish (the source of truth) first.
LANGUAGES = ("es_CO", "en")
#: Contact language (``contacts.language``) → template language.
_FROM_CONTACT = {"es": "es_CO", "en": "en"}
#: A well-formed positional placeholder.
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
#: Header formats whose value at send time is a media link or id.
MEDIA_FORMATS = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}


class UnknownTemplate(LookupError):
    """The library has no template of this name in this language."""


def template_language(language: str) -> str:
    """``es``/``en`` (a contact's language) or a template language → the template language."""
    code = _FROM_CONTACT.get(language, language)
    if code not in LANGUAGES:
        raise UnknownTemplate(
            f"no template language for {language!r}; the library has {', '.join(LANGUAGES)}"
        )
    return code


@dataclass(frozen=True)
class Variable:
    """One ``{{n}}`` of a component: its name in the library and its example value."""

    name: str
    example: str


@dataclass(frozen=True)
class Header:
    """``TEXT`` (optionally one variable) or a media header (one variable: its link or id)."""

    format: str = "TEXT"
    text: str | None = None
    variables: tuple[Variable, ...] = ()

    @property
    def is_media(self) -> bool:
        return self.format in MEDIA_FORMATS

    def component(self) -> dict[str, Any]:
        if self.is_media:
            # Meta wants an upload handle; Wappbíz (and Meta for the review) takes a URL.
            example = {"header_handle": [v.example for v in self.variables]}
            return {"type": "HEADER", "format": self.format, "example": example}
        comp: dict[str, Any] = {"type": "HEADER", "format": "TEXT", "text": self.text or ""}
        if self.variables:
            comp["example"] = {"header_text": [v.example for v in self.variables]}
        return comp


@dataclass(frozen=True)
class Button:
    """``QUICK_REPLY``, ``URL`` (optionally a ``{{1}}`` suffix) or ``PHONE_NUMBER``.

    ``payload`` is not submitted: it is the quick reply's default payload at send time
    (a Rasa ``/intent`` the tap comes back as, contract §2.3 and §4.3).
    """

    type: str
    text: str
    url: str | None = None
    phone_number: str | None = None
    variables: tuple[Variable, ...] = ()
    payload: str | None = None

    def example_url(self) -> str:
        url = self.url or ""
        for index, variable in enumerate(self.variables, start=1):
            url = url.replace("{{" + str(index) + "}}", variable.example)
        return url

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "text": self.text}
        if self.type == "URL":
            data["url"] = self.url
            if self.variables:
                data["example"] = [self.example_url()]
        elif self.type == "PHONE_NUMBER":
            data["phone_number"] = self.phone_number
        return data


@dataclass(frozen=True)
class TemplateDef:
    """One template in one language."""

    name: str
    language: str
    category: str
    body: str
    body_variables: tuple[Variable, ...] = ()
    header: Header | None = None
    footer: str | None = None
    buttons: tuple[Button, ...] = ()
    #: The library file it came from (for error messages); not part of the template.
    source: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.language)

    @property
    def label(self) -> str:
        return f"{self.name} [{self.language}]"

    def variables(self) -> dict[str, str]:
        """Every variable name with its example, header first, then body, then buttons."""
        found: dict[str, str] = {}
        groups = [self.header.variables if self.header else (), self.body_variables]
        groups.extend(button.variables for button in self.buttons)
        for group in groups:
            for variable in group:
                found.setdefault(variable.name, variable.example)
        return found

    def components(self) -> list[dict[str, Any]]:
        """The ``components`` of the create (and edit) body."""
        comps: list[dict[str, Any]] = []
        if self.header is not None:
            comps.append(self.header.component())
        body: dict[str, Any] = {"type": "BODY", "text": self.body}
        if self.body_variables:
            body["example"] = {"body_text": [[v.example for v in self.body_variables]]}
        comps.append(body)
        if self.footer:
            comps.append({"type": "FOOTER", "text": self.footer})
        if self.buttons:
            comps.append({"type": "BUTTONS", "buttons": [b.to_api() for b in self.buttons]})
        return comps

    def create_payload(self) -> dict[str, Any]:
        """``POST /{waba_id}/message_templates`` body (contract §6)."""
        return {
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "parameter_format": "POSITIONAL",
            "components": self.components(),
        }

    def content_hash(self) -> str:
        """What decides "re-submit": category and components, nothing else."""
        return content_hash(self.category, self.components())


def content_hash(category: str, components: Any) -> str:
    """SHA-256 of canonical JSON of a template's category and components.

    Also computed over a template listed by Wappbíz, to adopt one we have no row for.
    """
    canonical = json.dumps(
        {"category": str(category).upper(), "components": components},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Library:
    """Every template of every language, by (name, language)."""

    templates: Mapping[tuple[str, str], TemplateDef]

    def get(self, name: str, language: str) -> TemplateDef:
        """The template; ``language`` may be a contact's (``es``) or a template's (``es_CO``)."""
        code = template_language(language)
        try:
            return self.templates[(name, code)]
        except KeyError:
            raise UnknownTemplate(f"the template library has no {name!r} in {code}") from None

    def names(self) -> list[str]:
        return sorted({name for name, _ in self.templates})

    def languages(self) -> list[str]:
        found = {language for _, language in self.templates}
        return [code for code in LANGUAGES if code in found] + sorted(found - set(LANGUAGES))

    def __iter__(self) -> Iterator[TemplateDef]:
        order = {code: i for i, code in enumerate(LANGUAGES)}
        return iter(
            sorted(
                self.templates.values(),
                key=lambda t: (t.name, order.get(t.language, len(order)), t.language),
            )
        )

    def __len__(self) -> int:
        return len(self.templates)

    def __contains__(self, key: object) -> bool:
        return key in self.templates
