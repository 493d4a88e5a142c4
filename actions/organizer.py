"""Requests for organizers and staff: sales and attendance reports, incidents at a venue.

Honoured only for contacts whose role (``contacts.role``) is organizer or staff;
everybody else gets a polite refusal. The action decides, not a rule on a slot: the
role lives in the database (set with ``PUT /admin/contacts/<wa_id>``), so checking it
where the request is served keeps one source of truth and fails closed.

* ``report_issue``: recorded in ``incidents`` and acknowledged with its number.
* ``sales_report`` / ``attendance_report``: read from Hi.Events (issue 4,
  ``bot/ticketing/reports.py``), every order included, also those sold elsewhere. If
  Hi.Events cannot be reached the answer says so and offers a person; no figures are
  made up.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction, utter_with_options
from actions.journeys import entity_values
from bot import services
from bot.errors import ProviderError
from bot.handoff import last_typed_text
from bot.i18n import t
from bot.journeys import STAFF_ROLES, role_of
from bot.logging import event, mask_phone
from bot.ticketing import reports
from bot.ticketing.money import cop

log = logging.getLogger(__name__)


async def contact_role(tracker: Tracker) -> str | None:
    """The contact's role from the database; the channel's metadata only if it is down.

    The WhatsApp channel read the same column a moment earlier to fill the metadata, so
    the fallback is the same fact, just older. No contact at all means no role.
    """
    try:
        store = await services.get_store()
        contact = await store.get_contact(tracker.sender_id)
    except ValueError:  # a sender id that is not a phone number (rasa shell, tests)
        return None
    except Exception as exc:
        event(log, "organizer.role_lookup_failed", logging.ERROR, error=type(exc).__name__)
        return role_of((tracker.latest_message or {}).get("metadata"))
    return None if contact is None else contact.role


class StaffOnlyAction(LocalizedAction, ABC):
    """Refuses politely unless the contact is organizer or staff, then :meth:`serve`."""

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        role = await contact_role(tracker)
        if role not in STAFF_ROLES:
            event(log, "organizer.refused", wa_id=mask_phone(tracker.sender_id), intent=self.name())
            utter_with_options(
                dispatcher, lang, t(lang, "organizer.refused"), ("help", "human_handoff"), domain
            )
            return []
        return await self.serve(dispatcher, tracker, domain, lang)

    @abstractmethod
    async def serve(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        """Answer an authorized organizer or staff member."""


class HiEventsReport(StaffOnlyAction, ABC):
    """A report read from Hi.Events: if it cannot be reached, say so and invent nothing."""

    async def serve(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        try:
            text = await self.report(await services.get_ticketing(), lang)
        except ProviderError:
            utter_with_options(
                dispatcher,
                lang,
                t(lang, "organizer.report_unavailable"),
                ("human_handoff",),
                domain,
            )
            return []
        dispatcher.utter_message(text=text)
        return []

    @abstractmethod
    async def report(self, ticketing: Any, lang: str) -> str:
        """The report's text (raises ``ProviderError`` when Hi.Events does not answer)."""


class ActionSalesReport(HiEventsReport):
    """Tickets sold and revenue per upcoming event, from Hi.Events."""

    def name(self) -> str:
        return "action_sales_report"

    async def report(self, ticketing: Any, lang: str) -> str:
        lines = [t(lang, "organizer.sales_header")]
        for row in await reports.sales(ticketing):
            types = ", ".join(f"{kind} {n}" for kind, n in sorted(row.by_type.items()))
            lines.append(
                t(
                    lang,
                    "organizer.sales_line",
                    event=row.event.title,
                    tickets=row.tickets,
                    orders=row.orders,
                    revenue=cop(row.revenue_cop),
                    types=types or "—",
                    awaiting=row.awaiting_orders,
                )
            )
        return "\n\n".join(lines)


class ActionAttendanceReport(HiEventsReport):
    """Checked in against tickets issued, per upcoming event, from Hi.Events."""

    def name(self) -> str:
        return "action_attendance_report"

    async def report(self, ticketing: Any, lang: str) -> str:
        lines = [t(lang, "organizer.attendance_header")]
        for row in await reports.attendance(ticketing):
            share = f"{100 * row.checked_in / row.expected:.0f}%" if row.expected else "—"
            lines.append(
                t(
                    lang,
                    "organizer.attendance_line",
                    event=row.event.title,
                    checked_in=row.checked_in,
                    expected=row.expected,
                    share=share,
                )
            )
        return "\n".join(lines)


class ActionReportIssue(StaffOnlyAction):
    """Record the incident the staff member described and answer with its number."""

    def name(self) -> str:
        return "action_report_issue"

    async def serve(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        # this message, or the one a "did you mean" button tap answered
        text = last_typed_text(tracker.events, within=2)
        if text is None:  # came from a button: there is no description to record
            dispatcher.utter_message(text=t(lang, "organizer.issue_describe"))
            return []
        venue_event = entity_values((tracker.latest_message or {}).get("entities")).get("event")
        try:
            store = await services.get_store()
            incident = await store.record_incident(tracker.sender_id, text=text, event=venue_event)
        except Exception as exc:
            event(log, "organizer.incident_not_recorded", logging.ERROR, error=type(exc).__name__)
            utter_with_options(
                dispatcher, lang, t(lang, "organizer.issue_failed"), ("human_handoff",), domain
            )
            return []
        event(
            log,
            "organizer.incident_recorded",
            wa_id=mask_phone(tracker.sender_id),
            incident=incident.id,
        )
        if venue_event:
            reply = t(lang, "organizer.issue_recorded_event", number=incident.id, event=venue_event)
        else:
            reply = t(lang, "organizer.issue_recorded", number=incident.id)
        utter_with_options(dispatcher, lang, reply, ("human_handoff",), domain)
        return []
