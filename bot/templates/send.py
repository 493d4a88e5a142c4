"""Build the Cloud API ``template`` object of a send from a library template (contract §4.3).

Pure functions, for the sender (the outbox stores this object as a ``template`` row,
or as the 24-hour-window fallback of a free-form message)::

    template = library.get("event_reminder_1d", contact.language)
    obj = build_template(template, {"name": "Laura", "event": "Pasarela Otoño", ...})
    await wappbiz.send({"to": wa_id, "type": "template", "template": obj})

Values are given by variable *name* (the library's), so the same call fits both
languages. Everything Wappbíz would refuse with 132000 (count), 132005 (too long) or
132012 (format) is refused here first with :class:`TemplateValueError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.templates.model import MEDIA_FORMATS, PLACEHOLDER, TemplateDef
from bot.templates.validate import MAX_BODY, MAX_HEADER, MAX_PAYLOAD, MAX_URL

__all__ = ["TemplateValueError", "build_template", "message_body", "render_text"]

_BAD_TEXT = re.compile(r"[\n\t]| {5,}")
_MEDIA_ID = re.compile(r"^\d{1,32}$")


class TemplateValueError(ValueError):
    """Values that do not fit the template (missing, unknown, empty, too long…)."""


def build_template(
    template: TemplateDef,
    values: Mapping[str, str],
    *,
    payloads: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """The ``template`` object of a send: name, language and parameter components.

    ``values`` maps every variable name of the template to its text (a media header's
    variable to an https link or a media id). ``payloads`` overrides quick-reply
    payloads by button index (0-based); a quick reply without one uses the library's
    ``payload``, if any, and otherwise comes back as its text.
    """
    _check_names(template, values)
    components: list[dict[str, Any]] = []
    header = template.header
    if header is not None and header.variables:
        variable = header.variables[0]
        value = values[variable.name]
        if header.is_media:
            kind = MEDIA_FORMATS[header.format]
            components.append(
                {
                    "type": "header",
                    "parameters": [{"type": kind, kind: _media(value, variable.name)}],
                }
            )
        else:
            _hydrated(header.text or "", [_text(value, variable.name)], MAX_HEADER, "header")
            components.append({"type": "header", "parameters": [_param(value)]})
    body_values = [_text(values[v.name], v.name) for v in template.body_variables]
    _hydrated(template.body, body_values, MAX_BODY, "body")
    if body_values:
        components.append({"type": "body", "parameters": [_param(v) for v in body_values]})
    payloads = dict(payloads or {})
    unknown = sorted(
        i
        for i in payloads
        if not 0 <= i < len(template.buttons) or template.buttons[i].type != "QUICK_REPLY"
    )
    if unknown:
        raise TemplateValueError(
            f"{template.label}: payloads given for buttons {unknown}, which are not quick replies"
        )
    for index, button in enumerate(template.buttons):
        if button.type == "URL" and button.variables:
            suffix = _text(values[button.variables[0].name], button.variables[0].name)
            if re.search(r"\s", suffix):
                raise TemplateValueError(f"{template.label}: the URL suffix {suffix!r} has spaces")
            _hydrated(button.url or "", [suffix], MAX_URL, f"button {index + 1} URL")
            components.append(_button(index, "url", {"type": "text", "text": suffix}))
        elif button.type == "QUICK_REPLY":
            payload = payloads.get(index, button.payload)
            if payload is None:
                continue
            if not 1 <= len(payload) <= MAX_PAYLOAD:
                raise TemplateValueError(
                    f"{template.label}: button {index + 1} payload must be 1..{MAX_PAYLOAD} "
                    "characters"
                )
            components.append(
                _button(index, "quick_reply", {"type": "payload", "payload": payload})
            )
    obj: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if components:
        obj["components"] = components
    return obj


def message_body(
    template: TemplateDef,
    values: Mapping[str, str],
    *,
    payloads: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """``{"type": "template", "template": …}``: a message body without ``to`` (§4)."""
    return {"type": "template", "template": build_template(template, values, payloads=payloads)}


def render_text(template: TemplateDef, values: Mapping[str, str] | None = None) -> str:
    """What a person reads (header, body, footer), filled with ``values`` or the examples.

    For previews, logs and tests; a media header shows as ``[IMAGE]``.
    """
    filled = {**template.variables(), **(values or {})}
    parts: list[str] = []
    if template.header is not None:
        if template.header.is_media:
            parts.append(f"[{template.header.format}]")
        else:
            header_values = [filled[v.name] for v in template.header.variables]
            parts.append(_fill(template.header.text or "", header_values))
    parts.append(_fill(template.body, [filled[v.name] for v in template.body_variables]))
    if template.footer:
        parts.append(template.footer)
    return "\n\n".join(parts)


def _check_names(template: TemplateDef, values: Mapping[str, str]) -> None:
    expected = set(template.variables())
    missing = sorted(expected - set(values))
    extra = sorted(set(values) - expected)
    if missing or extra:
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing)}")
        if extra:
            detail.append(f"unknown {', '.join(extra)}")
        raise TemplateValueError(
            f"{template.label} takes {len(expected)} value(s) "
            f"({', '.join(sorted(expected)) or 'none'}): {'; '.join(detail)}"
        )


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TemplateValueError(f"value {name!r} must be non-empty text, got {value!r}")
    if _BAD_TEXT.search(value):
        raise TemplateValueError(
            f"value {name!r} cannot have newlines, tabs or more than 4 spaces in a row"
        )
    return value


def _media(value: Any, name: str) -> dict[str, str]:
    if isinstance(value, str) and _MEDIA_ID.match(value):
        return {"id": value}
    if isinstance(value, str) and value.startswith("https://") and len(value) <= MAX_URL:
        return {"link": value}
    raise TemplateValueError(f"value {name!r} must be an https link or a media id, got {value!r}")


def _hydrated(text: str, values: list[str], limit: int, where: str) -> str:
    filled = _fill(text, values)
    if len(filled) > limit:
        raise TemplateValueError(f"the {where} would be {len(filled)} characters; at most {limit}")
    return filled


def _fill(text: str, values: list[str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], text)


def _param(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


def _button(index: int, sub_type: str, parameter: dict[str, str]) -> dict[str, Any]:
    return {"type": "button", "sub_type": sub_type, "index": str(index), "parameters": [parameter]}
