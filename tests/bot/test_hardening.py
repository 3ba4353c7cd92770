"""Defects found under attack (issue 16): each test failed before its fix.

- 6: bodies that break the JSON parser (deep nesting, huge integers, lone surrogate escapes) got 500;
- 7: an Action.Execute invoke that is refused or fails got 501 with a ``null`` body;
- 12: a half-sent body held a connection open without limit; oversized headers logged an ERROR trace.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import _valid_url, create_app
from bot.services import open_services
from bot.settings import Settings
from intune.fake_graph import FakeGraphServer
from storage import MemoryStore, Store
from tests.bot.conftest import TENANT, teams_activity
from tests.bot.openid_fixture import OpenIdFixture


@asynccontextmanager
async def serve(settings: Settings, fake_graph: FakeGraphServer,
                store: Store | None = None) -> AsyncIterator[TestClient]:
    services = await open_services(settings, store=store or MemoryStore(), graph_base_url=fake_graph.base_url)
    async with TestClient(TestServer(create_app(settings, services=services))) as client:
        yield client
    await services.close()


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [(r.name, r.getMessage()) for r in bad]


# -- 6: JSON the parser cannot hold ------------------------------------------------------------------
def _raw_activity(**replace_with: str) -> bytes:
    """A valid activity as bytes, with some values swapped for raw JSON text."""
    activity = teams_activity("hello")
    for key in replace_with:
        marker = f"@@{key}@@"
        if key in ("from.name", "conversation.id"):
            outer, inner = key.split(".")
            activity[outer][inner] = marker
        else:
            activity[key] = marker
    text = json.dumps(activity)
    for key, raw in replace_with.items():
        text = text.replace(json.dumps(f"@@{key}@@"), raw)
    return text.encode()


_DEEP = "[" * 2000 + "]" * 2000
_HUGE = "1" * 5000
_BAD_JSON = {
    "deep-value": _raw_activity(value=_DEEP),
    "deep-top": ("[" * 2000 + "]" * 2000).encode(),
    "huge-int-value": _raw_activity(value=_HUGE),
    "huge-int-top": _HUGE.encode(),
    "surrogate-from-name": _raw_activity(**{"from.name": '"\\ud83d"'}),
    "surrogate-conversation-id": _raw_activity(**{"conversation.id": '"x\\ud83d"'}),
    "surrogate-id": _raw_activity(id='"\\ud83dabc"'),
    "surrogate-locale": _raw_activity(locale='"fr\\udc00"'),
    "surrogate-text": _raw_activity(text='"hi \\ud83d there"'),
}


@pytest.mark.parametrize("raw", list(_BAD_JSON.values()), ids=list(_BAD_JSON))
async def test_json_the_parser_cannot_hold_is_400_without_a_trace(client: TestClient, raw: bytes,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    resp = await client.post("/api/messages", data=raw, headers={"Content-Type": "application/json"})
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["error"]["status"] == 400
    _no_errors_logged(caplog)


async def test_a_proper_emoji_pair_still_works(client: TestClient) -> None:
    raw = _raw_activity(**{"from.name": '"Alice \\ud83d\\ude00"', "text": '"0x87D1FDE8 \\ud83d\\ude00"'})
    resp = await client.post("/api/messages", data=raw, headers={"Content-Type": "application/json"})
    assert resp.status == 200
    assert "0x87D1FDE8" in json.dumps(await resp.json())


# -- 7: Action.Execute that is refused or fails --------------------------------------------------------
def _execute(tenant: str = TENANT, locale: str = "en-US") -> dict[str, Any]:
    activity = teams_activity(None, activity_type="invoke", tenant=tenant, locale=locale,
                              value={"action": {"type": "Action.Execute", "verb": "syncConfirm",
                                                "data": {"action": "sync_confirm", "confirmation": "x" * 32}}})
    activity["name"] = "adaptiveCard/action"
    activity.pop("deliveryMode")  # a real card click: the invoke is answered in the HTTP response
    return activity


@pytest.mark.parametrize("locale,expected", [("en-US", "not available to your organisation"),
                                             ("fr-FR", "pas disponible pour votre organisation")])
async def test_execute_from_a_refused_tenant_gets_a_message_not_501(settings: Settings,
                                                                    fake_graph: FakeGraphServer,
                                                                    locale: str, expected: str) -> None:
    settings = replace(settings, allowed_tenant_ids=("11111111-1111-4111-8111-111111111111",))
    async with serve(settings, fake_graph) as client:
        resp = await client.post("/api/messages", json=_execute(locale=locale))
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert expected in body["value"]


class _StoreDown(MemoryStore):
    async def get(self, key: str) -> Any:
        raise ConnectionError("store unreachable")


async def test_execute_when_the_store_is_down_gets_the_universal_actions_error(
        settings: Settings, fake_graph: FakeGraphServer, caplog: pytest.LogCaptureFixture) -> None:
    async with serve(settings, fake_graph, store=_StoreDown()) as client:
        resp = await client.post("/api/messages", json=_execute())
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    assert body["statusCode"] == 500
    assert body["type"] == "application/vnd.microsoft.error"
    assert "something went wrong" in body["value"]["message"].lower()
    assert "Traceback" not in json.dumps(body) and "unreachable" not in json.dumps(body)


async def test_execute_when_the_connector_is_unreachable_gets_an_answer(client: TestClient) -> None:
    """A sync click that also posts a message to serviceUrl (port 9: nothing listens) must still answer."""
    activity = _execute()
    activity["value"]["action"]["data"] = {"action": "show", "kind": "nope", "id": "nope"}
    resp = await client.post("/api/messages", json=activity)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body is not None and body["statusCode"] in (200, 500)
    assert body["type"].startswith("application/vnd.microsoft.")


async def test_an_execute_that_works_still_gets_its_card(client: TestClient) -> None:
    activity = _execute()
    activity["value"]["action"]["data"] = {"action": "sync_cancel", "confirmation": "y" * 32}
    resp = await client.post("/api/messages", json=activity)
    assert resp.status == 200
    body = await resp.json()
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "cancelled" in json.dumps(body["value"]).lower()


# -- 12: slow bodies, oversized headers ----------------------------------------------------------------
async def _raw_request(port: int, head: bytes, body: bytes = b"", *, wait: float = 5.0) -> tuple[bytes, float]:
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + body)
        await writer.drain()
        try:
            data = await asyncio.wait_for(reader.read(65536), timeout=wait)
        except TimeoutError:
            data = b""
    finally:
        writer.close()
    return data, time.monotonic() - started


async def test_a_half_sent_body_is_dropped_after_the_body_timeout(settings: Settings,
                                                                  fake_graph: FakeGraphServer) -> None:
    settings = replace(settings, body_timeout_s=0.5)
    async with serve(settings, fake_graph) as client:
        head = (b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5000\r\n\r\n")
        data, elapsed = await _raw_request(client.port, head, b'{"type": "mess', wait=5)
    assert data.startswith(b"HTTP/1.1 408"), data[:100]
    assert elapsed < 3


async def test_oversized_headers_get_431_and_no_error_trace(settings: Settings, fake_graph: FakeGraphServer,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve(settings, fake_graph) as client:
        head = (b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"X-Big: " + b"a" * 20000 + b"\r\nContent-Length: 2\r\n\r\n{}")
        data, _ = await _raw_request(client.port, head)
        many = b"POST /api/messages HTTP/1.1\r\nHost: x\r\n" + b"".join(
            b"X-H%d: v\r\n" % i for i in range(500)) + b"Content-Length: 2\r\n\r\n{}"
        data_many, _ = await _raw_request(client.port, many)
    assert data.split(b"\r\n", 1)[0] in (b"HTTP/1.1 431 Request Header Fields Too Large",
                                         b"HTTP/1.0 431 Request Header Fields Too Large"), data[:200]
    assert b" 431 " in data_many.split(b"\r\n", 1)[0], data_many[:200]
    _no_errors_logged(caplog)


async def test_the_body_timeout_does_not_cut_a_normal_request(settings: Settings,
                                                              fake_graph: FakeGraphServer) -> None:
    settings = replace(settings, body_timeout_s=0.5)
    async with serve(settings, fake_graph) as client:
        resp = await client.post("/api/messages", json=teams_activity("0x87D1FDE8"))
        assert resp.status == 200



# -- replies that cannot be delivered ------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://[invalid/", "http://a b/", "https://", "http://%zz/", "http://x:99999/",
                                 "http://" + "a" * 300 + "/", "https://host\u00a0name/"])
async def test_a_service_url_nobody_could_post_to_is_400(client: TestClient, url: str) -> None:
    activity = teams_activity("hello", service_url=url)
    activity.pop("deliveryMode")
    resp = await client.post("/api/messages", json=activity)
    assert resp.status == 400, await resp.text()


@pytest.mark.parametrize("url", ["https://smba.trafficmanager.net/emea/", "http://127.0.0.1:9/",
                                 "https://[::1]:8443/x/", "http://bot-host_1.internal:3978/"])
def test_real_service_urls_are_accepted(url: str) -> None:
    assert _valid_url(url)


@pytest.mark.parametrize("key", ["deliveryMode", "id", "locale", "name", "replyToId"])
async def test_a_number_where_the_sdk_expects_a_string_is_400(client: TestClient, key: str) -> None:
    activity = teams_activity("hello")
    activity[key] = 5
    resp = await client.post("/api/messages", json=activity)
    assert resp.status == 400, await resp.text()


@pytest.fixture
def refusing_channel() -> Iterator[str]:
    """A serviceUrl whose every POST is refused (HTTP 404, not retried by the SDK: the test stays fast)."""
    server = OpenIdFixture().start()
    yield server.base_url + "/refused/"
    server.stop()


@pytest.mark.parametrize("activity_type", ["message", "conversationUpdate"])
async def test_a_channel_that_refuses_the_replies_is_not_a_500(client: TestClient, refusing_channel: str,
                                                                activity_type: str) -> None:
    """No expectReplies: the reply goes to serviceUrl, which refuses it; the apology too. Before, the apology's
    failure escaped the turn and the request got HTTP 500 (and the channel would deliver it again)."""
    activity = teams_activity("0x87D1FDE8", service_url=refusing_channel, activity_type=activity_type,
                              membersAdded=[{"id": "28:bot-id"}])
    activity.pop("deliveryMode")
    resp = await client.post("/api/messages", json=activity)
    assert resp.status == 200, await resp.text()
