"""Each defect of botbuilder 4.17.1 that bot/sdk_fixes.py works around: the defect without the fix,
the behaviour with it (see shared/reference/botframework-notes.md).

Defect 5 (content-type edge cases of CloudAdapter.process) is shown here on the stock adapter; our
own answers (400 / 413 / 415) are covered in test_endpoint.py.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.core import serializer_helper as original_serializer_helper
from botbuilder.dialogs.choices import Choice, ChoiceRecognizers
from botbuilder.dialogs.prompts import ConfirmPrompt
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.integration.aiohttp import cloud_adapter as cloud_adapter_module
from botbuilder.schema import Activity, ExpectedReplies
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AuthenticateRequestResult, JwtTokenExtractor, MicrosoftAppCredentials
from msrest.universal_http.requests import ClientRetryPolicy
from recognizers_choice import recognize_boolean

from bot import sdk_fixes
from bot.app import _AuthConfig, create_app
from bot.services import open_services
from bot.settings import Settings
from dialogs.intents import parse_yes_no
from intune.fake_graph import FakeGraphServer
from storage import MemoryStore
from tests.bot.conftest import teams_activity
from tests.bot.openid_fixture import OpenIdFixture


# -- defect 1: double serialization of expectReplies and invoke bodies ----------------------------
def _expected_replies_body() -> dict[str, Any]:
    """What CloudAdapterBase._process_turn_results hands to CloudAdapter.process: already a dict."""
    return ExpectedReplies(activities=[Activity(type="message", text="hi")]).serialize()


def test_original_serializer_fails_on_an_already_serialized_body() -> None:
    body = _expected_replies_body()
    assert isinstance(body, dict)
    with pytest.raises(AttributeError, match="is_xml_model"):
        original_serializer_helper(body)


@pytest.mark.parametrize("value", [_expected_replies_body(), {"statusCode": 200, "value": "Done."}, [], [1, "a"],
                                   "text", 3, 2.5, True, None])
def test_json_safe_serializer_returns_json_values_unchanged(value: Any) -> None:
    assert sdk_fixes.json_safe_serializer(value) is value


def test_json_safe_serializer_still_serializes_models() -> None:
    model = ExpectedReplies(activities=[Activity(type="message", text="hi")])
    assert sdk_fixes.json_safe_serializer(model) == original_serializer_helper(model)
    assert sdk_fixes.json_safe_serializer(model)["activities"][0]["text"] == "hi"


def test_apply_all_patches_cloud_adapter_and_is_idempotent() -> None:
    sdk_fixes.apply_all()
    sdk_fixes.apply_all()
    assert cloud_adapter_module.serializer_helper is sdk_fixes.json_safe_serializer
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)


class _EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        return InvokeResponse(status=200, body={"statusCode": 200, "value": "ok"})


class _NoAuth:
    APP_ID = ""
    APP_PASSWORD = ""


@pytest.fixture
async def stock_client() -> AsyncIterator[TestClient]:
    """The SDK's own CloudAdapter.process, as in Microsoft's samples (no request checks of ours)."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_NoAuth()))
    bot = _EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    async with TestClient(TestServer(app)) as client:
        yield client


def _invoke(**extra: Any) -> dict[str, Any]:
    activity = teams_activity(activity_type="invoke", **extra)
    activity["name"] = "adaptiveCard/action"  # teams_activity's name= is the user's name
    activity.pop("deliveryMode")
    return activity


@pytest.mark.parametrize("activity", [teams_activity("hi"), _invoke(value={"action": {"data": {}}})],
                         ids=["expectReplies", "invoke"])
async def test_stock_cloud_adapter_500_without_fix_200_with_it(stock_client: TestClient,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              activity: dict[str, Any]) -> None:
    monkeypatch.setattr(cloud_adapter_module, "serializer_helper", original_serializer_helper)
    resp = await stock_client.post("/api/messages", json=activity)
    assert resp.status == 500  # the defect

    monkeypatch.setattr(cloud_adapter_module, "serializer_helper", sdk_fixes.json_safe_serializer)
    resp = await stock_client.post("/api/messages", json=activity)
    assert resp.status == 200
    body = await resp.json()
    if activity["type"] == "invoke":
        assert body == {"statusCode": 200, "value": "ok"}
    else:
        assert body["activities"][0]["text"] == "echo: hi"


async def test_our_endpoint_expect_replies_is_200_json(client: TestClient) -> None:
    resp = await client.post("/api/messages", json=teams_activity("0x87D1FDE8"))
    assert resp.status == 200 and resp.content_type == "application/json"
    assert (await resp.json())["activities"]


async def test_our_endpoint_adaptive_card_invoke_is_200_json(client: TestClient) -> None:
    invoke = _invoke(value={"action": {"type": "Action.Execute", "verb": "noop", "data": {}}})
    resp = await client.post("/api/messages", json=invoke)
    assert resp.status == 200 and resp.content_type == "application/json"
    body = await resp.json()
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.activity.message"


@pytest.fixture
def capture() -> Iterator[OpenIdFixture]:
    server = OpenIdFixture().start()
    yield server
    server.stop()


async def test_invoke_that_also_sends_a_message(client: TestClient, capture: OpenIdFixture) -> None:
    """A real invoke (no expectReplies): the JSON body answers the invoke, the message goes to serviceUrl."""
    invoke = _invoke(service_url=capture.service_url,
                     value={"action": {"type": "Action.Execute", "verb": "none", "data": {"action": "none"}}})
    resp = await client.post("/api/messages", json=invoke)
    assert resp.status == 200 and resp.content_type == "application/json"
    assert (await resp.json())["statusCode"] == 200
    assert [a.get("type") for a in capture.captured] == ["message"]
    assert "rephrasing" in json.dumps(capture.captured[0])


# -- defect 2: ClientRetryPolicy cost ------------------------------------------------------------
_ORIGINAL_SAFE_CODES = [i for i in range(500) if i != 408] + [501, 505]  # msrest 0.7.1's class attribute
_ORIGINAL_FORCELIST = [i for i in range(999) if i not in _ORIGINAL_SAFE_CODES]


def test_retry_policy_safe_codes_is_a_frozenset_with_the_same_codes() -> None:
    sdk_fixes.apply_all()
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    assert ClientRetryPolicy.safe_codes == frozenset(_ORIGINAL_SAFE_CODES)


def test_retry_policy_status_forcelist_is_unchanged() -> None:
    sdk_fixes.apply_all()
    forcelist = ClientRetryPolicy().policy.status_forcelist
    assert forcelist == _ORIGINAL_FORCELIST  # same codes, same order
    assert set(forcelist) == {408} | (set(range(500, 999)) - {501, 505})
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url="http://127.0.0.1:9/")
    assert set(client.config.retry_policy.policy.status_forcelist) == set(_ORIGINAL_FORCELIST)


def test_retry_policy_with_the_original_list_is_much_slower(monkeypatch: pytest.MonkeyPatch) -> None:
    def cost() -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            ClientRetryPolicy()
            best = min(best, time.perf_counter() - start)
        return best

    sdk_fixes.apply_all()
    fixed = cost()
    monkeypatch.setattr(ClientRetryPolicy, "safe_codes", list(_ORIGINAL_SAFE_CODES))
    slow = cost()
    assert ClientRetryPolicy().policy.status_forcelist == _ORIGINAL_FORCELIST
    assert slow > 5 * fixed, (slow, fixed)


# -- defect 3: authentication errors became 500s ---------------------------------------------------
class _FakeInner:
    """A BotFrameworkAuthentication double: raises or returns what it is told."""

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome
        self.headers: list[Any] = []

    async def _run(self, header: Any) -> Any:
        self.headers.append(header)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

    async def authenticate_request(self, activity: Any, auth_header: Any) -> Any:
        return await self._run(auth_header)

    async def authenticate_streaming_request(self, auth_header: Any, channel_id_header: Any) -> Any:
        return await self._run(auth_header)

    async def authenticate_channel_request(self, auth_header: Any) -> Any:
        return await self._run(auth_header)

    def create_connector_factory(self, claims_identity: Any) -> Any:
        return ("factory", claims_identity)

    def get_originating_audience(self) -> str:
        return "https://api.botframework.com"


_ERRORS = [jwt.DecodeError("Not enough segments"), jwt.ExpiredSignatureError("expired"),
           jwt.InvalidSignatureError("bad sig"), IndexError("list index out of range"),
           AttributeError("'NoneType' object has no attribute 'claims'"), KeyError("iss"),
           Exception("Could not validate endorsement key"), ValueError("x")]


@pytest.mark.parametrize("error", _ERRORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("method", ["authenticate_request", "authenticate_streaming_request",
                                    "authenticate_channel_request"])
async def test_safe_authentication_maps_errors_to_permission_error(error: Exception, method: str) -> None:
    safe = sdk_fixes.SafeAuthentication(_FakeInner(error))  # type: ignore[arg-type]
    args = {"authenticate_request": (Activity(type="message"), "Bearer x"),
            "authenticate_streaming_request": ("Bearer x", "msteams"),
            "authenticate_channel_request": ("Bearer x",)}[method]
    with pytest.raises(PermissionError) as caught:
        await getattr(safe, method)(*args)
    assert caught.value.__cause__ is error


async def test_safe_authentication_lets_permission_errors_and_results_through() -> None:
    refused = PermissionError("Unauthorized Access")
    with pytest.raises(PermissionError) as caught:
        await sdk_fixes.SafeAuthentication(_FakeInner(refused)).authenticate_request(  # type: ignore[arg-type]
            Activity(type="message"), "Bearer x")
    assert caught.value is refused

    result = AuthenticateRequestResult()
    inner = _FakeInner(result)
    safe = sdk_fixes.SafeAuthentication(inner)  # type: ignore[arg-type]
    assert await safe.authenticate_request(Activity(type="message"), "Bearer x") is result
    assert await safe.authenticate_channel_request("Bearer x") is result
    assert safe.create_connector_factory("identity") == ("factory", "identity")
    assert safe.get_originating_audience() == "https://api.botframework.com"


async def test_safe_authentication_passes_a_missing_header_as_none() -> None:
    """CloudAdapter gives "" for no header; the SDK's parameterized auth only understands None."""
    inner = _FakeInner(AuthenticateRequestResult())
    await sdk_fixes.SafeAuthentication(inner).authenticate_request(  # type: ignore[arg-type]
        Activity(type="message"), "")
    assert inner.headers == [None]


def _auth_settings() -> Settings:
    # The metadata URL is never fetched: every header below fails before the keys are needed.
    return Settings(app_id="6f1c2a9e-0b7d-4c55-9a3e-2d8f1e4b7a10", app_password="x", storage_url="memory://",
                    openid_metadata_url="http://127.0.0.1:9/never-fetched",
                    token_issuer="https://api.botframework.com")


@pytest.mark.parametrize("header", ["Bearer abc", "Bearer"])
async def test_sdk_auth_raises_non_permission_errors(header: str) -> None:
    """The defect: the SDK's own authentication raises PyJWT errors / AttributeError, not PermissionError."""
    auth = ConfigurationBotFrameworkAuthentication(_AuthConfig(_auth_settings()))
    activity = Activity().deserialize(teams_activity("hi"))
    with pytest.raises(Exception) as caught:
        await auth.authenticate_request(activity, header)
    assert not isinstance(caught.value, PermissionError)
    with pytest.raises(PermissionError):
        await sdk_fixes.SafeAuthentication(auth).authenticate_request(activity, header)
    JwtTokenExtractor.metadataCache.clear()


async def test_bad_token_is_500_without_fix_and_401_with_it(fake_graph: FakeGraphServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _auth_settings()
    headers = {"Authorization": "Bearer abc"}

    async def post() -> int:
        services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
        async with TestClient(TestServer(create_app(settings, services=services))) as client:
            resp = await client.post("/api/messages", json=teams_activity("hi"), headers=headers)
            assert "Traceback" not in await resp.text()
            status = resp.status
        await services.close()
        return status

    assert await post() == 401
    monkeypatch.setattr(sdk_fixes, "SafeAuthentication", lambda inner: inner)
    assert await post() == 500  # the defect, caught by the app's middleware as a clean 500
    JwtTokenExtractor.metadataCache.clear()


# -- defect 12: a signed token without exp was accepted ----------------------------------------------
async def test_token_without_exp_is_accepted_by_the_sdk_and_refused_with_the_fix(
        fake_graph: FakeGraphServer, capture: OpenIdFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    JwtTokenExtractor.metadataCache.clear()
    app_id = "6f1c2a9e-0b7d-4c55-9a3e-2d8f1e4b7a10"
    service_url = "https://smba.trafficmanager.net/emea/"
    settings = Settings(app_id=app_id, app_password="x", storage_url="memory://",
                        openid_metadata_url=capture.metadata_url, token_issuer="https://api.botframework.com")
    now = int(time.time())
    claims = {"iss": "https://api.botframework.com", "aud": app_id, "serviceurl": service_url,
              "nbf": now - 60, "iat": now - 60}
    no_exp = jwt.encode(claims, capture.key, algorithm="RS256", headers={"kid": capture.kid})
    with_exp = capture.token(app_id=app_id, service_url=service_url)

    async def post(token: str) -> int:
        services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
        async with TestClient(TestServer(create_app(settings, services=services))) as client:
            resp = await client.post("/api/messages", json=teams_activity("hi", service_url=service_url),
                                     headers={"Authorization": f"Bearer {token}"})
            status = resp.status
        await services.close()
        return status

    assert await post(with_exp) == 200
    assert await post(no_exp) == 401
    monkeypatch.setattr(sdk_fixes, "require_expiry", lambda identity: None)
    assert await post(no_exp) == 200  # the defect: accepted forever
    JwtTokenExtractor.metadataCache.clear()


@pytest.mark.parametrize("claims,refused", [({}, False), ({"exp": 1}, False), ({"exp": 1.5}, False),
                                            ({"aud": "x"}, True), ({"aud": "x", "exp": "soon"}, True),
                                            ({"aud": "x", "exp": True}, True), ({"aud": "x", "exp": None}, True)])
def test_require_expiry(claims: dict[str, Any], refused: bool) -> None:
    identity = SimpleNamespace(claims=claims)
    if refused:
        with pytest.raises(PermissionError):
            sdk_fixes.require_expiry(identity)
    else:
        sdk_fixes.require_expiry(identity)


# -- defect 4: French yes/no -----------------------------------------------------------------------
def test_sdk_boolean_recognizer_does_not_know_french() -> None:
    for word in ("oui", "ouais", "non", "nan"):
        assert recognize_boolean(word, "fr-fr") == [], word
    assert recognize_boolean("yes", "fr-fr")[0].resolution["value"] is True


def test_confirm_prompt_fallback_depends_on_set_order() -> None:
    """ConfirmPrompt then matches "oui" against {yes, no}, a set of Choice objects hashed by identity,
    and reads "yes" as "index 0": the answer to "oui" depends on the set's iteration order."""
    source = inspect.getsource(ConfirmPrompt.on_recognize)
    assert "choices = {confirm_choices[0], confirm_choices[1]}" in source
    assert "resolution.index == 0" in source
    oui, non = Choice("Oui"), Choice("Non")
    assert ChoiceRecognizers.recognize_choices("oui", [oui, non])[0].resolution.index == 0  # read as yes
    assert ChoiceRecognizers.recognize_choices("oui", [non, oui])[0].resolution.index == 1  # read as NO


@pytest.mark.parametrize("text,expected", [
    ("oui", True), ("Oui", True), ("OUI !", True), ("ouais", True), ("yes", True), ("Yes.", True), ("y", True),
    ("d'accord", True), ("bien sûr", True),
    ("non", False), ("Non.", False), ("nan", False), ("no", False), ("No!", False), ("non merci", False),
    ("peut-être", None), ("maybe", None), ("", None), ("0x87D1FDE8", None), ("oui non", None),
])
def test_parse_yes_no_english_and_french(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


# --- defect 7: msrest walks card contents node by node (half of a lookup turn's cost) -------------


def test_fast_serialization_gives_the_same_json_as_the_sdk() -> None:
    from botbuilder.core import MessageFactory
    from botbuilder.schema import ChannelAccount, ConversationAccount

    from bot.sdk_fixes import serialize_activity
    from presentation import cards
    from presentation.i18n import Translator

    card = cards.help_card(Translator("fr"))
    reply = MessageFactory.attachment(cards.attachment(card))
    reply.channel_data = {"feedbackLoopEnabled": True}
    reply.recipient = ChannelAccount(id="29:u", aad_object_id="u")
    reply.conversation = ConversationAccount(id="c", conversation_type="personal")
    assert serialize_activity(reply) == reply.serialize()
    assert reply.attachments[0].content == card  # the content was put back
    assert isinstance(reply.serialize()["attachments"][0]["content"], dict)  # the SDK's own path still works


def test_plain_channel_data_skips_msrests_walk_and_anything_else_takes_the_sdks_path(monkeypatch) -> None:
    import datetime

    import msrest.serialization
    from botbuilder.core import MessageFactory

    from bot.sdk_fixes import serialize_activity

    walked: list[object] = []
    original = msrest.serialization.Serializer.serialize_object

    def counting(self, attr, **kwargs):  # type: ignore[no-untyped-def]
        walked.append(attr)
        return original(self, attr, **kwargs)

    monkeypatch.setattr(msrest.serialization.Serializer, "serialize_object", counting)
    reply = MessageFactory.text("hello")
    reply.channel_data = {"feedbackLoopEnabled": True, "notification": {"alert": False}, "n": [1, 2.5, None]}
    data = serialize_activity(reply)
    assert walked == []  # msrest did not walk it (it evaluates eval("bool") for each boolean)
    assert data == reply.serialize() and data["channelData"] is reply.channel_data  # put back, same JSON
    walked.clear()
    reply.channel_data = {"sent": datetime.datetime(2026, 11, 23, tzinfo=datetime.UTC)}
    assert serialize_activity(reply) == reply.serialize()
    assert walked  # not plain JSON: msrest's own rules apply


# --- defect 8: a user-token client built on every turn for OAuth this bot never uses ---------------


async def test_user_token_client_is_built_only_when_used() -> None:
    from bot.sdk_fixes import LazyUserTokenClient

    built: list[int] = []

    class Real:
        async def get_user_token(self, user_id: str) -> str:
            return f"token-for-{user_id}"

    async def factory() -> Real:
        built.append(1)
        return Real()

    lazy = LazyUserTokenClient(factory)
    assert built == []
    assert await lazy.get_user_token("u1") == "token-for-u1"
    assert await lazy.get_user_token("u2") == "token-for-u2"
    assert built == [1]


def test_card_attachments_are_shared_by_the_sdks_deep_copy() -> None:
    import copy

    from botbuilder.core import MessageFactory

    from presentation import cards
    from presentation.i18n import Translator

    card = cards.help_card(Translator("en"))
    reply = MessageFactory.attachment(cards.attachment(card))
    copied = copy.deepcopy(reply)
    assert copied.attachments[0] is not reply.attachments[0]
    assert copied.attachments[0].content is card
    assert copied.serialize() == reply.serialize()
    assert isinstance(reply.serialize()["attachments"][0]["content"], dict)


# --- defect 9: state change detection through jsonpickle renderings ---------------------------------


def test_state_change_check_still_sees_every_change() -> None:
    from botbuilder.core.bot_state import CachedBotState
    from botbuilder.dialogs import DialogInstance, DialogState

    from bot.sdk_fixes import apply_all

    apply_all()
    stack = DialogState([DialogInstance()])
    cached = CachedBotState({"DialogState": stack, "Profile": {"lang": "fr"}})
    assert not cached.is_changed
    cached.state["Profile"]["lang"] = "en"
    assert cached.is_changed
    cached = CachedBotState({"DialogState": stack})
    stack.dialog_stack[0].id = "MainDialog"
    assert cached.is_changed

    class Unpicklable:
        def __reduce__(self) -> tuple:
            raise TypeError("no")

    cached = CachedBotState({"x": Unpicklable()})  # falls back to the SDK's own rendering
    assert not cached.is_changed


def test_fast_serialization_of_plain_and_other_attachments() -> None:
    from botbuilder.core import CardFactory, MessageFactory
    from botbuilder.schema import Attachment, CardAction, HeroCard

    from bot.sdk_fixes import serialize_activity

    file = Attachment(content_type="application/pdf", content_url="https://contoso.com/a.pdf", name="a.pdf")
    card = Attachment(content_type="application/vnd.microsoft.card.adaptive", content={"type": "AdaptiveCard"})
    reply = MessageFactory.carousel([card, file])
    assert serialize_activity(reply) == reply.serialize()
    assert serialize_activity(reply)["attachments"][1] == {
        "contentType": "application/pdf", "contentUrl": "https://contoso.com/a.pdf", "name": "a.pdf"}
    assert reply.attachments == [card, file]  # put back
    # A card made of SDK models (not plain JSON) takes the SDK's path, with the same result.
    hero = CardFactory.hero_card(HeroCard(title="Hi", buttons=[CardAction(type="imBack", title="Go", value="go")]))
    reply = MessageFactory.attachment(hero)
    data = serialize_activity(reply)
    assert data == reply.serialize()
    assert data["attachments"][0]["content"]["buttons"][0]["title"] == "Go"


# --- defect 10: dialog memory configuration rebuilt on every turn -----------------------------------


async def test_dialog_memory_configuration_is_built_once_and_still_works() -> None:
    from botbuilder.core import ConversationState, MemoryStorage
    from botbuilder.core.adapters import TestAdapter
    from botbuilder.dialogs import DialogSet

    from bot.sdk_fixes import DIALOG_STATE_CONFIGURATION_KEY, dialog_state_configuration

    state = ConversationState(MemoryStorage())
    dialogs = DialogSet(state.create_property("DialogState"))
    seen: list[object] = []
    shared = {"on": False}

    async def logic(turn_context: TurnContext) -> None:
        if shared["on"]:
            turn_context.turn_state[DIALOG_STATE_CONFIGURATION_KEY] = dialog_state_configuration()
        dc = await dialogs.create_context(turn_context)
        seen.append(dc.state.configuration)
        config = dc.state.configuration
        scopes = ",".join(sorted(scope.name for scope in config.memory_scopes)) + f" +{len(config.path_resolvers)}"
        await turn_context.send_activity(f"{turn_context.activity.text}: {scopes}")

    adapter = TestAdapter(logic)
    replies: list[str] = []
    for text in ("a", "b"):
        replies.append((await adapter.send(text)).adapter.activity_buffer[-1].text)
    assert seen[0] is not seen[1]  # the defect: a new configuration (9 scopes, 5 resolvers) every turn
    shared["on"] = True
    for text in ("c", "d"):
        replies.append((await adapter.send(text)).adapter.activity_buffer[-1].text)
    # The shared configuration has the very scopes and resolvers the SDK builds for itself.
    assert [r.split(": ", 1)[0] for r in replies] == ["a", "b", "c", "d"]
    assert [r.split(": ", 1)[1] for r in replies] == [replies[0].split(": ", 1)[1]] * 4
    assert len(seen[0].memory_scopes) == len(seen[2].memory_scopes) == 9
    assert seen[2] is seen[3] is dialog_state_configuration()


# --- defect 11: waterfall instance ids carry the host's MAC address into stored state ---------------


async def test_waterfall_instance_ids_are_random_not_the_hosts_mac_and_clock(monkeypatch) -> None:
    import uuid

    from botbuilder.core import ConversationState, MemoryStorage
    from botbuilder.core.adapters import TestAdapter
    from botbuilder.dialogs import Dialog, DialogSet, WaterfallDialog
    from botbuilder.dialogs import waterfall_dialog as module

    from bot.sdk_fixes import fix_waterfall_instance_ids

    storage = MemoryStorage()
    state = ConversationState(storage)
    dialogs = DialogSet(state.create_property("DialogState"))

    async def wait(step):  # type: ignore[no-untyped-def]
        await step.context.send_activity("waiting")
        return Dialog.end_of_turn

    dialogs.add(WaterfallDialog("flow", [wait]))

    async def logic(turn_context: TurnContext) -> None:
        dc = await dialogs.create_context(turn_context)
        await dc.begin_dialog("flow")
        await state.save_changes(turn_context)

    def stored_instance_id() -> uuid.UUID:
        (item,) = storage.memory.values()
        return uuid.UUID(item["DialogState"].dialog_stack[0].state[WaterfallDialog.PersistedInstanceId])

    monkeypatch.setattr(module, "uuid", uuid)  # the SDK as shipped
    await TestAdapter(logic).send("hi")
    shipped = stored_instance_id()
    assert shipped.version == 1 and shipped.node == uuid.getnode()  # the defect: the host's MAC address
    storage.memory.clear()
    fix_waterfall_instance_ids()
    await TestAdapter(logic).send("hi")
    fixed = stored_instance_id()
    assert fixed.version == 4 and fixed != shipped
