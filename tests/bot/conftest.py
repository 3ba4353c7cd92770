"""Fixtures for the Teams layer: the real app on the aiohttp test server, the demo tenant's fake Graph.

Activities are POSTed Teams-shaped with deliveryMode expectReplies, so replies come back in the
HTTP response body, as the Bot Framework does for tests and tools.
"""

from __future__ import annotations

import itertools
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
            return body.get("activities", []) if isinstance(body, dict) else []
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
