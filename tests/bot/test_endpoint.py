"""The HTTP endpoint: request checks before the SDK, delivery modes, health, errors, tenants, shutdown.

Malformed requests get deliberate 4xx answers (the SDK alone gave 500 for bad JSON, 404 for a
missing Content-Type); a failing turn is a polite message and HTTP 200, never a trace.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import RUNTIME, SERVICES, create_app
from bot.services import open_services
from bot.settings import Settings
from intune.fake_graph import FakeGraphServer
from storage import MemoryStore, Store
from tests.bot.conftest import TENANT, Chat, teams_activity, texts

SORRY = "Sorry, something went wrong"


@asynccontextmanager
async def serve(settings: Settings, fake_graph: FakeGraphServer,
                store: Store | None = None) -> AsyncIterator[TestClient]:
    """The real app on the test server, with its own settings and store."""
    services = await open_services(settings, store=store or MemoryStore(), graph_base_url=fake_graph.base_url)
    async with TestClient(TestServer(create_app(settings, services=services))) as client:
        yield client
    await services.close()


async def _error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status == status, (resp.status, await resp.text())
    body = await resp.json()
    assert body["error"]["status"] == status
    assert "Traceback" not in json.dumps(body)
    return body


# -- content type, body, shape ---------------------------------------------------------------------
async def test_malformed_json_is_400(client: TestClient) -> None:
    resp = await client.post("/api/messages", data=b'{"type": "message", "text": ',
                             headers={"Content-Type": "application/json"})
    await _error(resp, 400)


async def test_invalid_utf8_is_400(client: TestClient) -> None:
    resp = await client.post("/api/messages", data=b'{"type": "message", "text": "\xff\xfe"}',
                             headers={"Content-Type": "application/json"})
    await _error(resp, 400)


async def test_text_plain_is_415(client: TestClient) -> None:
    resp = await client.post("/api/messages", data=json.dumps(teams_activity("hi")),
                             headers={"Content-Type": "text/plain"})
    await _error(resp, 415)


async def test_no_content_type_is_415(client: TestClient) -> None:
    resp = await client.post("/api/messages", data=json.dumps(teams_activity("hi")).encode(),
                             skip_auto_headers=["Content-Type"])
    assert "Content-Type" not in resp.request_info.headers
    await _error(resp, 415)


async def test_json_with_charset_is_accepted(client: TestClient) -> None:
    resp = await client.post("/api/messages", data=json.dumps(teams_activity("0x87D1FDE8")).encode(),
                             headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status == 200
    assert "0x87D1FDE8" in texts((await resp.json())["activities"])


@pytest.fixture
def small_limit(settings: Settings) -> Settings:
    return replace(settings, max_body_bytes=4096)


async def test_large_body_under_the_limit_is_read_whole(settings: Settings, fake_graph: FakeGraphServer) -> None:
    """A body of many TCP segments (Content-Length known) is read to the end."""
    activity = teams_activity("0x87D1FDE8", channelData={"tenant": {"id": TENANT}, "padding": "p" * 200_000})
    body = json.dumps(activity).encode()
    assert settings.max_body_bytes > len(body) > 150_000
    async with serve(settings, fake_graph) as client:
        resp = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert resp.status == 200, await resp.text()
        assert "0x87D1FDE8" in texts((await resp.json())["activities"])


async def test_body_over_the_limit_with_content_length_is_413(small_limit: Settings,
                                                              fake_graph: FakeGraphServer) -> None:
    body = json.dumps(teams_activity("x" * 5000)).encode()
    async with serve(small_limit, fake_graph) as client:
        resp = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert resp.request_info.headers["Content-Length"] == str(len(body))
        await _error(resp, 413)


async def test_chunked_body_over_the_limit_is_413(small_limit: Settings, fake_graph: FakeGraphServer) -> None:
    body = json.dumps(teams_activity("x" * 12000)).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 1024):
            yield body[i:i + 1024]

    async with serve(small_limit, fake_graph) as client:
        resp = await client.post("/api/messages", data=chunks(), headers={"Content-Type": "application/json"})
        assert "Content-Length" not in resp.request_info.headers
        assert resp.request_info.headers.get("Transfer-Encoding") == "chunked"
        await _error(resp, 413)


async def test_chunked_body_under_the_limit_is_accepted(small_limit: Settings, fake_graph: FakeGraphServer) -> None:
    """Chunks that arrive one by one are all read (not only what the first read finds buffered)."""
    body = json.dumps(teams_activity("0x87D1FDE8")).encode()
    assert len(body) < 4096

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 100):
            yield body[i:i + 100]
            await asyncio.sleep(0.002)

    async with serve(small_limit, fake_graph) as client:
        resp = await client.post("/api/messages", data=chunks(), headers={"Content-Type": "application/json"})
        assert resp.status == 200
        assert "0x87D1FDE8" in texts((await resp.json())["activities"])


@pytest.mark.parametrize("payload", [
    [teams_activity("hi")],
    "message",
    42,
    None,
    {k: v for k, v in teams_activity("hi").items() if k != "type"},
    {**teams_activity("hi"), "type": ""},
    {**teams_activity("hi"), "type": 7},
    {**teams_activity("hi"), "from": 12345},
    {**teams_activity("hi"), "from": "29:alice"},
    {**teams_activity("hi"), "conversation": ["conv"]},
    {**teams_activity("hi"), "recipient": True},
    {**teams_activity("hi"), "channelData": 1.5},
    {**teams_activity("hi"), "text": {"nested": "text"}},
    {**teams_activity("hi"), "value": 3},
    {k: v for k, v in teams_activity("hi").items() if k != "from"},
    {**teams_activity("hi"), "from": {"name": "no id"}},
    {**teams_activity("hi"), "from": {"id": ""}},
    {**teams_activity("hi"), "from": {"id": 5}},
    {**teams_activity("hi"), "conversation": {}},
    {**teams_activity("hi"), "conversation": None},
    {k: v for k, v in teams_activity("hi").items() if k != "channelId"},
    {**teams_activity("hi"), "channelId": ""},
    {k: v for k, v in teams_activity("hi").items() if k != "serviceUrl"},
    {**teams_activity("hi"), "serviceUrl": 5},
    {**teams_activity("hi"), "serviceUrl": "file:///etc/passwd"},
], ids=["array", "string", "number", "null", "no-type", "empty-type", "numeric-type", "from-number",
        "from-string", "conversation-list", "recipient-bool", "channeldata-number", "text-object", "value-number",
        "no-from", "from-without-id", "from-empty-id", "from-numeric-id", "conversation-without-id",
        "conversation-null", "no-channel", "empty-channel", "no-serviceurl", "numeric-serviceurl",
        "file-serviceurl"])
async def test_wrong_shapes_are_400(client: TestClient, payload: Any) -> None:
    resp = await client.post("/api/messages", data=json.dumps(payload), headers={"Content-Type": "application/json"})
    await _error(resp, 400)


async def test_get_on_messages_is_405(client: TestClient) -> None:
    resp = await client.get("/api/messages")
    assert resp.status == 405


# -- activity types and delivery modes -------------------------------------------------------------
async def test_unknown_activity_type_is_200_without_reply(client: TestClient) -> None:
    resp = await client.post("/api/messages", json=teams_activity("hi", activity_type="somethingNew"))
    assert resp.status == 200
    assert (await resp.json()) == {"activities": []}


async def test_french_replies_arrive_as_utf8_json(client: TestClient) -> None:
    resp = await client.post("/api/messages", json=teams_activity("0x87D1FDE8", locale="fr-FR"))
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    raw = await resp.read()
    body = json.loads(raw.decode("utf-8"))
    assert "Hexadécimal" in texts(body["activities"])  # accents intact
    assert "Hexadécimal".encode() in raw  # written as UTF-8, not escaped


async def test_typing_is_200_without_reply(client: TestClient) -> None:
    resp = await client.post("/api/messages", json=teams_activity(activity_type="typing"))
    assert resp.status == 200
    assert (await resp.json()) == {"activities": []}


async def test_expect_replies_returns_the_replies_in_the_body(client: TestClient) -> None:
    resp = await client.post("/api/messages", json=teams_activity("0x87D1FDE8"))
    assert resp.status == 200
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert set(body) == {"activities"}
    replies = body["activities"]
    assert replies and all(r["type"] == "message" for r in replies)
    assert all(r["conversation"]["id"] == "conv-personal-1" for r in replies)
    assert "0x87D1FDE8" in texts(replies)


async def test_request_id_is_echoed(client: TestClient) -> None:
    resp = await client.get("/healthz", headers={"x-request-id": "abc123"})
    assert resp.headers["x-request-id"] == "abc123"
    resp = await client.get("/healthz")
    assert resp.headers["x-request-id"]


# -- health ----------------------------------------------------------------------------------------
async def test_healthz(client: TestClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["status"] == "ok"


async def test_readyz_with_a_working_store(client: TestClient) -> None:
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert (await resp.json()) == {"status": "ready", "store": True}


class _BrokenStore(MemoryStore):
    async def ping(self) -> bool:
        raise ConnectionError("store unreachable")


class _DownStore(MemoryStore):
    async def ping(self) -> bool:
        return False


@pytest.mark.parametrize("store_cls", [_BrokenStore, _DownStore], ids=["ping-raises", "ping-false"])
async def test_readyz_is_503_when_the_store_fails(settings: Settings, fake_graph: FakeGraphServer,
                                                  store_cls: type[MemoryStore]) -> None:
    async with serve(settings, fake_graph, store=store_cls()) as client:
        resp = await client.get("/readyz")
        assert resp.status == 503
        assert (await resp.json()) == {"status": "not ready", "store": False}
        assert (await client.get("/healthz")).status == 200  # alive, just not ready


# -- errors inside a turn --------------------------------------------------------------------------
async def test_failing_turn_apologises_with_200_and_logs(client: TestClient, alice: Chat,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    matcher = client.server.app[SERVICES].matcher

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(matcher, "lookup", boom)
    with caplog.at_level(logging.ERROR):
        resp = await client.post("/api/messages", json=teams_activity("printer is on fire"))
    assert resp.status == 200
    raw = await resp.text()
    replies = json.loads(raw)["activities"]
    assert SORRY in texts(replies)
    assert "secret internal detail" not in raw and "Traceback" not in raw and "RuntimeError" not in raw
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert failures and any("secret internal detail" in str(r.exc_info[1]) for r in failures)

    monkeypatch.undo()  # the conversation recovers on the next turn
    assert "0x87D1FDE8" in texts(await alice.say("0x87D1FDE8"))


async def test_failing_turn_in_french_apologises(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("x")

    monkeypatch.setattr(client.server.app[SERVICES].matcher, "lookup", boom)
    resp = await client.post("/api/messages", json=teams_activity("mon imprimante", locale="fr-FR"))
    assert resp.status == 200
    assert (await resp.json())["activities"]  # some apology, whatever the language; no 500


# -- tenants ---------------------------------------------------------------------------------------
async def test_other_tenant_gets_a_polite_refusal_and_no_answer(settings: Settings,
                                                                fake_graph: FakeGraphServer) -> None:
    restricted = replace(settings, allowed_tenant_ids=("some-other-tenant",))
    async with serve(restricted, fake_graph) as client:
        resp = await client.post("/api/messages", json=teams_activity("0x87D1FDE8"))
        assert resp.status == 200
        shown = texts((await resp.json())["activities"])
        assert "not available to your organisation" in shown
        assert "0x87D1FDE8" not in shown and "What to do" not in shown
        # non-message activities from the tenant get nothing at all
        resp = await client.post("/api/messages", json=teams_activity(activity_type="conversationUpdate",
                                                                       membersAdded=[{"id": "28:bot-id"}]))
        assert resp.status == 200 and (await resp.json()) == {"activities": []}


async def test_allowed_tenant_is_answered(settings: Settings, fake_graph: FakeGraphServer) -> None:
    allowed = replace(settings, allowed_tenant_ids=("some-other-tenant", TENANT.lower()))
    async with serve(allowed, fake_graph) as client:
        replies = await Chat(client).say("0x87D1FDE8")
        assert "0x87D1FDE8" in texts(replies)


# -- graceful shutdown -----------------------------------------------------------------------------
async def test_requests_after_shutdown_started_get_503(client: TestClient) -> None:
    client.server.app[RUNTIME].accepting = False
    resp = await client.post("/api/messages", json=teams_activity("0x87D1FDE8"))
    await _error(resp, 503)
    assert (await client.get("/readyz")).status == 503
    assert (await client.get("/healthz")).status == 200


async def test_shutdown_drains_in_flight_turns(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    app = client.server.app
    runtime = app[RUNTIME]
    entered, release = asyncio.Event(), asyncio.Event()
    original = runtime.bot.on_turn

    async def slow_turn(turn_context: Any) -> None:
        entered.set()
        await release.wait()
        await original(turn_context)

    monkeypatch.setattr(runtime.bot, "on_turn", slow_turn)
    in_flight = asyncio.create_task(client.post("/api/messages", json=teams_activity("0x87D1FDE8")))
    await asyncio.wait_for(entered.wait(), 5)
    assert len(runtime.in_flight) == 1

    shutting_down = asyncio.create_task(app.shutdown())  # what the runner does on SIGTERM, before closing
    await asyncio.sleep(0.05)
    assert not runtime.accepting
    assert not shutting_down.done(), "shutdown must wait for the in-flight turn"

    late = await client.post("/api/messages", json=teams_activity("0x87D1FDE8"))
    await _error(late, 503)

    release.set()
    resp = await asyncio.wait_for(in_flight, 5)
    assert resp.status == 200
    assert "0x87D1FDE8" in texts((await resp.json())["activities"])
    await asyncio.wait_for(shutting_down, 5)
    assert not runtime.in_flight
