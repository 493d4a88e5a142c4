"""Start and stop the assistant's processes: rasa server, action server and sandbox.

``make run`` (``python -m bot run``), the end-to-end tests and the benchmarks
all use this one class, so what is tested is what a developer runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

import httpx
import yaml

from bot.settings import PROJECT_ROOT, Settings


@dataclass
class Process:
    name: str
    argv: list[str]
    health_url: str
    ready: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)


def endpoints_config(settings: Settings) -> dict:
    """The endpoints Rasa needs, derived from Settings (no secrets in committed YAML)."""
    config: dict = {"action_endpoint": {"url": f"{settings.action_url}/webhook"}}
    if settings.tracker_store_url:
        url = urlparse(settings.tracker_store_url)
        config["tracker_store"] = {
            "type": "SQL",
            "dialect": "postgresql",
            "url": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
            "db": (url.path or "/rasa").lstrip("/"),
            "username": url.username or "postgres",
            "password": url.password or "",
            "login_db": "postgres",
        }
    else:
        config["tracker_store"] = {
            "type": "SQL",
            "dialect": "sqlite",
            "db": str(settings.state_dir / "rasa_tracker.db"),
        }
    if settings.redis_url:
        url = urlparse(settings.redis_url)
        lock: dict = {
            "type": "redis",
            "url": url.hostname or "127.0.0.1",
            "port": url.port or 6379,
            "db": int((url.path or "/1").lstrip("/") or 1),
            "key_prefix": "fashionistas",
        }
        if url.password:
            lock["password"] = url.password
        config["lock_store"] = lock
    else:
        config["lock_store"] = {"type": "in_memory"}
    return config


def write_endpoints(settings: Settings) -> Path:
    path = settings.state_dir / "endpoints.runtime.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints_config(settings), sort_keys=False))
    return path


def child_env(settings: Settings, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(PROJECT_ROOT),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
            "PYTHONUNBUFFERED": "1",
            "STATE_DIR": str(settings.state_dir),
            "BIND_HOST": settings.bind_host,
            "RASA_PORT": str(settings.rasa_port),
            "ACTION_PORT": str(settings.action_port),
            "SANDBOX_PORT": str(settings.sandbox_port),
            "INGRESS_PORT": str(settings.ingress_port),
            "RASA_TELEMETRY_ENABLED": "false",
        }
    )
    env.update(extra or {})
    return env


class Stack:
    """The processes of one assistant, with their output prefixed or written to files."""

    def __init__(
        self,
        settings: Settings,
        model: Path,
        *,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        with_sandbox: bool | None = None,
    ) -> None:
        self.settings = settings
        self.model = model
        self.env = child_env(settings, env)
        self.log_dir = log_dir
        self.with_sandbox = settings.uses_wappbiz_sandbox if with_sandbox is None else with_sandbox
        python = sys.executable
        rasa = str(Path(python).with_name("rasa"))
        self.processes: list[Process] = []
        if self.with_sandbox:
            self.processes.append(
                Process("sandbox", [python, "-m", "bot.sandbox"], f"{settings.sandbox_url}/health")
            )
        self.processes.append(
            Process("ingress", [python, "-m", "bot.ingress"], f"{settings.ingress_url}/health")
        )
        self.processes.append(
            Process("actions", [python, "-m", "bot.action_server"], f"{settings.action_url}/health")
        )
        self.processes.append(
            Process(
                "rasa",
                [
                    rasa,
                    "run",
                    "--enable-api",
                    # one argument with "=": a token may begin with "-", which argparse
                    # would take for an option (token_urlsafe uses "-" and "_")
                    f"--auth-token={settings.secret('rasa_api_token')}",
                    "-i",
                    settings.bind_host,
                    "-p",
                    str(settings.rasa_port),
                    "--credentials",
                    "credentials.yml",
                    "--endpoints",
                    str(write_endpoints(settings)),
                    "-m",
                    str(model),
                ],
                f"{settings.rasa_url}/webhooks/wappbiz/",
                ready=lambda r: r.status_code == 200 and r.json().get("started") is True,
            )
        )
        self._pumps: list[threading.Thread] = []

    # --- lifecycle -----------------------------------------------------------------
    def start(self, timeout: float = 240.0, on_ready: Callable[[str], None] | None = None) -> None:
        for proc in self.processes:
            stdout: int | IO[bytes] = subprocess.PIPE
            if self.log_dir is not None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                stdout = open(self.log_dir / f"{proc.name}.log", "ab")
            proc.popen = subprocess.Popen(  # noqa: S603 - argv built above
                proc.argv,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            if self.log_dir is None:
                pump = threading.Thread(
                    target=_pump, args=(proc.name, proc.popen.stdout), daemon=True
                )
                pump.start()
                self._pumps.append(pump)
        deadline = time.monotonic() + timeout
        pending = list(self.processes)
        with httpx.Client(timeout=2.0) as http:
            while pending:
                for proc in list(pending):
                    assert proc.popen is not None
                    if proc.popen.poll() is not None:
                        self.stop()
                        raise RuntimeError(
                            f"{proc.name} exited with {proc.popen.returncode} "
                            f"during start-up{self._log_hint(proc)}"
                        )
                    try:
                        if proc.ready(http.get(proc.health_url)):
                            pending.remove(proc)
                            if on_ready:
                                on_ready(proc.name)
                    except (httpx.HTTPError, ValueError):
                        pass
                if pending and time.monotonic() > deadline:
                    names = ", ".join(p.name for p in pending)
                    self.stop()
                    raise TimeoutError(f"not ready after {timeout:.0f} s: {names}")
                if pending:
                    time.sleep(0.25)

    def _log_hint(self, proc: Process) -> str:
        if self.log_dir is None:
            return ""
        path = self.log_dir / f"{proc.name}.log"
        tail = path.read_text(errors="replace")[-3000:] if path.exists() else ""
        return f"; log {path}:\n{tail}"

    def stop(self, grace: float = 15.0) -> None:
        for proc in reversed(self.processes):
            if proc.popen and proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.processes:
            if proc.popen is None:
                continue
            try:
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()

    def pids(self) -> dict[str, int]:
        return {p.name: p.popen.pid for p in self.processes if p.popen is not None}

    def wait_any(self) -> Process:
        """Block until one process exits (so the launcher can stop the rest)."""
        while True:
            for proc in self.processes:
                if proc.popen is not None and proc.popen.poll() is not None:
                    return proc
            time.sleep(0.5)


def _pump(name: str, stream: IO[bytes] | None) -> None:
    if stream is None:
        return
    prefix = f"{name:>8} | ".encode()
    out = sys.stdout.buffer
    for line in iter(stream.readline, b""):
        out.write(prefix + line)
        out.flush()
