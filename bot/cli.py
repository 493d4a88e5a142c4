"""``python -m bot``: run the assistant, train, migrate, and talk to it from a terminal.

``say`` and ``chat`` go through the Wappbíz emulator exactly as a phone would:
the emulator signs a webhook, the channel answers it, and the bot's replies are
read back from what the emulator received.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from typing import Any

import httpx

from bot import broadcasts_cli, handoff_cli, outbox_cli, purchases_cli, templates_cli
from bot.settings import Settings, get_settings

EXIT_NOT_RUNNING = 3


class NotRunning(RuntimeError):
    pass


def normalise_wa_id(raw: str) -> str:
    """Accept ``300 123 4567``, ``+57 300…`` or ``57300…``; WhatsApp ids are digits with 57."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) == 10 and digits.startswith("3"):
        digits = "57" + digits
    if not (8 <= len(digits) <= 15):
        raise ValueError(f"not a phone number: {raw!r}")
    return digits


def simplify(message: dict[str, Any]) -> dict[str, Any]:
    """One JSON line a person can read: type, text, buttons or rows, plus the raw body."""
    body = message.get("body") or {}
    kind = body.get("type") or message.get("type")
    out: dict[str, Any] = {"id": message.get("id"), "type": kind}
    if kind == "text":
        out["text"] = body["text"]["body"]
    elif kind == "interactive":
        interactive = body.get("interactive") or {}
        out["text"] = (interactive.get("body") or {}).get("text")
        action = interactive.get("action") or {}
        if isinstance(action, str):
            action = json.loads(action)
        if interactive.get("type") == "button":
            out["buttons"] = [
                {"id": b["reply"]["id"], "title": b["reply"]["title"]}
                for b in action.get("buttons", [])
            ]
        elif interactive.get("type") == "list":
            out["rows"] = [
                {"id": r["id"], "title": r["title"]}
                for s in action.get("sections", [])
                for r in s.get("rows", [])
            ]
        elif interactive.get("type") == "cta_url":
            parameters = action.get("parameters") or {}
            out["url"] = parameters.get("url")
            out["button"] = parameters.get("display_text")
    elif kind in ("image", "document", "video", "audio", "sticker"):
        media = body.get(kind) or {}
        out.update({k: media[k] for k in ("link", "id", "caption", "filename") if k in media})
    elif kind == "location":
        out.update(body.get("location") or {})
    elif kind == "template":
        out["template"] = (body.get("template") or {}).get("name")
        if message.get("template_rendered"):
            out["text"] = message["template_rendered"].get("text")
    out["status"] = message.get("status")
    return out


class SandboxSession:
    """Talks to the emulator's sandbox API as one WhatsApp user."""

    def __init__(self, settings: Settings, wa_id: str, name: str | None = None) -> None:
        self.base = settings.sandbox_url
        self.rasa = settings.rasa_url
        self.wa_id = wa_id
        self.name = name
        self.http = httpx.Client(timeout=35.0)
        self.last_seq = 0

    def check_running(self) -> None:
        try:
            self.http.get(f"{self.base}/health", timeout=3).raise_for_status()
        except httpx.HTTPError as exc:
            raise NotRunning(
                f"the sandbox (Wappbíz emulator) does not answer at {self.base}: start the "
                "assistant with `make run` in another terminal"
            ) from exc
        try:
            ready = self.http.get(f"{self.rasa}/webhooks/wappbiz/", timeout=3).json().get("started")
        except (httpx.HTTPError, ValueError) as exc:
            raise NotRunning(
                f"the Rasa server does not answer at {self.rasa}: is `make run` still starting? "
                "It prints the web chat address when everything answers"
            ) from exc
        if not ready:
            raise NotRunning("the Rasa server is still starting; try again in a few seconds")
        history = self.http.get(self._messages_url(), params={"after": 0}).json()
        self.last_seq = int(history.get("last_seq") or 0)

    def _messages_url(self) -> str:
        return f"{self.base}/sandbox/api/conversations/{self.wa_id}/messages"

    def send(self, message: dict[str, Any]) -> str:
        payload = {"from": self.wa_id, **message}
        if self.name:
            payload["name"] = self.name
        response = self.http.post(
            f"{self.base}/sandbox/api/inbound", params={"sync": 1}, json=payload
        )
        response.raise_for_status()
        result = response.json()
        status = result.get("webhook_status")
        if status is not None and status >= 300:
            raise RuntimeError(f"the bot refused the webhook with HTTP {status}")
        return str(result["id"])

    def replies(self, first_timeout: float = 30.0, quiet: float = 1.5) -> list[dict[str, Any]]:
        """Collect the bot's messages until it stays quiet for ``quiet`` seconds."""
        collected: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + first_timeout
        while True:
            wait = quiet if collected else max(0.1, deadline - time.monotonic())
            data = self.http.get(
                self._messages_url(), params={"after": self.last_seq, "wait": wait}
            ).json()
            new = [m for m in data.get("messages", []) if m.get("direction") == "out"]
            self.last_seq = max(self.last_seq, int(data.get("last_seq") or self.last_seq))
            for message in new:
                collected[str(message.get("id"))] = message
            if not new and (collected or time.monotonic() >= deadline):
                return list(collected.values())


def _print_replies(replies: list[dict[str, Any]]) -> None:
    for message in replies:
        print(json.dumps(simplify(message), ensure_ascii=False), flush=True)


def cmd_say(args: argparse.Namespace) -> int:
    session = SandboxSession(get_settings(), normalise_wa_id(args.sender), args.name)
    session.check_running()
    message: dict[str, Any]
    if args.button:
        message = {"type": "interactive", "button_reply": {"id": args.button, "title": args.text}}
    else:
        message = {"type": "text", "text": args.text}
    session.send(message)
    replies = session.replies(first_timeout=args.timeout)
    _print_replies(replies)
    if not replies:
        print("error: no reply from the bot within the timeout", file=sys.stderr)
        return 1
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    session = SandboxSession(get_settings(), normalise_wa_id(args.sender), args.name)
    session.check_running()
    print(
        "Escribe un mensaje (Ctrl-D para salir). Un número elige el botón de la última respuesta.",
        file=sys.stderr,
    )
    buttons: list[dict[str, Any]] = []
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            choice = buttons[int(text) - 1]
            session.send({"type": "interactive", "button_reply": choice})
        else:
            session.send({"type": "text", "text": text})
        replies = session.replies(first_timeout=args.timeout)
        _print_replies(replies)
        buttons = []
        for reply in replies:
            simple = simplify(reply)
            buttons.extend(simple.get("buttons") or simple.get("rows") or [])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.logging import configure
    from bot.stack import Stack
    from bot.storage.migrate import upgrade
    from bot.training import ensure_model

    settings = get_settings()
    configure("launcher", settings.log_level, settings.log_format)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    upgrade()
    model = ensure_model(settings)
    stack = Stack(settings, model)
    stopping = False

    def _stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nStopping…", file=sys.stderr, flush=True)
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    try:
        stack.start(on_ready=lambda name: print(f"✔ {name} ready", file=sys.stderr, flush=True))
        banner = [
            "",
            f"  Fashionistas WhatsApp assistant is up ({time.monotonic() - started:.0f} s).",
            f"  Web chat:       {settings.sandbox_url}/" if stack.with_sandbox else "",
            f"  Door scanner:   {settings.sandbox_url}/door" if stack.with_sandbox else "",
            f"  Webhook:        {settings.webhook_url}  (Wappbíz posts here)",
            f"  Action server:  {settings.action_url}/health",
            '  Try:            .venv/bin/python -m bot say --from 573001234567 "hola"',
            "  Stop:           Ctrl-C",
            "",
        ]
        print("\n".join(line for line in banner if line is not None), flush=True)
        failed = stack.wait_any()
        print(
            f"{failed.name} exited ({failed.popen.returncode if failed.popen else '?'}); "
            "stopping the rest",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


def cmd_train(args: argparse.Namespace) -> int:
    from bot.training import ensure_model

    path = ensure_model(get_settings(), force=args.force)
    print(path)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.storage.migrate import upgrade

    upgrade()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start rasa, the action server and the sandbox")
    run.set_defaults(func=cmd_run)
    train = sub.add_parser("train", help="train the model if data or config changed")
    train.add_argument("--force", action="store_true", help="train even on a cache hit")
    train.set_defaults(func=cmd_train)
    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)
    # hand-offs to a person (issue 3): bot/handoff_cli.py
    handoff_cli.add_parser(sub)
    # ticket purchases and refund requests (issue 4): bot/purchases_cli.py
    purchases_cli.add_parser(sub)
    outbox_cli.add_parser(sub)  # outbox dead letters and counts (issue 5): bot/outbox_cli.py
    templates_cli.add_parser(sub)  # message templates (issue 5): bot/templates_cli.py
    broadcasts_cli.add_parser(sub)  # organizer broadcasts (issue 5): bot/broadcasts_cli.py
    for name, func, helptext in (
        ("say", cmd_say, "send one message as a WhatsApp user and print the replies"),
        ("chat", cmd_chat, "talk to the bot interactively in the terminal"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument(
            "--from",
            dest="sender",
            default="573001234567",
            help="the user's phone (default 573001234567)",
        )
        p.add_argument("--name", default=None, help="WhatsApp profile name")
        p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a reply")
        if name == "say":
            p.add_argument("text", help="the message text (or the button title with --button)")
            p.add_argument("--button", default=None, help="tap a reply button with this id")
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except NotRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NOT_RUNNING
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
