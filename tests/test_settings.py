"""Settings from the environment, database URLs, and the sandbox secrets.

``get_settings`` is cached for the process, so every test builds ``Settings()`` itself
after setting the environment with ``monkeypatch``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import PROJECT_ROOT, Settings

ENV_NAMES = [f.field_info.extra["env"] for f in Settings.__fields__.values()]
REAL_PROVIDER = "https://graph.facebook.com"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No setting leaks in from the machine; state goes to a fresh directory."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    yield


def _settings_in_subprocess(state_dir: Path, expression: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env["STATE_DIR"] = str(state_dir)
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    code = f"from bot.settings import Settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip()


# --- defaults and overrides -------------------------------------------------------------


def test_defaults(tmp_path: Path) -> None:
    settings = Settings()
    assert settings.bind_host == "127.0.0.1"
    assert (settings.rasa_port, settings.action_port, settings.sandbox_port) == (5005, 5055, 5080)
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.action_url == "http://127.0.0.1:5055"
    assert settings.sandbox_url == "http://127.0.0.1:5080"
    assert settings.uses_wappbiz_sandbox is True
    assert settings.wappbiz_graph_url == "http://127.0.0.1:5080/graph/v21.0"
    assert settings.default_language == "es"
    assert settings.log_format == "console" and settings.log_level == "INFO"
    assert settings.wappbiz_mark_read is True
    assert settings.webhook_max_body_bytes == 1_048_576
    assert settings.state_dir == tmp_path / "state"
    assert settings.database_url is None and settings.redis_url is None


def test_state_dir_defaults_to_var_in_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATE_DIR")
    assert Settings().state_dir == PROJECT_ROOT / "var"


def test_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RASA_PORT", "6005")
    monkeypatch.setenv("ACTION_PORT", "6055")
    monkeypatch.setenv("SANDBOX_PORT", "6080")
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("WAPPBIZ_MARK_READ", "false")
    monkeypatch.setenv("WAPPBIZ_TIMEOUT_S", "2.5")
    monkeypatch.setenv("WAPPBIZ_API_VERSION", "v23.0")
    settings = Settings()
    assert (settings.rasa_port, settings.action_port, settings.sandbox_port) == (6005, 6055, 6080)
    assert settings.rasa_url == "http://127.0.0.1:6005"
    assert settings.state_dir == tmp_path / "elsewhere"
    assert settings.default_language == "en"
    assert settings.log_format == "json"
    assert settings.wappbiz_mark_read is False
    assert settings.wappbiz_timeout_s == 2.5
    assert settings.wappbiz_graph_url == "http://127.0.0.1:6080/graph/v23.0"


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_wildcard_bind_is_reached_through_loopback(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("BIND_HOST", host)
    settings = Settings()
    assert settings.bind_host == host
    assert settings.rasa_url == "http://127.0.0.1:5005"


def test_lowercase_env_names_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("rasa_port", "7005")
    assert Settings().rasa_port == 7005


def test_real_provider_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAPPBIZ_BASE_URL", REAL_PROVIDER + "/")
    settings = Settings()
    assert settings.uses_wappbiz_sandbox is False
    assert settings.wappbiz_graph_url == "https://graph.facebook.com/v21.0"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFAULT_LANGUAGE", "fr"),
        ("LOG_FORMAT", "xml"),
        ("RASA_PORT", "not-a-port"),
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


# --- database URL -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgresql://fashion:pw@127.0.0.1:5432/fashionistas",
            "postgresql+asyncpg://fashion:pw@127.0.0.1:5432/fashionistas",
        ),
        ("postgres://u:p@db/x", "postgresql+asyncpg://u:p@db/x"),
        ("postgresql+asyncpg://u@h/x", "postgresql+asyncpg://u@h/x"),
        ("sqlite:///var/app.db", "sqlite+aiosqlite:///var/app.db"),
        ("sqlite:////srv/state/app.db", "sqlite+aiosqlite:////srv/state/app.db"),
        ("sqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_resolved_database_url(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert Settings().resolved_database_url == expected


def test_default_database_is_sqlite_in_the_state_dir(tmp_path: Path) -> None:
    url = Settings().resolved_database_url
    assert url == f"sqlite+aiosqlite:///{tmp_path / 'state' / 'fashionistas.db'}"
    assert url.startswith("sqlite+aiosqlite:////")  # an absolute path


# --- secrets --------------------------------------------------------------------------------


def test_sandbox_secret_is_generated_and_persisted(tmp_path: Path) -> None:
    settings = Settings()
    value = settings.secret("wappbiz_app_secret")
    assert len(value) >= 32
    assert value == settings.secret("wappbiz_app_secret")
    assert value == Settings().secret("wappbiz_app_secret")
    path = tmp_path / "state" / "secrets" / "wappbiz_app_secret"
    assert path.read_text().strip() == value
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["wappbiz_app_secret"]  # no temp files


def test_each_secret_name_gets_its_own_value() -> None:
    settings = Settings()
    names = ["wappbiz_app_secret", "wappbiz_verify_token", "wappbiz_access_token", "admin_token"]
    values = [settings.secret(name) for name in names]
    assert len(set(values)) == len(names)


def test_each_state_dir_gets_its_own_value(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = Settings().secret("wappbiz_app_secret")
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "other"))
    assert Settings().secret("wappbiz_app_secret") != first


def test_sandbox_secret_is_stable_across_processes(tmp_path: Path) -> None:
    state = tmp_path / "state"
    here = Settings().secret("wappbiz_app_secret")
    there = _settings_in_subprocess(state, "Settings().secret('wappbiz_app_secret')")
    assert there == here


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    state = tmp_path / "together"
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env.update(STATE_DIR=str(state), PYTHONPATH=str(PROJECT_ROOT))
    code = "from bot.settings import Settings; print(Settings().secret('admin_token'))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    assert len(set(outputs)) == 1
    assert (state / "secrets" / "admin_token").read_text().strip() == outputs[0]


def _race_for_secret(settings: Settings, name: str, writers: int) -> list[str]:
    """``writers`` threads released together, each asking for the same new secret."""
    barrier = threading.Barrier(writers)
    results: list[str] = []

    def fetch() -> None:
        barrier.wait()
        try:
            results.append(settings.secret(name))
        except Exception as exc:  # collected, asserted by the caller
            results.append(f"error: {exc!r}")

    threads = [threading.Thread(target=fetch) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_threads_racing_for_a_new_secret_agree(tmp_path: Path) -> None:
    """Writers racing on a fresh state dir must neither crash nor disagree."""
    for trial in range(30):
        settings = Settings(state_dir=tmp_path / f"race{trial}")
        results = _race_for_secret(settings, "wappbiz_verify_token", writers=8)
        assert len(results) == 8
        assert len(set(results)) == 1, results
        assert not results[0].startswith("error")


def test_explicit_secret_is_used_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WAPPBIZ_APP_SECRET", "a-real-app-secret-0123456789")
    assert Settings().secret("wappbiz_app_secret") == "a-real-app-secret-0123456789"
    assert not (tmp_path / "state" / "secrets").exists()


@pytest.mark.parametrize(
    "placeholder", ["changeme", "CHANGEME", "ChangeMe", "secret", "placeholder", "xxx", "change-me"]
)
def test_placeholders_are_refused(monkeypatch: pytest.MonkeyPatch, placeholder: str) -> None:
    monkeypatch.setenv("WAPPBIZ_APP_SECRET", placeholder)
    with pytest.raises(RuntimeError, match="WAPPBIZ_APP_SECRET"):
        Settings().secret("wappbiz_app_secret")


def test_placeholder_admin_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TOKEN", "changeme")
    with pytest.raises(RuntimeError, match="ADMIN_TOKEN"):
        Settings().secret("admin_token")


@pytest.mark.parametrize("name", ["wappbiz_app_secret", "wappbiz_access_token"])
@pytest.mark.parametrize("empty", [None, ""])
def test_real_provider_without_secret_fails_fast(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, empty: str | None
) -> None:
    monkeypatch.setenv("WAPPBIZ_BASE_URL", REAL_PROVIDER)
    if empty is not None:
        monkeypatch.setenv(name.upper(), empty)
    with pytest.raises(RuntimeError, match=name.upper()):
        Settings().secret(name)
    assert not (tmp_path / "state" / "secrets").exists()  # no sandbox value was made


def test_real_provider_with_secret_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAPPBIZ_BASE_URL", REAL_PROVIDER)
    monkeypatch.setenv("WAPPBIZ_APP_SECRET", "9f8e7d6c5b4a39281706f5e4d3c2b1a0")
    assert Settings().secret("wappbiz_app_secret") == "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def test_real_provider_still_generates_local_only_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin token guards our own API, not the provider's: a local value is fine."""
    monkeypatch.setenv("WAPPBIZ_BASE_URL", REAL_PROVIDER)
    value = Settings().secret("admin_token")
    assert len(value) >= 32


# --- ADMIN_TOKENS (roles of the admin API) ---------------------------------------------------


def test_admin_tokens_are_optional_and_validated_at_startup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().admin_tokens is None
    monkeypatch.setenv("ADMIN_TOKENS", " organizer:org-tok-1,viewer:view-tok-2 ")
    assert Settings().admin_tokens == "organizer:org-tok-1,viewer:view-tok-2"
    monkeypatch.setenv("ADMIN_TOKENS", "   ")
    assert Settings().admin_tokens is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("organizer:org-tok-1,boss:boss-tok-2", "entry 2 has role 'boss'"),
        ("viewer:", "entry 1 (viewer) has an empty token"),
        ("just-a-token-3", "must be role:token"),
        ("admin:changeme", "placeholder"),
    ],
)
def test_bad_admin_tokens_stop_startup_without_showing_a_token(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("ADMIN_TOKENS", value)
    with pytest.raises(ValidationError, match="ADMIN_TOKENS") as raised:
        Settings()
    assert message in str(raised.value)
    for token in ("org-tok-1", "boss-tok-2", "just-a-token-3"):
        assert token not in str(raised.value)
