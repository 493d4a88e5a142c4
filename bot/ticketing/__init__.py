"""Tickets: events from Hi.Events, purchases paid through a payment gateway, QR tickets.

The flow (``docs/decisions/tickets.md``): ``purchase`` reserves seats in Hi.Events and
creates a payment link; ``payment_updates`` records what the provider says; ``fulfilment``
turns a paid purchase into Hi.Events attendees and QR images on WhatsApp, retrying
until done; ``door`` welcomes people who check in; ``refunds`` applies Ley 1480.
"""
