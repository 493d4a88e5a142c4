"""Fashionistas WhatsApp assistant: domain logic, clients, storage and tools.

Rasa custom actions (``actions/``) and the Wappbíz channel (``connectors/``) stay
thin and call into this package.
"""

__version__ = "0.1.0"
