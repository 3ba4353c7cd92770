"""`python -m bot chat`: talk to the same bot and dialogs from a terminal, no Teams needed.

The real app runs on loopback; each line you type is POSTed as a Teams-shaped activity with
expectReplies. Cards are printed as text and their buttons numbered: type /1, /2 ... to click.
Proactive messages (a sync finishing) arrive through a tiny local "channel" and print as they come.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import select
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import aiohttp
from aiohttp import web

from bot.app import create_app
from bot.logs import setup_logging
from bot.settings import Settings, load_settings
from intune.demo_tenant import DEMO_IDS, DemoTenant

DEMO_TENANT = DEMO_IDS.tenant
PASTE_GAP_S = 0.05
"""Lines that arrive within this gap of each other on a terminal are one paste, hence one message."""


@functools.cache
def demo_users() -> dict[str, tuple[str, str]]:
    """Who ``--as`` may be: the demo tenant's users by alias (object id, display name); "agent" is Hélène."""
    tenant = DemoTenant.load()
    users = {alias: (uid, tenant.user(alias)["displayName"]) for alias, uid in sorted(tenant.aliases.items())}
    users["agent"] = users["helene"]
    return users


def read_message(fd: int, *, gap: float = PASTE_GAP_S) -> str | None:
    """One message from a terminal: a line, plus the lines that follow it at once (a multi-line paste).

    A terminal hands over one line per read; the lines of a paste are already waiting when the first one is
    read, while a person typing takes far longer than ``gap`` to start the next. None at end of input.
    """
    first = os.read(fd, 65536)
    if not first:
        return None
    chunks = [first]
    while select.select([fd], [], [], gap)[0]:
        more = os.read(fd, 65536)
        if not more:
            break
        chunks.append(more)
    return b"".join(chunks).decode("utf-8", errors="replace").rstrip("\r\n")


def render_card(card: dict[str, Any], buttons: list[dict[str, Any]], lang: str = "en") -> list[str]:
    """A card as indented lines of text; its actions are appended to ``buttons`` and numbered. A fact reads
    "Code: 42" in English and « Code : 42 » in French (a no-break space before the colon, docs/style-guide.md)."""
    lines: list[str] = []
    colon = "\u00a0:" if lang == "fr" else ":"

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            kind = item.get("type")
            if kind == "TextBlock" and item.get("text"):
                bold = item.get("weight") == "Bolder"
                text = str(item["text"])
                lines.append(f"  {text.upper() if bold and len(text) < 60 else text}")
            elif kind == "FactSet":
                lines.extend(f"    {f['title']}{colon} {f['value']}" for f in item.get("facts", []))
            elif kind == "Container":
                walk(item.get("items", []))

    walk(card.get("body", []))
    for action in card.get("actions", []):
        buttons.append(action)
        label = action.get("title", "")
        if action.get("type") == "Action.OpenUrl":
            label += f" <{action.get('url')}>"
        lines.append(f"    [/{len(buttons)}] {label}")
    return lines


def render_activity(activity: dict[str, Any], buttons: list[dict[str, Any]], lang: str = "en") -> list[str]:
    lines: list[str] = []
    lang = str(activity.get("locale") or lang)[:2].lower()
    if activity.get("text"):
        lines.append("  " + str(activity["text"]).replace("\n", "\n  "))
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            lines.extend(render_card(attachment.get("content") or {}, buttons, lang))
    return lines


class _Channel(BaseHTTPRequestHandler):
    """Receives proactive messages the bot sends to its serviceUrl (in a thread: the SDK posts synchronously).

    A message for someone else's chat (a ticket notice to its requester) or a helpdesk channel is printed with
    whom it went to, as Teams would deliver it there.
    """

    me = ""  # the aadObjectId of the person at the terminal
    chats: ClassVar[dict[str, str]] = {}  # conversation id -> whose 1:1 chat, or "the helpdesk channel"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        try:
            activity = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            activity = {}
        path = self.path.split("?")[0].rstrip("/")
        conversation_id = uuid.uuid4().hex
        if path == "/v3/conversations":  # createConversation: a 1:1 chat or a new channel thread
            members = [m for m in activity.get("members") or [] if isinstance(m, dict)]
            who = str(members[0].get("aadObjectId") or members[0].get("id") or "") if members else ""
            self.chats[conversation_id] = who if who else "the helpdesk channel"
            activity = activity.get("activity") or {}
        else:
            parts = path.split("/")
            conversation_id = parts[3] if len(parts) > 3 else ""
        if activity.get("type") == "message":
            lines = render_activity(activity, [])
            target = self.chats.get(conversation_id, self.me)
            label = "notification" if target == self.me else f"to {_name_of(target)}"
            if lines:
                print(f"\nbot ({label}):\n" + "\n".join(lines) + "\n> ", end="", flush=True)
        body = json.dumps({"id": conversation_id, "activityId": uuid.uuid4().hex}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST  # an update of a card already sent (a ticket card after an action)

    def log_message(self, *args: Any) -> None:
        return None


def _name_of(aad_or_label: str) -> str:
    return next((name for aad, name in demo_users().values() if aad == aad_or_label), aad_or_label)


async def _run(lang: str | None, as_user: str, settings: Settings) -> int:
    channel = ThreadingHTTPServer(("127.0.0.1", 0), _Channel)
    threading.Thread(target=channel.serve_forever, daemon=True).start()
    service_url = f"http://127.0.0.1:{channel.server_address[1]}/"
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/api/messages"
    user_id, user_name = demo_users()[as_user]
    _Channel.me = user_id
    run = uuid.uuid4().hex[:8]
    conversation = f"chat-{run}"
    buttons: list[dict[str, Any]] = []
    # The bot remembers a language per Teams user (from.id) and prefers it to the locale. With --lang, this
    # run is a Teams user of its own, so the language asked for wins over one saved by an earlier run (which
    # stays saved for runs without --lang). Devices and rights follow aadObjectId, the same either way.
    teams_id = f"29:{user_id}" if lang is None else f"29:{user_id}:{run}"
    shown_lang = lang or "saved language, else en"
    lang = lang or "en"
    base = {
        "channelId": "msteams", "serviceUrl": service_url, "locale": "fr-FR" if lang == "fr" else "en-US",
        "from": {"id": teams_id, "name": user_name, "aadObjectId": user_id},
        "recipient": {"id": "28:intune-helpdesk", "name": "Intune Helpdesk"},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": DEMO_TENANT},
        "channelData": {"tenant": {"id": DEMO_TENANT}},
    }
    print(f"Intune helpdesk bot — terminal chat as {user_name} ({shown_lang}). Type /quit to leave, /N to click a button.")
    loop = asyncio.get_running_loop()
    terminal = sys.stdin.isatty()

    def next_message() -> str | None:
        if terminal:  # a multi-line paste is one message
            print("> ", end="", flush=True)
            return read_message(sys.stdin.fileno())
        try:
            return input("> ")
        except EOFError:
            return None

    async with aiohttp.ClientSession() as http:

        async def send(activity: dict[str, Any]) -> None:
            async with http.post(url, json={**base, "id": uuid.uuid4().hex, **activity}) as resp:
                body = await resp.json(content_type=None) if resp.content_length != 0 else None
            buttons.clear()
            lines: list[str] = []
            if isinstance(body, dict) and "activities" in body:
                for reply in body["activities"]:
                    if reply.get("type") == "message":
                        lines.extend(render_activity(reply, buttons, lang))
            elif isinstance(body, dict) and body.get("type") == "application/vnd.microsoft.card.adaptive":
                lines.extend(render_card(body.get("value") or {}, buttons, lang))
            elif isinstance(body, dict) and isinstance(body.get("value"), str):
                lines.append("  " + body["value"])
            print("bot:\n" + "\n".join(lines) if lines else "bot: (no reply)")

        await send({"type": "conversationUpdate", "membersAdded": [{"id": "28:intune-helpdesk"}],
                    "deliveryMode": "expectReplies"})
        while True:
            try:
                message = await loop.run_in_executor(None, next_message)
            except KeyboardInterrupt:
                break
            if message is None:
                break
            line = message.strip()
            if line in ("/quit", "/exit", "/q"):
                break
            if line.startswith("/") and line[1:].isdigit():
                index = int(line[1:]) - 1
                if not 0 <= index < len(buttons):
                    print("  (no such button)")
                    continue
                action = buttons[index]
                if action.get("type") == "Action.OpenUrl":
                    print(f"  open {action.get('url')}")
                elif action.get("type") == "Action.Execute":
                    await send({"type": "invoke", "name": "adaptiveCard/action",
                                "value": {"action": {"type": "Action.Execute", "verb": action.get("verb"),
                                                     "data": action.get("data")}}})
                else:
                    await send({"type": "message", "value": action.get("data"), "deliveryMode": "expectReplies"})
                continue
            if line:
                await send({"type": "message", "text": line, "deliveryMode": "expectReplies"})
    await runner.cleanup()
    channel.shutdown()
    return 0


def main(lang: str | None = None, as_user: str = "alice") -> int:
    users = demo_users()
    if as_user.lower() not in users:
        print(f"error: --as {as_user!r} is not a demo tenant user; choose one of: {', '.join(users)}",
              file=sys.stderr)
        return 2
    settings = load_settings()
    if settings is None:
        return 2
    setup_logging("WARNING", json_logs=False)
    logging.getLogger("bot.app").setLevel(logging.ERROR)
    logging.getLogger("bot.services").setLevel(logging.ERROR)
    return asyncio.run(_run(lang, as_user.lower(), settings)) if sys.stdin else 0
