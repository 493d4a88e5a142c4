"""Message template registry of the sandbox (contract §4.3 sending, §6 management).

The registry answers three questions: may this template be created (sync checks),
what would Meta's review decide (``review``), and what does a send hydrate to
(``render_send``). The review is deliberately a small set of readable rules so a
test can predict an APPROVED/REJECTED outcome from the template text alone.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.graph_errors import GraphError, invalid, required

CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
#: Statuses under which a template may be sent (everything else -> 132001/132015/132016).
SENDABLE = "APPROVED"
_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NAMED_PARAM = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Words that make a UTILITY template look like marketing (review rule INCORRECT_CATEGORY).
_PROMOTIONAL = re.compile(
    r"descuento|oferta|promo|rebaja|cup[oó]n|coupon|discount|\d+\s*%\s*off|%\s*off|\bsale\b",
    re.IGNORECASE,
)
MAX_BODY = 1024
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_BUTTON_TEXT = 25
MAX_BUTTONS = 10
_MEDIA_FORMATS = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document", "GIF": "video"}


def _new_template_id() -> str:
    """Numeric ids like Meta's (``594425479261596``), unique enough for a sandbox."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def placeholders(text: str | None) -> list[str]:
    """Placeholder names in order of first appearance (``{{1}}`` -> ``"1"``)."""
    seen: list[str] = []
    for match in _PLACEHOLDER.finditer(text or ""):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def positional_ok(names: list[str]) -> bool:
    """Positional placeholders must be exactly ``{{1}}..{{n}}`` in order."""
    return names == [str(i) for i in range(1, len(names) + 1)]


@dataclass
class Template:
    id: str
    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    status: str = "PENDING"
    parameter_format: str = "POSITIONAL"
    rejected_reason: str = "NONE"
    rejection_info: dict[str, str] | None = None
    created_at: float = field(default_factory=time.time)

    def component(self, kind: str) -> dict[str, Any] | None:
        """The first component of a type (``BODY``, ``HEADER``...), case-insensitive."""
        for comp in self.components:
            if str(comp.get("type", "")).upper() == kind:
                return comp
        return None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        comp = self.component("BUTTONS")
        return list(comp.get("buttons") or []) if comp else []

    def to_api(self, fields: list[str] | None = None) -> dict[str, Any]:
        """The Graph API template object (``fields`` filters like ``?fields=name,status``)."""
        data: dict[str, Any] = {
            "name": self.name,
            "parameter_format": self.parameter_format,
            "components": copy.deepcopy(self.components),
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
        }
        if self.status == "REJECTED":
            data["rejected_reason"] = self.rejected_reason
        if fields:
            data = {k: v for k, v in data.items() if k in fields or k == "id"}
        return data


@dataclass(frozen=True)
class ReviewOutcome:
    status: str
    reason: str = "NONE"
    rejection_info: dict[str, str] | None = None


def _seed() -> list[Template]:
    """The two templates every WABA of this project starts with."""
    return [
        Template(
            id="1200000000000001",
            name="hello_world",
            language="en_US",
            category="UTILITY",
            status="APPROVED",
            components=[
                {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
                {
                    "type": "BODY",
                    "text": "Welcome and congratulations!! This message demonstrates your "
                    "ability to send a WhatsApp message notification from the Cloud API, "
                    "hosted by Meta. Thank you for taking the time to test with us.",
                },
                {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
            ],
        ),
        Template(
            id="1200000000000002",
            name="bienvenida",
            language="es_CO",
            category="UTILITY",
            status="APPROVED",
            components=[
                {
                    "type": "BODY",
                    "text": "¡Hola {{1}}! 👋 Te damos la bienvenida a *Fashionistas Medellín*. "
                    "Por aquí te llegan tus entradas, horarios y novedades de los eventos. "
                    "¿Qué quieres hacer?",
                    "example": {"body_text": [["Laura"]]},
                },
                {"type": "FOOTER", "text": "Fashionistas Medellín"},
                {
                    "type": "BUTTONS",
                    "buttons": [
                        {"type": "QUICK_REPLY", "text": "Ver eventos"},
                        {"type": "QUICK_REPLY", "text": "Hablar con alguien"},
                    ],
                },
            ],
        ),
    ]


class TemplateRegistry:
    """All templates of the sandbox WABA, keyed by id."""

    def __init__(self) -> None:
        self._by_id: dict[str, Template] = {}
        self.reset()

    def reset(self) -> None:
        self._by_id = {t.id: t for t in _seed()}

    # --- lookups ---------------------------------------------------------------
    def get(self, template_id: str) -> Template | None:
        return self._by_id.get(template_id)

    def find(self, name: str, language: str) -> Template | None:
        for template in self._by_id.values():
            if template.name == name and template.language == language:
                return template
        return None

    def query(self, **filters: str | None) -> list[Template]:
        """Templates matching every given filter (name, status, category, language)."""
        out = []
        for template in sorted(self._by_id.values(), key=lambda t: t.created_at):
            if all(
                value is None or str(getattr(template, key)).upper() == value.upper()
                for key, value in filters.items()
            ):
                out.append(template)
        return out

    # --- management ------------------------------------------------------------
    def create(self, payload: Any) -> Template:
        """Synchronous checks of ``POST /{waba_id}/message_templates``; new ones are PENDING."""
        if not isinstance(payload, dict):
            raise GraphError(100, "Request body must be a JSON object.")
        name = payload.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise GraphError(
                100, "Param name must be lowercase letters, digits and underscores (max 512)."
            )
        language = payload.get("language")
        if not isinstance(language, str) or not language:
            raise GraphError(100, "The parameter language is required.")
        category = str(payload.get("category") or "").upper()
        if category not in CATEGORIES:
            raise GraphError(100, f"Param category must be one of {', '.join(CATEGORIES)}.")
        components = payload.get("components")
        if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
            raise GraphError(100, "The parameter components is required.")
        bodies = [c for c in components if str(c.get("type", "")).upper() == "BODY"]
        if len(bodies) != 1:
            raise GraphError(100, "A template needs exactly one BODY component.")
        if self.find(name, language):
            raise GraphError(100, f"Content in this language already exists: {name} ({language}).")
        parameter_format = str(payload.get("parameter_format") or "POSITIONAL").upper()
        template = Template(
            id=_new_template_id(),
            name=name,
            language=language,
            category=category,
            components=copy.deepcopy(components),
            parameter_format=parameter_format,
        )
        self._by_id[template.id] = template
        return template

    def edit(self, template: Template, payload: Any) -> None:
        """``POST /{template_id}``: new components send the template back to review."""
        if not isinstance(payload, dict) or not isinstance(payload.get("components"), list):
            raise GraphError(100, "The parameter components is required.")
        if template.status not in ("APPROVED", "REJECTED", "PAUSED"):
            raise GraphError(100, f"A template in status {template.status} cannot be edited.")
        template.components = copy.deepcopy(payload["components"])
        if payload.get("category"):
            template.category = str(payload["category"]).upper()
        template.status = "PENDING"
        template.rejected_reason = "NONE"
        template.rejection_info = None

    def delete(self, name: str | None, hsm_id: str | None) -> list[Template]:
        """Delete every language of ``name`` (or just ``hsm_id``); returns what was removed."""
        if not name:
            raise GraphError(100, "The parameter name is required.")
        doomed = [
            t for t in self._by_id.values() if t.name == name and (not hsm_id or t.id == hsm_id)
        ]
        if not doomed:
            raise GraphError(100, f"Message template {name!r} not found.")
        for template in doomed:
            del self._by_id[template.id]
        return doomed

    def apply(self, template: Template, outcome: ReviewOutcome) -> None:
        template.status = outcome.status
        template.rejected_reason = outcome.reason
        template.rejection_info = outcome.rejection_info

    # --- review ----------------------------------------------------------------
    @staticmethod
    def review(template: Template) -> ReviewOutcome:
        """Meta's review, reduced to predictable rules (see module docstring)."""
        problem = _format_problem(template)
        if problem:
            return ReviewOutcome(
                "REJECTED",
                "INVALID_FORMAT",
                {"reason": problem, "recommendation": "Fix the template format and resubmit."},
            )
        if template.category == "UTILITY" and _PROMOTIONAL.search(_all_text(template)):
            return ReviewOutcome(
                "REJECTED",
                "INCORRECT_CATEGORY",
                {
                    "reason": "The content looks promotional for a UTILITY template.",
                    "recommendation": "Submit it as MARKETING or remove the promotional text.",
                },
            )
        return ReviewOutcome("APPROVED")

    # --- sending ---------------------------------------------------------------
    def render_send(self, payload: Any) -> tuple[Template, dict[str, Any]]:
        """Check a ``type: template`` send and hydrate it for the web chat."""
        if not isinstance(payload, dict):
            raise required("template")
        name = payload.get("name")
        if not isinstance(name, str) or not name:
            raise required("template['name']")
        language = payload.get("language")
        code = language.get("code") if isinstance(language, dict) else None
        if not isinstance(code, str) or not code:
            raise required("template['language']['code']")
        template = self.find(name, code)
        if template is None or template.status not in (SENDABLE, "PAUSED", "DISABLED"):
            raise GraphError(132001, f"template name ({name}) does not exist in {code}")
        if template.status == "PAUSED":
            raise GraphError(132015, f"Template {name} is paused.")
        if template.status == "DISABLED":
            raise GraphError(132016, f"Template {name} is disabled.")
        components = payload.get("components") or []
        if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
            raise invalid("Param template['components'] must be a list of objects.")
        return template, _Renderer(template, components).render()


def _all_text(template: Template) -> str:
    parts: list[str] = []
    for comp in template.components:
        parts.append(str(comp.get("text") or ""))
        for button in comp.get("buttons") or []:
            parts.append(str(button.get("text") or ""))
    return "\n".join(parts)


def _format_problem(template: Template) -> str | None:
    """Why the review would answer INVALID_FORMAT, or None."""
    body = template.component("BODY") or {}
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return "BODY text is required."
    if len(text) > MAX_BODY:
        return f"BODY text is longer than {MAX_BODY} characters."
    problem = _placeholder_problem(template, "BODY", text, body)
    if problem:
        return problem
    header = template.component("HEADER")
    if header and str(header.get("format", "TEXT")).upper() == "TEXT":
        header_text = str(header.get("text") or "")
        if not header_text or len(header_text) > MAX_HEADER:
            return f"HEADER text must be 1..{MAX_HEADER} characters."
        if len(placeholders(header_text)) > 1:
            return "HEADER text allows at most one variable."
        problem = _placeholder_problem(template, "HEADER", header_text, header)
        if problem:
            return problem
    footer = template.component("FOOTER")
    if footer and (len(str(footer.get("text") or "")) > MAX_FOOTER or placeholders(footer["text"])):
        return f"FOOTER text must be at most {MAX_FOOTER} characters without variables."
    buttons = template.buttons
    if len(buttons) > MAX_BUTTONS:
        return f"At most {MAX_BUTTONS} buttons are allowed."
    for button in buttons:
        label = str(button.get("text") or "")
        if not label or len(label) > MAX_BUTTON_TEXT:
            return f"Button text must be 1..{MAX_BUTTON_TEXT} characters."
    return None


def _placeholder_problem(
    template: Template, kind: str, text: str, comp: dict[str, Any]
) -> str | None:
    """Placeholders must be well formed and come with examples."""
    names = placeholders(text)
    if not names:
        return None
    example = comp.get("example") or {}
    if template.parameter_format == "NAMED":
        if not all(_NAMED_PARAM.match(n) for n in names):
            return f"{kind} named variables must be lowercase identifiers."
        key = "body_text_named_params" if kind == "BODY" else "header_text_named_params"
        given = {p.get("param_name") for p in example.get(key) or [] if isinstance(p, dict)}
        return None if set(names) <= given else f"{kind} is missing examples for its variables."
    if not positional_ok(names):
        return f"{kind} variables must be {{{{1}}}}..{{{{n}}}} in order."
    if kind == "BODY":
        rows = example.get("body_text") or []
        row = rows[0] if rows and isinstance(rows[0], list) else []
        return None if len(row) == len(names) else "BODY is missing examples for its variables."
    samples = example.get("header_text") or []
    return None if len(samples) == len(names) else "HEADER is missing examples for its variables."


class _Renderer:
    """Hydrates one template send; raises the 132xxx errors Meta would."""

    def __init__(self, template: Template, components: list[dict[str, Any]]) -> None:
        self.template = template
        self.sent = components

    def _sent(self, kind: str) -> list[dict[str, Any]]:
        return [c for c in self.sent if str(c.get("type", "")).lower() == kind]

    def render(self) -> dict[str, Any]:
        t = self.template
        body_text = self._fill("body", (t.component("BODY") or {}).get("text") or "")
        if len(body_text) > MAX_BODY:
            raise GraphError(132005, f"Hydrated body is {len(body_text)} characters long.")
        footer = t.component("FOOTER")
        header = self._header()
        footer_text = footer.get("text") if footer else None
        header_text = header.get("text") if header and header.get("type") == "text" else None
        return {
            "name": t.name,
            "language": t.language,
            "category": t.category,
            "header": header,
            "body": body_text,
            "footer": footer_text,
            # Everything a person reads, in order: handy for the CLI and assertions.
            "text": "\n\n".join(p for p in (header_text, body_text, footer_text) if p),
            "buttons": self._buttons(),
        }

    def _params(self, kind: str) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = []
        for comp in self._sent(kind):
            value = comp.get("parameters") or []
            if not isinstance(value, list):
                raise invalid(f"Param template['components'][{kind}]['parameters'] must be a list.")
            params.extend(value)
        return params

    def _fill(self, kind: str, text: str) -> str:
        names = placeholders(text)
        params = self._params(kind)
        if len(params) != len(names):
            raise GraphError(
                132000,
                f"{kind}: number of localizable_params ({len(params)}) does not match "
                f"the expected number of params ({len(names)})",
            )
        values: dict[str, str] = {}
        for index, param in enumerate(params):
            named = self.template.parameter_format == "NAMED"
            key = str(param.get("parameter_name") or "") if named else str(index + 1)
            if key not in names:
                raise GraphError(132012, f"{kind}: unknown parameter {key!r}.")
            values[key] = _text_value(param, kind)
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    def _header(self) -> dict[str, Any] | None:
        header = self.template.component("HEADER")
        if not header:
            return None
        fmt = str(header.get("format", "TEXT")).upper()
        if fmt == "TEXT":
            return {"type": "text", "text": self._fill("header", str(header.get("text") or ""))}
        params = self._params("header")
        expected = _MEDIA_FORMATS.get(fmt, fmt.lower())
        if len(params) != 1:
            raise GraphError(
                132000,
                f"header: number of localizable_params ({len(params)}) does not match "
                "the expected number of params (1)",
            )
        param = params[0]
        media = param.get(expected) if isinstance(param.get(expected), dict) else None
        if str(param.get("type", "")).lower() != expected or media is None:
            raise GraphError(132012, f"header: expected a parameter of type {expected}.")
        if expected != "location" and not (media.get("id") or media.get("link")):
            raise required(f"template['components'][header]['parameters'][0]['{expected}']['link']")
        return {"type": expected, **media}

    def _buttons(self) -> list[dict[str, Any]]:
        rendered = []
        overrides = self._button_overrides()
        for index, button in enumerate(self.template.buttons):
            kind = str(button.get("type", "")).upper()
            item: dict[str, Any] = {"index": index, "type": kind, "text": button.get("text", "")}
            param = overrides.get(index)
            if kind == "QUICK_REPLY":
                item["payload"] = (param or {}).get("payload") or button.get("text", "")
            elif kind == "URL":
                url = str(button.get("url") or "")
                if placeholders(url):
                    if param is None:
                        raise GraphError(132000, f"button {index}: the URL suffix is required.")
                    url = _PLACEHOLDER.sub(lambda _m, p=param: _text_value(p, "button"), url)
                item["url"] = url
            elif kind == "PHONE_NUMBER":
                item["phone_number"] = button.get("phone_number")
            rendered.append(item)
        return rendered

    def _button_overrides(self) -> dict[int, dict[str, Any]]:
        """Sent ``button`` components by index, checked against the template's buttons."""
        overrides: dict[int, dict[str, Any]] = {}
        buttons = self.template.buttons
        for comp in self._sent("button"):
            try:
                index = int(comp.get("index"))  # a string in Meta docs, an int in pywa
            except (TypeError, ValueError):
                raise required("template['components'][button]['index']") from None
            if not 0 <= index < len(buttons):
                raise invalid(f"button index {index} does not exist in the template.")
            sub_type = str(comp.get("sub_type", "")).upper()
            if sub_type != str(buttons[index].get("type", "")).upper():
                raise GraphError(132012, f"button {index}: sub_type {sub_type or '-'} mismatch.")
            params = comp.get("parameters") or []
            if params and isinstance(params, list) and isinstance(params[0], dict):
                overrides[index] = params[0]
        return overrides


def _text_value(param: dict[str, Any], kind: str) -> str:
    """The display value of a text/currency/date_time/payload parameter."""
    ptype = str(param.get("type", "")).lower()
    if ptype == "text":
        value = param.get("text")
        if not isinstance(value, str) or not value:
            raise required(f"template['components'][{kind}]['parameters'][]['text']")
        return value
    if ptype in ("currency", "date_time"):
        value = (param.get(ptype) or {}).get("fallback_value")
        if not isinstance(value, str) or not value:
            raise required(
                f"template['components'][{kind}]['parameters'][]['{ptype}']['fallback_value']"
            )
        return value
    if ptype == "payload":
        return str(param.get("payload") or "")
    raise GraphError(132012, f"{kind}: parameter type {ptype or '-'} is not valid here.")
