"""After the purchase: how is my payment, send my tickets again, I want my money back."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction
from actions.events import load_events
from actions.purchase import link_message
from bot import services
from bot.errors import ProviderError
from bot.i18n import t
from bot.privacy import format_due_date
from bot.replies import Option, buttons_message
from bot.ticketing.catalog import find_event, find_ticket_type
from bot.ticketing.fulfilment import send_tickets
from bot.ticketing.money import cop
from bot.ticketing.purchase import PurchaseFailed, PurchaseRequest, start_purchase
from bot.ticketing.refund_decisions import request_refund

BUY = "/buy_ticket"


def _buy_button(lang: str) -> list[Option]:
    return [Option(BUY, t(lang, "tickets.buttons.buy"))]


class ActionPaymentStatus(LocalizedAction):
    def name(self) -> str:
        return "action_payment_status"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        ctx = await services.get_ticketing()
        purchases = await ctx.store.purchases_for(tracker.sender_id, limit=1)
        if not purchases:
            dispatcher.utter_message(
                **buttons_message(t(lang, "tickets.status.none"), _buy_button(lang))
            )
            return []
        purchase = purchases[0]
        params = {
            "quantity": purchase.quantity,
            "kind": purchase.ticket_type,
            "event": purchase.event_title,
            "total": cop(purchase.total_cop),
            "order": purchase.hi_order_public_id or purchase.reference,
        }
        if purchase.state == "awaiting_payment":
            events = await ctx.store.payment_events_for(purchase.id)
            declined = any(e.status in ("declined", "error") for e in events)
            text = (
                t(lang, "tickets.status.declined", **params)
                if declined
                else t(lang, "tickets.status.pending", **params)
            )
            message = link_message(lang, purchase, ctx.settings.payment_link_ttl_min)
            message["json_message"]["text"] = text
            message["text"] = f"{text}\n{purchase.link_url}"
            dispatcher.utter_message(**message)
        elif purchase.state in ("expired", "cancelled"):
            await self._renew(dispatcher, lang, tracker, purchase)
        elif purchase.state == "paid":
            dispatcher.utter_message(text=t(lang, "tickets.status.paid", **params))
        elif purchase.state == "fulfilled":
            dispatcher.utter_message(
                **buttons_message(
                    t(lang, "tickets.status.fulfilled", **params),
                    [Option("/resend_ticket", t(lang, "tickets.buttons.resend"))],
                )
            )
        else:  # flagged
            dispatcher.utter_message(
                **buttons_message(
                    t(lang, "tickets.status.flagged", **params),
                    [Option("/human_handoff", t(lang, "menu.human_handoff.title"))],
                )
            )
        return []

    async def _renew(
        self, dispatcher: CollectingDispatcher, lang: str, tracker: Tracker, purchase: Any
    ) -> None:
        """The link ran out: hold the same seats again and send a new link."""
        ctx = await services.get_ticketing()
        try:
            event = find_event(await load_events(), str(purchase.event_id))
        except ProviderError:
            event = None
        ticket = find_ticket_type(event, purchase.ticket_type) if event else None
        if event is None or ticket is None:
            dispatcher.utter_message(
                **buttons_message(t(lang, "tickets.status.expired_gone"), _buy_button(lang))
            )
            return
        try:
            renewed = await start_purchase(
                ctx,
                PurchaseRequest(
                    wa_id=tracker.sender_id,
                    language=lang,
                    event=event,
                    ticket=ticket,
                    quantity=purchase.quantity,
                    buyer_name=purchase.buyer_name,
                    buyer_email=purchase.buyer_email,
                ),
            )
        except PurchaseFailed as exc:
            dispatcher.utter_message(
                **buttons_message(
                    t(lang, f"tickets.buy.failed_{exc.reason}", kind=ticket.name),
                    [Option("/human_handoff", t(lang, "menu.human_handoff.title"))],
                )
            )
            return
        dispatcher.utter_message(text=t(lang, "tickets.status.renewed"))
        dispatcher.utter_message(**link_message(lang, renewed, ctx.settings.payment_link_ttl_min))


class ActionResendTicket(LocalizedAction):
    def name(self) -> str:
        return "action_resend_ticket"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        ctx = await services.get_ticketing()
        purchases = await ctx.store.purchases_for(tracker.sender_id, states=("fulfilled",))
        upcoming = [p for p in purchases if p.event_starts_at >= ctx.now()] or purchases[:1]
        if not upcoming:
            paid = await ctx.store.purchases_for(tracker.sender_id, states=("paid",))
            key = "tickets.resend.on_the_way" if paid else "tickets.resend.none"
            dispatcher.utter_message(**buttons_message(t(lang, key), _buy_button(lang)))
            return []
        sent = 0
        try:
            for purchase in upcoming:
                tickets = await ctx.store.tickets_for_purchase(purchase.id)
                valid = [ticket for ticket in tickets if ticket.cancelled_at is None]
                sent += await send_tickets(ctx, purchase, valid, only_unsent=False)
        except ProviderError:
            dispatcher.utter_message(text=t(lang, "tickets.resend.failed"))
            return []
        dispatcher.utter_message(text=t(lang, "tickets.resend.done", n=sent))
        return []


class ActionRequestRefund(LocalizedAction):
    def name(self) -> str:
        return "action_request_refund"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        ctx = await services.get_ticketing()
        purchases = await ctx.store.purchases_for(
            tracker.sender_id, states=("fulfilled", "paid", "flagged")
        )
        if not purchases:
            dispatcher.utter_message(text=t(lang, "tickets.refund.none"))
            return []
        purchase = purchases[0]
        record, created, why = await request_refund(
            ctx, purchase, reason=tracker.latest_message.get("text"), now=ctx.now()
        )
        params = {
            "order": purchase.hi_order_public_id or purchase.reference,
            "event": purchase.event_title,
            "total": cop(purchase.total_cop),
            "number": f"RF-{record.id:05d}",
            "deadline": format_due_date(lang, record.retracto_deadline)
            if record.retracto_deadline
            else "",
            "due": format_due_date(lang, record.refund_due_by) if record.refund_due_by else "",
        }
        if not created:
            dispatcher.utter_message(text=t(lang, "tickets.refund.already", **params))
        elif record.eligible:
            dispatcher.utter_message(text=t(lang, "tickets.refund.retracto", **params))
        else:
            dispatcher.utter_message(text=t(lang, f"tickets.refund.outside.{why}", **params))
        return []
