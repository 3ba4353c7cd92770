"""Property tests: malformed and adversarial activities at POST /api/messages.

Whatever arrives, the endpoint answers without a 5xx, nothing is logged at ERROR (no unhandled
exception, no failed turn), and the fake Graph never receives a syncDevice: random data never
carries a confirmation its sender was shown, so nothing may be synced.

Hypothesis drives plain (sync) test functions; the app, the fake Graph and an HTTP client live on an
event loop in a background thread shared by the module, so examples are cheap and shrinking works.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.services import open_services
from bot.settings import Settings
from dialogs.intents import parse_yes_no
from intune.demo_tenant import DEMO_IDS, DemoTenant
from intune.fake_graph import FakeGraphConfig, FakeGraphServer
from storage import MemoryStore
from tests.bot.conftest import teams_activity

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Harness:
    """The app on a private loop in a daemon thread; ``run`` executes a coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-loop", daemon=True)
        self.thread.start()
        self.fake_graph: FakeGraphServer
        self.client: TestClient
        self._services: Any = None
        self._sink: Any = None
        self.service_url = ""

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def start(self) -> None:
        # A loopback Bot Connector that accepts every reply, for turns that are not expectReplies.
        sink = web.Application()

        async def accept(request: web.Request) -> web.Response:
            await request.read()
            return web.json_response({"id": uuid.uuid4().hex})

        sink.router.add_route("*", "/{tail:.*}", accept)
        self._sink = TestServer(sink, host="127.0.0.1")
        await self._sink.start_server()
        self.service_url = str(self._sink.make_url("/"))
        self.fake_graph = FakeGraphServer(DemoTenant.load(), config=FakeGraphConfig(sync_delay=0.2))
        await self.fake_graph.start()
        cfg = Settings(storage_url="memory://", completion_watch_s=1, completion_poll_s=0.1,
                       helpdesk_group_ids=(DEMO_IDS.helpdesk_group,))
        self._services = await open_services(cfg, store=MemoryStore(), graph_base_url=self.fake_graph.base_url)
        self.client = TestClient(TestServer(create_app(cfg, services=self._services)))
        await self.client.start_server()

    async def stop(self) -> None:
        await self.client.close()
        await self._services.close()
        await self.fake_graph.stop()
        await self._sink.close()

    async def post_raw(self, raw: bytes, content_type: str = "application/json") -> tuple[int, str]:
        resp = await self.client.post("/api/messages", data=raw, headers={"Content-Type": content_type})
        return resp.status, await resp.text()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    h = Harness()
    h.run(h.start())
    try:
        yield h
    finally:
        h.run(h.stop())
        h.loop.call_soon_threadsafe(h.loop.stop)
        h.thread.join(10)
        h.loop.close()


# ------------------------------------------------------------------------------------------ strategies

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))
json_values = st.recursive(json_scalars,
                           lambda kids: st.one_of(st.lists(kids, max_size=5),
                                                  st.dictionaries(st.text(max_size=12), kids, max_size=5)),
                           max_leaves=20)

ACTIONS = ["show", "sync_confirm", "sync_pick", "sync_start", "sync_cancel", "language", "feedback",
           "troubleshoot", "none"]
ALL_IDS = [getattr(DEMO_IDS, f.name) for f in dataclasses.fields(DEMO_IDS)]

ids = st.one_of(st.sampled_from(ALL_IDS), st.uuids().map(str), st.text(max_size=60), json_scalars)

CONTROL = "".join(chr(c) for c in range(32)) + "\x7f\u200b\u202e\ufeff\ud7ff\U0001f4a5"
weird_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=CONTROL, max_size=50),
    st.sampled_from(["sync my device", "sync DESKTOP-42B0B77", "synchroniser mon appareil", "1", "2", "99",
                     "0x87D1FDE8", "help", "language", "cancel", "<at>bot</at> sync", "<b>&nbsp;</b>",
                     "who synced DESKTOP-42QX7T1?", "troubleshoot bob", "is it done?", "%s%n{0}",
                     "'; DROP TABLE audit; --", "../../etc/passwd", "$(reboot)"]),
    st.integers(min_value=1, max_value=20).map(lambda n: "é€\U0001f600" * (n * 500)),
    st.just("x" * 300_000),
).filter(lambda s: parse_yes_no(s) is not True)  # nothing may say "yes" to a real confirmation card

card_values = st.fixed_dictionaries(
    {"action": st.one_of(st.sampled_from(ACTIONS), st.text(max_size=20), json_scalars)},
    optional={"device_id": ids, "confirmation": ids, "id": ids, "kind": ids, "lang": ids, "answer": ids,
              "reaction": st.one_of(st.sampled_from(["like", "dislike", "heart"]), json_scalars),
              "user": ids, "target": ids},
).flatmap(lambda d: st.dictionaries(st.text(max_size=10), json_values, max_size=3).map(lambda x: {**x, **d}))

users = st.sampled_from([DEMO_IDS.alice, DEMO_IDS.bob, DEMO_IDS.chloe, DEMO_IDS.helene, DEMO_IDS.farid,
                         DEMO_IDS.emma, "00000000-0000-4000-8000-00000000dead"])
activity_types = st.one_of(st.sampled_from(["message", "invoke", "conversationUpdate", "messageReaction",
                                            "typing", "endOfConversation", "event", "installationUpdate"]),
                           st.text(min_size=1, max_size=20))


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    """A Teams-shaped activity with some fields randomised, retyped or removed."""
    kind = draw(activity_types)
    user = draw(users)
    act = teams_activity(draw(st.one_of(st.none(), weird_text)), user=user, activity_type=kind,
                         conversation=f"fuzz-{uuid.uuid4()}", locale=draw(st.sampled_from(
                             ["en-US", "fr-FR", "de", "", "xx-невалид", "en-US;q=1"])))
    if draw(st.booleans()):
        act["value"] = draw(card_values)
    if kind == "invoke" or draw(st.integers(0, 5)) == 0:
        act["name"] = draw(st.one_of(st.sampled_from(["adaptiveCard/action", "message/submitAction",
                                                      "composeExtension/query", "task/fetch"]),
                                     st.text(max_size=30)))
        if act["name"] == "adaptiveCard/action" and draw(st.booleans()):
            act["value"] = {"action": {"type": "Action.Execute", "verb": draw(st.text(max_size=15)),
                                       "data": draw(st.one_of(card_values, json_values))}}
        elif act["name"] == "message/submitAction" and draw(st.booleans()):
            act["value"] = {"actionName": draw(st.sampled_from(["feedback", "other"])),
                            "actionValue": draw(st.one_of(json_values, st.just({"reaction": "like"})))}
        act.pop("deliveryMode", None)
    if kind == "conversationUpdate" and draw(st.booleans()):
        act["membersAdded"] = draw(st.one_of(json_values, st.just([{"id": "28:bot-id"}])))
    if kind == "messageReaction" and draw(st.booleans()):
        act["reactionsAdded"] = draw(st.one_of(json_values, st.just([{"type": "like"}])))
    # Retype or drop a few fields.
    # "from" and "conversation" keep their ids here: an activity without one is a known failure,
    # pinned in test_no_sender_or_conversation_id.
    for key in draw(st.lists(st.sampled_from([ "recipient", "channelData", "serviceUrl",
                                              "locale", "id", "channelId", "text", "value", "deliveryMode",
                                              "attachments", "entities", "replyToId", "timestamp"]),
                             max_size=3, unique=True)):
        if draw(st.booleans()):
            act.pop(key, None)
        else:
            act[key] = draw(json_values)
    return act


def _pin_service_url(harness: Harness, act: Any) -> None:
    """Replies that are not expectReplies go to the loopback sink, never anywhere else."""
    if isinstance(act, dict) and (isinstance(act.get("serviceUrl"), str) or "serviceUrl" not in act):
        act["serviceUrl"] = harness.service_url


# ------------------------------------------------------------------------------------------ properties


def _check(harness: Harness, caplog: pytest.LogCaptureFixture, status: int, body: str) -> None:
    assert status < 500, body
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [(r.name, r.getMessage(), r.exc_text) for r in errors]
    assert harness.fake_graph.state.sync_calls == []


@FUZZ
@given(value=json_values)
def test_any_json_value(harness: Harness, caplog: pytest.LogCaptureFixture, value: Any) -> None:
    caplog.clear()
    caplog.set_level(logging.WARNING)
    status, body = harness.run(harness.post_raw(json.dumps(value).encode()))
    _check(harness, caplog, status, body)


@FUZZ
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
       content_type=st.sampled_from(["application/json", "text/plain", "application/json; charset=latin-1", ""]))
def test_any_bytes(harness: Harness, caplog: pytest.LogCaptureFixture, raw: bytes, content_type: str) -> None:
    caplog.clear()
    caplog.set_level(logging.WARNING)
    status, body = harness.run(harness.post_raw(raw, content_type))
    _check(harness, caplog, status, body)


@FUZZ
@given(batch=st.lists(activities(), min_size=1, max_size=4), same_conversation=st.booleans())
def test_adversarial_activities(harness: Harness, caplog: pytest.LogCaptureFixture,
                                batch: list[dict[str, Any]], same_conversation: bool) -> None:
    caplog.clear()
    caplog.set_level(logging.WARNING)
    if same_conversation:
        conv = f"fuzz-{uuid.uuid4()}"
        for act in batch:
            if isinstance(act.get("conversation"), dict):
                act["conversation"]["id"] = conv
    for act in batch:
        _pin_service_url(harness, act)
        status, body = harness.run(harness.post_raw(json.dumps(act).encode()))
        _check(harness, caplog, status, body)


@FUZZ
@given(value=card_values, user=users, invoke=st.booleans())
def test_card_payloads_from_any_user(harness: Harness, caplog: pytest.LogCaptureFixture,
                                     value: dict[str, Any], user: str, invoke: bool) -> None:
    """Well-formed activities carrying random button data: other users' devices, bogus confirmations."""
    caplog.clear()
    caplog.set_level(logging.WARNING)
    if invoke:
        act = teams_activity(activity_type="invoke", user=user, conversation=f"fuzz-{uuid.uuid4()}",
                             value={"action": {"type": "Action.Execute", "verb": "syncConfirm", "data": value}})
        act["name"] = "adaptiveCard/action"
        act.pop("deliveryMode")
    else:
        act = teams_activity(user=user, conversation=f"fuzz-{uuid.uuid4()}", value=value)
    _pin_service_url(harness, act)
    status, body = harness.run(harness.post_raw(json.dumps(act).encode()))
    _check(harness, caplog, status, body)


ENVELOPE_CASES = [(f, v) for f in ("from", "conversation") for v in (None, {}, {"id": None}, {"id": ""})]
ENVELOPE_CASES += [("channelId", None), ("channelId", ""), ("serviceUrl", None), ("locale", 5)]


@pytest.mark.parametrize(("field", "bad"), ENVELOPE_CASES)
@pytest.mark.parametrize("kind", ["message", "invoke"])
def test_envelope_without_required_ids(harness: Harness, caplog: pytest.LogCaptureFixture, field: str,
                                       bad: Any, kind: str) -> None:
    caplog.clear()
    caplog.set_level(logging.WARNING)
    act = teams_activity("hello", activity_type=kind, conversation=f"fuzz-{uuid.uuid4()}",
                         service_url=harness.service_url)
    act.pop("deliveryMode")  # replies go to the loopback sink through serviceUrl
    if kind == "invoke":
        act["name"] = "composeExtension/query"
    if bad is None:
        act.pop(field)
    else:
        act[field] = bad
    status, body = harness.run(harness.post_raw(json.dumps(act).encode()))
    _check(harness, caplog, status, body)
