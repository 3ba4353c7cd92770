"""A fake Teams connector on loopback: records what the bot sends on its own, answers as Teams does.

POST /v3/conversations (createConversation: a 1:1 chat, or a new thread in a channel), POST
/v3/conversations/{id}/activities (a message into a conversation) and PUT /v3/conversations/{id}/activities/{aid}
(an update of a message already sent).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Sent:
    kind: str  # "create", "post", "update"
    conversation: str
    activity: dict[str, Any]
    members: list[str] = field(default_factory=list)  # aadObjectIds of a created 1:1 chat
    activity_id: str = ""

    @property
    def text(self) -> str:
        from tests.bot.conftest import texts

        return texts([self.activity]).replace("\u202f", " ").replace("\u00a0", " ").replace("\u2019", "'")


class TeamsConnector:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.chats: dict[str, str] = {}  # 1:1 conversation id -> user aad id
        self.fail = False
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    async def _create(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.json_response({"error": {"code": "ServiceError"}}, status=503)
        body = await request.json()
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        activity_id = uuid.uuid4().hex
        if channel:
            cid = f"{channel};messageid={activity_id}"
            self.sent.append(Sent("create", cid, body.get("activity") or {}, activity_id=activity_id))
        else:
            members = [str(m.get("aadObjectId") or m.get("id") or "").removeprefix("29:")
                       for m in body.get("members") or []]
            cid = "a:chat-" + "-".join(sorted(members))
            self.chats[cid] = members[0] if members else ""
            if body.get("activity"):
                self.sent.append(Sent("create", cid, body["activity"], members=members))
        return web.json_response({"id": cid, "activityId": activity_id})

    async def _post(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.json_response({"error": {"code": "ServiceError"}}, status=503)
        cid = unquote(request.match_info["cid"])
        self.sent.append(Sent("post", cid, await request.json(), members=[self.chats.get(cid, "")]))
        return web.json_response({"id": uuid.uuid4().hex})

    async def _update(self, request: web.Request) -> web.Response:
        cid = unquote(request.match_info["cid"])
        self.sent.append(Sent("update", cid, await request.json(), activity_id=request.match_info["aid"]))
        return web.json_response({"id": request.match_info["aid"]})

    # -- what the tests read ----------------------------------------------------------------------------------

    def to_user(self, aad: str) -> list[Sent]:
        """Messages posted into that user's 1:1 chat."""
        return [s for s in self.sent if s.kind == "post" and self.chats.get(s.conversation) == aad]

    def threads(self) -> list[Sent]:
        """New threads started in a channel."""
        return [s for s in self.sent if s.kind == "create" and ";messageid=" in s.conversation]

    def updates(self) -> list[Sent]:
        return [s for s in self.sent if s.kind == "update"]

    async def wait(self, predicate: Any, timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError("the expected proactive message never came; sent: "
                                     + repr([(s.kind, s.conversation, s.text[:80]) for s in self.sent]))
            await asyncio.sleep(0.02)
