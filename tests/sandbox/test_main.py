"""``python -m bot.sandbox`` serves the emulator with settings from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_module_entry_point_serves_health_and_graph(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SANDBOX_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "STATE_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    for name in (
        "WAPPBIZ_ACCESS_TOKEN",
        "WAPPBIZ_APP_SECRET",
        "WAPPBIZ_VERIFY_TOKEN",
        "ADMIN_TOKEN",
    ):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).json() == {"status": "ok"}:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "sandbox did not start"
            time.sleep(0.1)
        # Secrets were generated in the state dir, the same files the bot reads.
        token = (tmp_path / "secrets" / "wappbiz_access_token").read_text().strip()
        ok = httpx.get(
            f"{base}/graph/v21.0/102290129340398/message_templates",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ok.status_code == 200 and ok.json()["data"]
        config = httpx.get(f"{base}/sandbox/api/config").json()
        assert config["webhook_url"] == "http://127.0.0.1:5006/webhook"  # the ingress
        assert config["bot_admin_url"] == "http://127.0.0.1:5055"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
