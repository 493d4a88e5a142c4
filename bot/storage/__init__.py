"""Application storage: the system of record (SQLite by default, PostgreSQL in production).

Use :class:`Store` for everything at run time; apply the schema first with
``bot.storage.migrate.upgrade()`` (or ``python -m bot.storage.migrate``). The migrate
module is not imported here so that ``python -m bot.storage.migrate`` runs cleanly and
importing the store does not pull in Alembic.
"""

from bot.storage.phones import normalize_wa_id, to_e164
from bot.storage.records import ContactRecord, InboundRecord, OutboundRecord, StatusRecord
from bot.storage.store import INBOUND_RETENTION_MIN, OUTBOUND_RANK, Store
from bot.storage.types import from_unix_seconds, utcnow

__all__ = [
    "INBOUND_RETENTION_MIN",
    "OUTBOUND_RANK",
    "ContactRecord",
    "InboundRecord",
    "OutboundRecord",
    "StatusRecord",
    "Store",
    "from_unix_seconds",
    "normalize_wa_id",
    "to_e164",
    "utcnow",
]
