"""Fixtures for the Teams layer: the real app on the aiohttp test server, the demo tenant's fake Graph.

Activities are POSTed Teams-shaped with deliveryMode expectReplies, so replies come back in the
HTTP response body, as the Bot Framework does for tests and tools.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.services import open_services
from bot.settings import Settings
from intune.demo_tenant import DEMO_IDS, DemoTenant
from intune.fake_graph import FakeGraphConfig, FakeGraphServer
from storage import MemoryStore, Store
from tests.french_rules import FRENCH_REPLIES, OTHER_REPLIES, looks_french, reply_text

TENANT = DEMO_IDS.tenant
_ids = itertools.count(1)


def teams_activity(text: str | None = None, *, user: str = DEMO_IDS.alice, name: str = "Alice Martin",
                   locale: str = "en-US", conversation: str = "conv-personal-1", conv_type: str = "personal",
                   value: Any = None, tenant: str = TENANT, activity_type: str = "message",
                   service_url: str = "http://127.0.0.1:9/", **extra: Any) -> dict[str, Any]:
    """A Teams-shaped activity as the channel posts it."""
    activity: dict[str, Any] = {
        "type": activity_type,
        "id": f"act-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "locale": locale,
        "from": {"id": f"29:{user}", "name": name, "aadObjectId": user},
        "recipient": {"id": "28:bot-id", "name": "Intune Helpdesk"},
        "conversation": {"id": conversation, "conversationType": conv_type, "tenantId": tenant},
        "channelData": {"tenant": {"id": tenant}},
        "deliveryMode": "expectReplies",
    }
    if text is not None:
        activity["text"] = text
    if value is not None:
        activity["value"] = value
    activity.update(extra)
    return activity


@dataclass
class Chat:
    """Talk to the bot over HTTP as one Teams user."""

    client: TestClient
    user: str = DEMO_IDS.alice
    name: str = "Alice Martin"
    locale: str = "en-US"
    conversation: str = "conv-personal-1"

    async def post(self, activity: dict[str, Any], *, status: int = 200) -> list[dict[str, Any]]:
        resp = await self.client.post("/api/messages", json=activity)
        assert resp.status == status, await resp.text()
        if resp.content_type == "application/json":
            body = await resp.json()
            replies = body.get("activities", []) if isinstance(body, dict) else []
            _record_french(replies)
            return replies
        return []

    async def say(self, text: str | None = None, **kw: Any) -> list[dict[str, Any]]:
        kw.setdefault("user", self.user)
        kw.setdefault("name", self.name)
        kw.setdefault("locale", self.locale)
        kw.setdefault("conversation", self.conversation)
        replies = await self.post(teams_activity(text, **kw))
        return [r for r in replies if r.get("type") == "message"]

    async def click(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.say(None, value=data)


def _record_french(replies: list[dict[str, Any]]) -> None:
    """Keep the replies for the session's style check (tests/conftest.py): French ones for typography too."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    for reply in replies:
        if reply.get("type") != "message":
            continue
        (FRENCH_REPLIES if looks_french(reply_text(reply)) else OTHER_REPLIES).append((test, reply))


def texts(replies: list[dict[str, Any]]) -> str:
    """Everything a user would read in the replies: plain text and every string inside cards."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list):
            for x in node:
                walk(x)
        elif isinstance(node, dict):
            for k, v in node.items():
                if k not in ("type", "version", "$schema", "verb", "style", "color", "size", "weight", "url"):
                    walk(v)

    for r in replies:
        if r.get("text"):
            out.append(r["text"])
        for a in r.get("attachments") or []:
            walk(a.get("content"))
    return "\n".join(out)


def card_actions(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    for r in replies:
        for a in r.get("attachments") or []:
            actions.extend((a.get("content") or {}).get("actions") or [])
    return actions


def action_data(replies: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [a["data"] for a in card_actions(replies) if isinstance(a.get("data"), dict)
            and a["data"].get("action") == action]


@pytest.fixture
async def fake_graph() -> AsyncIterator[FakeGraphServer]:
    server = FakeGraphServer(DemoTenant.load(), config=FakeGraphConfig(sync_delay=0.2))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings() -> Settings:
    return Settings(storage_url="memory://", sync_cooldown_s=300, completion_watch_s=2, completion_poll_s=0.1,
                    helpdesk_group_ids=(DEMO_IDS.helpdesk_group,))


@pytest.fixture
def store() -> Store:
    return MemoryStore()


@pytest.fixture
async def client(settings: Settings, store: Store, fake_graph: FakeGraphServer) -> AsyncIterator[TestClient]:
    services = await open_services(settings, store=store, graph_base_url=fake_graph.base_url)
    app = create_app(settings, services=services)
    async with TestClient(TestServer(app)) as c:
        yield c
    await services.close()


@pytest.fixture
def alice(client: TestClient) -> Chat:
    return Chat(client)


@pytest.fixture
def agent(client: TestClient) -> Chat:
    return Chat(client, user=DEMO_IDS.helene, name="Hélène Support", conversation="conv-agent-1")


__all__ = ["Chat", "action_data", "card_actions", "replace", "teams_activity", "texts", "uuid"]


# -- a fake Teams connector on loopback: records what the bot sends on its own ------------------------------


@dataclass
class Sent:
    """One request the bot made to the connector: method, path, JSON body, and the conversation it targets."""

    method: str
    path: str
    body: Any
    conversation: str


class FakeConnector:
    """Answers the Bot Connector API the way Teams does and records every call.

    POST /v3/conversations creates a 1:1 chat ("a:proactive-…") or, with channelData.channel, a new channel
    thread ("<channel>;messageid=…"); POST/PUT …/activities[/id] post or update a message.
    """

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.fail = False
        self._server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/"))

    async def start(self) -> None:
        from aiohttp import web

        async def conversations(request: web.Request) -> web.Response:
            body = await request.json()
            if self.fail:
                return web.json_response({"error": {"code": "ServiceError"}}, status=503)
            channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
            cid = f"{channel};messageid={uuid.uuid4().hex}" if channel else f"a:proactive-{uuid.uuid4().hex}"
            activity_id = uuid.uuid4().hex
            self.sent.append(Sent("POST", request.path, body, cid))
            if isinstance(body.get("activity"), dict):
                self.sent.append(Sent("POST", f"/v3/conversations/{cid}/activities", body["activity"], cid))
            return web.json_response({"id": cid, "activityId": activity_id})

        async def activities(request: web.Request) -> web.Response:
            body = await request.json()
            if self.fail:
                return web.json_response({"error": {"code": "ServiceError"}}, status=503)
            self.sent.append(Sent(request.method, request.path, body, request.match_info["conv"]))
            return web.json_response({"id": request.match_info.get("aid") or uuid.uuid4().hex})

        app = web.Application()
        app.router.add_post("/v3/conversations", conversations)
        app.router.add_post("/v3/conversations/{conv}/activities", activities)
        app.router.add_post("/v3/conversations/{conv}/activities/{aid}", activities)
        app.router.add_put("/v3/conversations/{conv}/activities/{aid}", activities)
        self._server = TestServer(app)
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    def messages(self, conversation_prefix: str = "") -> list[dict[str, Any]]:
        """Activities posted or updated (newest last), optionally only in conversations starting with a prefix."""
        return [s.body for s in self.sent if "/activities" in s.path and s.conversation.startswith(conversation_prefix)]

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> list[Sent]:
        """Wait until some recorded calls satisfy ``predicate`` (proactive sends run on threads)."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            hits = [s for s in self.sent if predicate(s)]
            if hits or loop.time() > deadline:
                return hits
            await asyncio.sleep(0.05)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    c = FakeConnector()
    await c.start()
    yield c
    await c.close()


__all__ += ["FakeConnector", "Sent"]
