"""One typed settings object for every process of the assistant.

Every value comes from an environment variable (documented in the README table).
Defaults describe the *embedded* mode: SQLite, in-memory lock store and the local
sandbox standing in for Wappbíz. Secrets that have no safe default are generated
once per machine for the sandbox and refused outright when a real provider is
configured, so a production deploy can never run on a placeholder secret.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Base URL of Meta's Cloud API; Wappbíz mirrors it, so a real deploy points here or at the BSP.
SANDBOX_MARKER = "127.0.0.1"


def _default_state_dir() -> Path:
    return PROJECT_ROOT / "var"


class Settings(BaseSettings):
    """Configuration read from the environment (prefix-free names, see README)."""

    # --- processes and network -------------------------------------------------
    bind_host: str = Field("127.0.0.1", env="BIND_HOST")
    rasa_port: int = Field(5005, env="RASA_PORT")
    action_port: int = Field(5055, env="ACTION_PORT")
    sandbox_port: int = Field(5080, env="SANDBOX_PORT")
    ingress_port: int = Field(5006, env="INGRESS_PORT")
    public_base_url: str | None = Field(None, env="PUBLIC_BASE_URL")

    # --- storage ---------------------------------------------------------------
    state_dir: Path = Field(default_factory=_default_state_dir, env="STATE_DIR")
    database_url: str | None = Field(None, env="DATABASE_URL")
    tracker_store_url: str | None = Field(None, env="TRACKER_STORE_URL")
    redis_url: str | None = Field(None, env="REDIS_URL")

    # --- Rasa ------------------------------------------------------------------
    rasa_api_token: str | None = Field(None, env="RASA_API_TOKEN")
    admin_token: str | None = Field(None, env="ADMIN_TOKEN")
    #: More admin API tokens with roles: ``role:token,...`` (viewer, organizer, admin).
    admin_tokens: str | None = Field(None, env="ADMIN_TOKENS")
    ingress_token: str | None = Field(None, env="INGRESS_TOKEN")
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "fashionistas" / "models", env="MODEL_CACHE_DIR"
    )

    # --- Wappbíz (WhatsApp Cloud API compatible) -------------------------------
    wappbiz_base_url: str | None = Field(None, env="WAPPBIZ_BASE_URL")
    wappbiz_api_version: str = Field("v21.0", env="WAPPBIZ_API_VERSION")
    wappbiz_access_token: str | None = Field(None, env="WAPPBIZ_ACCESS_TOKEN")
    wappbiz_app_secret: str | None = Field(None, env="WAPPBIZ_APP_SECRET")
    wappbiz_verify_token: str | None = Field(None, env="WAPPBIZ_VERIFY_TOKEN")
    wappbiz_phone_number_id: str = Field("106540352242922", env="WAPPBIZ_PHONE_NUMBER_ID")
    wappbiz_waba_id: str = Field("102290129340398", env="WAPPBIZ_WABA_ID")
    wappbiz_display_number: str = Field("573145550100", env="WAPPBIZ_DISPLAY_NUMBER")
    wappbiz_timeout_s: float = Field(10.0, env="WAPPBIZ_TIMEOUT_S")
    wappbiz_max_attempts: int = Field(5, env="WAPPBIZ_MAX_ATTEMPTS")
    wappbiz_backoff_base_s: float = Field(0.5, env="WAPPBIZ_BACKOFF_BASE_S")
    wappbiz_mark_read: bool = Field(True, env="WAPPBIZ_MARK_READ")

    # --- Hi.Events (ticketing) -------------------------------------------------
    #: Base of the API including its ``/api`` prefix; unset = the sandbox emulator.
    hi_events_base_url: str | None = Field(None, env="HI_EVENTS_BASE_URL")
    hi_events_email: str = Field("bot@fashionistas.co", env="HI_EVENTS_EMAIL")
    hi_events_password: str | None = Field(None, env="HI_EVENTS_PASSWORD")
    hi_events_account_id: int | None = Field(None, env="HI_EVENTS_ACCOUNT_ID")
    hi_events_organizer_id: int = Field(1, env="HI_EVENTS_ORGANIZER_ID")
    #: Secret Hi.Events returned when the bot's webhook was registered.
    hi_events_webhook_secret: str | None = Field(None, env="HI_EVENTS_WEBHOOK_SECRET")
    hi_events_timeout_s: float = Field(10.0, env="HI_EVENTS_TIMEOUT_S")
    hi_events_max_attempts: int = Field(4, env="HI_EVENTS_MAX_ATTEMPTS")

    # --- payments (Wompi first, Mercado Pago second) ------------------------------
    payment_provider: str = Field("wompi", env="PAYMENT_PROVIDER")
    #: Minutes a payment link (and the seats held for it) stays valid.
    payment_link_ttl_min: int = Field(30, env="PAYMENT_LINK_TTL_MIN")
    wompi_base_url: str | None = Field(None, env="WOMPI_BASE_URL")
    #: Where links are shared: ``{checkout}/l/{id}`` (https://checkout.wompi.co in production).
    wompi_checkout_url: str | None = Field(None, env="WOMPI_CHECKOUT_URL")
    wompi_public_key: str | None = Field(None, env="WOMPI_PUBLIC_KEY")
    wompi_private_key: str | None = Field(None, env="WOMPI_PRIVATE_KEY")
    wompi_events_secret: str | None = Field(None, env="WOMPI_EVENTS_SECRET")
    wompi_integrity_secret: str | None = Field(None, env="WOMPI_INTEGRITY_SECRET")
    mercadopago_base_url: str | None = Field(None, env="MERCADOPAGO_BASE_URL")
    mercadopago_access_token: str | None = Field(None, env="MERCADOPAGO_ACCESS_TOKEN")
    mercadopago_webhook_secret: str | None = Field(None, env="MERCADOPAGO_WEBHOOK_SECRET")
    payments_timeout_s: float = Field(10.0, env="PAYMENTS_TIMEOUT_S")
    payments_max_attempts: int = Field(4, env="PAYMENTS_MAX_ATTEMPTS")

    # --- proactive messages (issue 5) --------------------------------------------
    outbox_rate_per_s: float = Field(80.0, env="OUTBOX_RATE_PER_S")
    outbox_batch: int = Field(50, env="OUTBOX_BATCH")
    outbox_worker: bool = Field(True, env="OUTBOX_WORKER")
    #: Inside the 24-hour window a proactive message goes through Rasa's trigger_intent
    #: so the dialogue knows it (bot/proactive/relay.py); false sends it directly.
    proactive_via_rasa: bool = Field(True, env="PROACTIVE_VIA_RASA")

    # --- behaviour -------------------------------------------------------------
    webhook_max_body_bytes: int = Field(1_048_576, env="WEBHOOK_MAX_BODY_BYTES")
    default_language: str = Field("es", env="DEFAULT_LANGUAGE")
    log_level: str = Field("INFO", env="LOG_LEVEL")
    log_format: str = Field("console", env="LOG_FORMAT")

    class Config:
        env_file = None
        case_sensitive = False

    @validator("default_language")
    def _language_supported(cls, value: str) -> str:  # noqa: N805 - pydantic API
        if value not in ("es", "en"):
            raise ValueError("DEFAULT_LANGUAGE must be 'es' or 'en'")
        return value

    @validator("payment_provider")
    def _payment_provider_known(cls, value: str) -> str:  # noqa: N805 - pydantic API
        if value not in ("wompi", "mercadopago"):
            raise ValueError("PAYMENT_PROVIDER must be 'wompi' or 'mercadopago'")
        return value

    @validator("log_format")
    def _log_format_known(cls, value: str) -> str:  # noqa: N805 - pydantic API
        if value not in ("console", "json"):
            raise ValueError("LOG_FORMAT must be 'console' or 'json'")
        return value

    @validator("admin_tokens")
    def _admin_tokens_valid(cls, value: str | None) -> str | None:  # noqa: N805 - pydantic API
        """Parse ``ADMIN_TOKENS`` now, so a typo stops startup rather than a login later.

        The error names the entry's position and role, never its token.
        """
        from bot.http.auth import parse_admin_tokens  # no Sanic import: see that module

        if value is None or not value.strip():
            return None
        parse_admin_tokens(value)
        return value.strip()

    # --- derived values --------------------------------------------------------
    @property
    def sandbox_url(self) -> str:
        return f"http://{self._loopback(self.bind_host)}:{self.sandbox_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self._loopback(self.bind_host)}:{self.rasa_port}"

    @property
    def ingress_url(self) -> str:
        return f"http://{self._loopback(self.bind_host)}:{self.ingress_port}"

    @property
    def webhook_url(self) -> str:
        """Where Wappbíz posts notifications: the ingress process."""
        return f"{self.ingress_url}/webhook"

    @property
    def action_url(self) -> str:
        return f"http://{self._loopback(self.bind_host)}:{self.action_port}"

    @property
    def uses_wappbiz_sandbox(self) -> bool:
        """True when no real Wappbíz endpoint is configured: the emulator stands in."""
        return not self.wappbiz_base_url

    @property
    def wappbiz_graph_url(self) -> str:
        """Base of the Graph-style API, version included (e.g. ``…/v21.0``)."""
        base = self.wappbiz_base_url or f"{self.sandbox_url}/graph"
        return f"{base.rstrip('/')}/{self.wappbiz_api_version}"

    @property
    def hi_events_url(self) -> str:
        """Base of the Hi.Events API (``…/api``); the sandbox mounts it at ``/hi-events/api``."""
        return (self.hi_events_base_url or f"{self.sandbox_url}/hi-events/api").rstrip("/")

    @property
    def wompi_url(self) -> str:
        """Base of the Wompi API (``…/v1``); the sandbox mounts it at ``/wompi/v1``."""
        return (self.wompi_base_url or f"{self.sandbox_url}/wompi/v1").rstrip("/")

    @property
    def wompi_checkout_base(self) -> str:
        """Hosted checkout; a payment link is ``{this}/l/{id}``."""
        return (self.wompi_checkout_url or f"{self.sandbox_url}/wompi/checkout").rstrip("/")

    @property
    def mercadopago_url(self) -> str:
        """Base of the Mercado Pago API; the sandbox mounts it at ``/mercadopago``."""
        return (self.mercadopago_base_url or f"{self.sandbox_url}/mercadopago").rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        """Async SQLAlchemy URL of the application database."""
        url = self.database_url or f"sqlite+aiosqlite:///{self.state_dir / 'fashionistas.db'}"
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        elif url.startswith("sqlite://"):  # also bare ``sqlite://`` (in memory)
            url = "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @staticmethod
    def _loopback(host: str) -> str:
        return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104

    def secret(self, name: str) -> str:
        """Return a secret, generating a per-machine sandbox value when none is set.

        With a real provider configured a missing secret is a configuration error:
        we fail fast instead of running with a guessable placeholder.
        """
        value = getattr(self, name)
        if value:
            if value.strip().lower() in _PLACEHOLDERS:
                raise RuntimeError(f"{name.upper()} is a placeholder; set a real secret")
            return value
        for prefix, base in _REAL_PROVIDER_URLS.items():
            if name.startswith(prefix) and getattr(self, base):
                raise RuntimeError(
                    f"{name.upper()} must be set when {base.upper()} points at a real provider"
                )
        return _sandbox_secret(self.state_dir, name)


#: A secret of these providers may only be generated while their emulator stands in.
_REAL_PROVIDER_URLS = {
    "wappbiz_": "wappbiz_base_url",
    "hi_events_": "hi_events_base_url",
    "wompi_": "wompi_base_url",
    "mercadopago_": "mercadopago_base_url",
}

#: Generated sandbox secrets carry the provider's own test prefixes, so a client that
#: checks the key kind (``pub_test_`` against the sandbox) sees what it would in real life.
_SANDBOX_PREFIXES = {
    "wompi_public_key": "pub_test_",
    "wompi_private_key": "prv_test_",
    "wompi_events_secret": "test_events_",
    "wompi_integrity_secret": "test_integrity_",
    "mercadopago_access_token": "TEST-",
}


_PLACEHOLDERS = frozenset({"changeme", "change-me", "change_me", "secret", "xxx", "placeholder"})


def _sandbox_secret(state_dir: Path, name: str) -> str:
    """A random secret kept in the state dir so every local process agrees on it."""
    path = state_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = _SANDBOX_PREFIXES.get(name, "") + secrets.token_urlsafe(24)
    # One temporary file per writer: a shared name let a second writer replace (or
    # remove) the first one's file between its write and its link, so processes
    # starting together crashed or disagreed. Owner-only, since it is a secret.
    tmp = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    try:
        # First writer wins (link fails if the file exists), so processes agree.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        if tmp.exists():
            tmp.unlink()
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
