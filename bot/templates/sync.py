"""Keep Wappbíz's templates in step with the library, and know which ones may be sent.

``sync_templates`` (``python -m bot templates sync``), per library template and language:

* unknown to Wappbíz → ``POST /{waba_id}/message_templates``; the row records its id,
  ``PENDING`` and the content hash;
* known, same content (the row's hash, or for a template we have no row for, the hash
  of what Wappbíz lists) → nothing is sent; the row takes the listed status;
* known, content changed in the library → ``POST /{template_id}`` with the new
  components (the contract's edit), back to ``PENDING``. Wappbíz refuses to edit a
  template under review, so a changed ``PENDING`` one is reported ``edit_blocked`` and
  edited by the next sync after the review.

Statuses come from ``GET /{waba_id}/message_templates`` (all pages), and between syncs
from the ``message_template_status_update`` webhook (:func:`apply_status_update`).

Only ``APPROVED`` templates are sent: :func:`require_approved` raises
:class:`TemplateNotApproved` for anything else (never recorded, pending, rejected,
paused, disabled, or changed in the library since it was approved), so the sender
reports the template instead of silently skipping the message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bot.clients.wappbiz_templates import RemoteTemplate, WappbizTemplatesClient
from bot.errors import WhatsAppInvalidRequest
from bot.logging import event
from bot.templates.loader import default_library
from bot.templates.model import Library, TemplateDef, content_hash, template_language

if TYPE_CHECKING:
    from bot.storage.templates import MessageTemplateRecord, TemplateStoreMixin

__all__ = [
    "EDITABLE",
    "SyncEntry",
    "SyncReport",
    "TemplateNotApproved",
    "apply_status_update",
    "approved",
    "refresh_statuses",
    "require_approved",
    "sync_templates",
    "wait_for_review",
]

log = logging.getLogger(__name__)

#: Statuses in which Wappbíz accepts an edit (contract §6; the emulator's rule too).
EDITABLE = ("APPROVED", "REJECTED", "PAUSED")
#: Statuses after which nothing will change without us (everything but a review).
UNDER_REVIEW = ("PENDING", "IN_APPEAL")
#: Statuses that keep a template from being sent and need a person.
PROBLEM_STATUSES = ("REJECTED", "PAUSED", "DISABLED")
#: What a person should do about a rejection reason (contract §6 reasons).
REASON_HINTS = {
    "INCORRECT_CATEGORY": "the text does not fit its category (promotional wording in a "
    "UTILITY template?): reword it or make it MARKETING",
    "INVALID_FORMAT": "variables, examples or lengths break the rules: run "
    "`python -m bot templates check`",
    "PROMOTIONAL": "Meta considers it promotional",
    "ABUSIVE_CONTENT": "Meta considers the content abusive",
    "SCAM": "Meta considers it a possible scam",
    "TAG_CONTENT_MISMATCH": "the content does not match its category or language",
}


class TemplateNotApproved(RuntimeError):
    """The template may not be sent: it is not APPROVED in the library's current wording.

    ``status`` is None when it was never recorded (run ``python -m bot templates sync``).
    """

    def __init__(
        self,
        name: str,
        language: str,
        status: str | None,
        reason: str | None = None,
        detail: str = "",
    ) -> None:
        self.name = name
        self.language = language
        self.status = status
        self.reason = reason
        state = "was never submitted" if status is None else f"is {status}"
        why = f" ({reason}: {REASON_HINTS.get(reason, 'see Wappbíz')})" if reason else ""
        more = f"; {detail}" if detail else ""
        super().__init__(
            f"template {name} [{language}] {state}{why}{more}; only APPROVED templates are "
            "sent: fix it if needed and run `python -m bot templates sync`"
        )


@dataclass(frozen=True)
class SyncEntry:
    """The outcome for one template in one language.

    ``action``: ``created``/``edited`` (submitted now), ``unchanged``, ``edit_blocked``
    (changed in the library while Wappbíz reviews it), ``would_create``/``would_edit``
    (dry run), ``not_submitted``/``changed`` (status refresh only), ``failed``.
    """

    name: str
    language: str
    category: str
    action: str
    status: str | None = None
    rejected_reason: str | None = None
    wappbiz_id: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} [{self.language}]"

    @property
    def is_problem(self) -> bool:
        return self.action == "failed" or self.status in PROBLEM_STATUSES


@dataclass(frozen=True)
class SyncReport:
    entries: tuple[SyncEntry, ...]
    mode: str = "sync"

    @property
    def submitted(self) -> list[SyncEntry]:
        return [e for e in self.entries if e.action in ("created", "edited")]

    @property
    def problems(self) -> list[SyncEntry]:
        return [e for e in self.entries if e.is_problem]

    @property
    def pending(self) -> list[SyncEntry]:
        return [e for e in self.entries if e.status in UNDER_REVIEW]

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_status(self) -> dict[str, list[SyncEntry]]:
        groups: dict[str, list[SyncEntry]] = {}
        for entry in self.entries:
            key = "FAILED" if entry.action == "failed" else entry.status or "NOT SUBMITTED"
            groups.setdefault(key, []).append(entry)
        return groups

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self.entries]

    def lines(self) -> list[str]:
        """The report a person reads: approved, pending, rejected (with reason), paused…"""
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.action] = counts.get(entry.action, 0) + 1
        done = ", ".join(f"{n} {action.replace('_', ' ')}" for action, n in sorted(counts.items()))
        title = {"dry_run": "dry run, nothing sent", "refresh": "statuses refreshed"}
        lines = [
            f"{len(self.entries)} library templates ({title.get(self.mode, 'synced')}): {done}"
        ]
        groups = self.by_status()
        order = ["APPROVED", "PENDING", "IN_APPEAL", "REJECTED", "PAUSED", "DISABLED"]
        order += sorted(set(groups) - {*order, "NOT SUBMITTED", "FAILED"})
        order += ["NOT SUBMITTED", "FAILED"]
        notes = {
            "REJECTED": " - not sent until fixed and synced again",
            "PAUSED": " - not sent while paused (low quality)",
            "DISABLED": " - not sent",
            "NOT SUBMITTED": " - not sent",
            "FAILED": " - Wappbíz refused or did not answer",
        }
        for status in order:
            entries = groups.get(status)
            if not entries:
                continue
            lines.append(f"{status} ({len(entries)}){notes.get(status, '')}")
            for entry in entries:
                lines.append(f"  {entry.label}{_entry_note(entry)}")
        return lines


def _entry_note(entry: SyncEntry) -> str:
    parts = []
    if entry.action not in ("unchanged",):
        parts.append(entry.action.replace("_", " "))
    if entry.rejected_reason:
        hint = REASON_HINTS.get(entry.rejected_reason)
        parts.append(f"{entry.rejected_reason}: {hint}" if hint else entry.rejected_reason)
    if entry.action == "edit_blocked":
        parts.append("changed in the library while under review; sync again after the review")
    if entry.error:
        parts.append(entry.error)
    return f" - {'; '.join(parts)}" if parts else ""


# --------------------------------------------------------------------------- sync


async def sync_templates(
    store: TemplateStoreMixin,
    client: WappbizTemplatesClient,
    library: Library | None = None,
    *,
    dry_run: bool = False,
) -> SyncReport:
    """Submit what Wappbíz lacks, edit what changed, record every status (see module doc).

    ``dry_run`` lists Wappbíz's templates but submits nothing and writes nothing.
    """
    return await _run(store, client, library, "dry_run" if dry_run else "sync")


async def refresh_statuses(
    store: TemplateStoreMixin,
    client: WappbizTemplatesClient,
    library: Library | None = None,
) -> SyncReport:
    """Only record Wappbíz's statuses: nothing is created or edited."""
    return await _run(store, client, library, "refresh")


async def wait_for_review(
    store: TemplateStoreMixin,
    client: WappbizTemplatesClient,
    library: Library | None = None,
    *,
    timeout_s: float,
    poll_s: float = 2.0,
) -> SyncReport:
    """Refresh statuses until no library template is under review, or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        report = await refresh_statuses(store, client, library)
        if not report.pending or time.monotonic() >= deadline:
            return report
        await asyncio.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))


async def _run(
    store: TemplateStoreMixin,
    client: WappbizTemplatesClient,
    library: Library | None,
    mode: str,
) -> SyncReport:
    library = library if library is not None else default_library()
    names = set(library.names())
    remote = {(r.name, r.language): r for r in await client.list_templates() if r.name in names}
    local = {(row.name, row.language): row for row in await store.list_message_templates()}
    entries = []
    for template in library:
        entry = await _sync_one(
            store, client, template, remote.get(template.key), local.get(template.key), mode
        )
        entries.append(entry)
    report = SyncReport(tuple(entries), mode)
    event(
        log,
        "templates.sync",
        mode=mode,
        templates=len(entries),
        submitted=len(report.submitted),
        problems=len(report.problems),
    )
    return report


async def _sync_one(
    store: TemplateStoreMixin,
    client: WappbizTemplatesClient,
    template: TemplateDef,
    remote: RemoteTemplate | None,
    local: MessageTemplateRecord | None,
    mode: str,
) -> SyncEntry:
    wanted = template.content_hash()
    base = {"name": template.name, "language": template.language, "category": template.category}
    if remote is None:
        if mode != "sync":
            return SyncEntry(
                **base, action="would_create" if mode == "dry_run" else "not_submitted"
            )
        try:
            created = await client.create_template(template.create_payload())
        except WhatsAppInvalidRequest as exc:
            # A retried create that had worked, or a concurrent sync: list it instead.
            again = await client.list_templates(name=template.name, language=template.language)
            found = [r for r in again if r.language == template.language]
            if not found:
                return SyncEntry(**base, action="failed", error=_describe(exc))
            return await _sync_one(store, client, template, found[-1], local, mode)
        row = await store.save_message_template(
            name=template.name,
            language=template.language,
            category=created.category or template.category,
            wappbiz_id=created.id,
            status=created.status,
            content_hash=wanted,
        )
        event(log, "templates.created", template=template.label, id=created.id)
        return _entry(base, "created", row.status, row.rejected_reason, row.wappbiz_id)

    # What Wappbíz holds: our recorded hash if the row is about this very template,
    # else the hash of what it lists (adopting a template created elsewhere or earlier).
    if local is not None and local.wappbiz_id == remote.id:
        held = local.content_hash
    else:
        held = content_hash(remote.category, remote.components)
    if held == wanted:
        action = "unchanged"
    elif mode == "dry_run":
        action = "would_edit" if remote.status in EDITABLE else "edit_blocked"
    elif mode == "refresh" or remote.status not in EDITABLE:
        action = "changed" if mode == "refresh" else "edit_blocked"
    else:
        category = template.category if remote.category != template.category else None
        try:
            await client.edit_template(remote.id, template.components(), category=category)
        except WhatsAppInvalidRequest as exc:
            await _save_remote(store, template, remote, held)
            return _entry(
                base, "failed", remote.status, remote.rejected_reason, remote.id, _describe(exc)
            )
        row = await store.save_message_template(
            name=template.name,
            language=template.language,
            category=template.category,
            wappbiz_id=remote.id,
            status="PENDING",
            content_hash=wanted,
        )
        event(log, "templates.edited", template=template.label, id=remote.id)
        return _entry(base, "edited", row.status, None, remote.id)
    if mode != "dry_run":
        await _save_remote(store, template, remote, held)
    return _entry(base, action, remote.status, remote.rejected_reason, remote.id)


async def _save_remote(
    store: TemplateStoreMixin, template: TemplateDef, remote: RemoteTemplate, held: str
) -> None:
    await store.save_message_template(
        name=template.name,
        language=template.language,
        category=remote.category or template.category,
        wappbiz_id=remote.id,
        status=remote.status,
        rejected_reason=remote.rejected_reason,
        content_hash=held,
        submitted=False,
    )


def _describe(exc: WhatsAppInvalidRequest) -> str:
    """The error with Wappbíz's explanation (``error_data.details``), which says what to fix."""
    return f"{exc} - {exc.details}" if exc.details else str(exc)


def _entry(
    base: Mapping[str, str],
    action: str,
    status: str | None,
    reason: str | None,
    wappbiz_id: str | None,
    error: str | None = None,
) -> SyncEntry:
    return SyncEntry(
        **base,
        action=action,
        status=status,
        rejected_reason=reason,
        wappbiz_id=wappbiz_id,
        error=error,
    )


# ------------------------------------------------------------------ for the sender


async def require_approved(
    store: TemplateStoreMixin,
    name: str,
    language: str,
    *,
    library: Library | None = None,
) -> MessageTemplateRecord:
    """The template's row when it may be sent, else :class:`TemplateNotApproved`.

    ``language`` may be a contact's (``es``) or a template language (``es_CO``). Raises
    :class:`~bot.templates.model.UnknownTemplate` for a template the library lacks.
    """
    library = library if library is not None else default_library()
    template = library.get(name, language)
    code = template_language(language)
    row = await store.get_message_template(name, code)
    if row is None:
        raise TemplateNotApproved(name, code, None)
    if row.status != "APPROVED":
        raise TemplateNotApproved(name, code, row.status, row.rejected_reason)
    if row.content_hash != template.content_hash():
        raise TemplateNotApproved(
            name,
            code,
            row.status,
            detail="the library text changed since Wappbíz approved it",
        )
    return row


async def approved(
    store: TemplateStoreMixin,
    name: str,
    language: str,
    *,
    library: Library | None = None,
) -> bool:
    """Whether :func:`require_approved` would let the template be sent."""
    try:
        await require_approved(store, name, language, library=library)
    except TemplateNotApproved:
        return False
    return True


async def apply_status_update(
    store: TemplateStoreMixin, value: Mapping[str, Any]
) -> MessageTemplateRecord | None:
    """Record a ``message_template_status_update`` webhook ``value`` (contract §6).

    ``REINSTATED`` means approved again. Returns the updated row, or None for a
    template we have no row for (the next sync records it). Webhooks are unordered: a
    late one can leave an older status until the next sync lists the current one.
    """
    status = str(value.get("event") or "").upper()
    if not status:
        raise ValueError("a message_template_status_update value carries an event")
    if status == "REINSTATED":
        status = "APPROVED"
    template_id = value.get("message_template_id")
    if template_id is None:
        raise ValueError("a message_template_status_update value carries message_template_id")
    # By id only: a row with the same name and language but another id is about a
    # template Wappbíz no longer has, and must not take this one's status.
    row = await store.set_message_template_status(
        wappbiz_id=str(template_id), status=status, rejected_reason=value.get("reason")
    )
    if row is not None:
        event(log, "templates.status", template=f"{row.name} [{row.language}]", status=status)
    return row
