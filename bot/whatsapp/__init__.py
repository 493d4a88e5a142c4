"""The WhatsApp Cloud API dialect Wappbíz speaks: signatures, inbound parsing, outbound bodies.

Keeping the provider dialect here (and only here) lets another BSP dialect be
added beside it without touching the Rasa channel or the actions.
"""
