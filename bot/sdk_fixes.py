"""Fixes for known defects of the Bot Framework SDK for Python 4.17.1, in one place.

Each fix names the defect (see ../shared/reference/botframework-notes.md) and has a test in
tests/bot/test_sdk_fixes.py that shows the defect without the fix and the behaviour with it.
Apply once at start-up with :func:`apply_all` (idempotent).
"""

from __future__ import annotations

import functools
import logging
import pickle
import uuid
from types import SimpleNamespace
from typing import Any

from botbuilder.core import ComponentRegistration, InvokeResponse, TurnContext
from botbuilder.core import bot_state as _bot_state
from botbuilder.core import serializer_helper as _original_serializer
from botbuilder.dialogs import DialogsComponentRegistration
from botbuilder.dialogs import waterfall_dialog as _waterfall_dialog
from botbuilder.dialogs.memory import (
    ComponentMemoryScopesBase,
    ComponentPathResolversBase,
    DialogStateManagerConfiguration,
)
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.integration.aiohttp import cloud_adapter as _cloud_adapter
from botbuilder.schema import Activity, Attachment, DeliveryModes
from botframework.connector.auth import AuthenticateRequestResult, BotFrameworkAuthentication
from msrest.universal_http import requests as _msrest_requests

log = logging.getLogger(__name__)

_JSON_TYPES = (dict, list, str, int, float, bool, type(None))


def json_safe_serializer(obj: Any) -> Any:
    """Defect 1: expectReplies and invoke bodies are already plain JSON when CloudAdapter
    serializes them a second time, which raised AttributeError and answered HTTP 500."""
    if isinstance(obj, _JSON_TYPES):
        return obj
    return _original_serializer(obj)


def fix_double_serialization() -> None:
    _cloud_adapter.serializer_helper = json_safe_serializer


def fix_retry_policy_cost() -> None:
    """Defect 2: msrest's ClientRetryPolicy tests 999 codes against a 500-item list for every
    ConnectorClient (two per turn): ~10 ms of CPU. A frozenset makes it microseconds."""
    policy = _msrest_requests.ClientRetryPolicy
    if not isinstance(policy.safe_codes, frozenset):
        policy.safe_codes = frozenset(policy.safe_codes)


class SafeAuthentication(BotFrameworkAuthentication):
    """Defect 3: malformed, expired or badly signed tokens raised PyJWT errors or IndexError,
    which ended as HTTP 500. Every authentication failure becomes PermissionError (HTTP 401)."""

    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        self._inner = inner

    async def authenticate_request(self, activity: Any, auth_header: str) -> AuthenticateRequestResult:
        # CloudAdapter passes "" for a missing header, but the SDK's parameterized authentication (used
        # when an OpenID metadata URL or token issuer is configured) only treats None as "no header":
        # in local mode (no app id) it refused every request. The built-in one accepts either.
        try:
            result = await self._inner.authenticate_request(activity, auth_header or None)  # type: ignore[arg-type]
        except PermissionError:
            raise
        except Exception as exc:
            log.info("authentication refused: %s", type(exc).__name__)
            raise PermissionError("invalid or unverifiable token") from exc
        require_expiry(getattr(result, "claims_identity", None))
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        try:
            result = await self._inner.authenticate_streaming_request(auth_header, channel_id_header)
        except PermissionError:
            raise
        except Exception as exc:
            raise PermissionError("invalid or unverifiable token") from exc
        require_expiry(getattr(result, "claims_identity", None))
        return result

    def create_connector_factory(self, claims_identity: Any) -> Any:
        return self._inner.create_connector_factory(claims_identity)

    async def create_user_token_client(self, claims_identity: Any) -> Any:
        """Defect 8: the SDK builds a user-token client (msrest config, requests session) on every
        turn, ~0.5 ms, for OAuth prompts this bot never shows. Build it on first use instead."""
        return LazyUserTokenClient(lambda: self._inner.create_user_token_client(claims_identity))

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> Any:
        try:
            result = await self._inner.authenticate_channel_request(auth_header)
        except PermissionError:
            raise
        except Exception as exc:
            raise PermissionError("invalid or unverifiable token") from exc
        require_expiry(result)
        return result


def require_expiry(identity: Any) -> None:
    """Defect 12: the SDK decodes channel tokens with PyJWT's ``verify_exp``, which checks ``exp`` only
    when the token has one: a correctly signed token WITHOUT ``exp`` was accepted forever (HTTP 200).
    Every token the Bot Connector issues carries ``exp``, so a verified token (non-empty claims; local
    mode's anonymous identity has none) without a numeric ``exp`` is refused."""
    claims = getattr(identity, "claims", None)
    if not claims:
        return
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        log.info("authentication refused: token without an expiry")
        raise PermissionError("token without an expiry")


_original_compute_hash = _bot_state.CachedBotState.compute_hash


def pickle_fingerprint(self: Any, obj: object) -> Any:
    """Defect 9: BotState decides whether to write state back by comparing jsonpickle renderings
    taken at load and at save, ~0.4 ms per turn for two states. A pickle of the same objects answers
    the same question several times faster; anything pickle refuses takes the SDK's way."""
    try:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return _original_compute_hash(self, obj)


def fix_state_change_check() -> None:
    _bot_state.CachedBotState.compute_hash = pickle_fingerprint


def fix_waterfall_instance_ids() -> None:
    """Defect 11: WaterfallDialog names each run with ``uuid.uuid1()``, which carries the host's MAC
    address and clock into the stored dialog state (a state file or a shared Redis) and reads the
    clock under a lock on every begin. The id is only stored and sent to telemetry, never decoded,
    so a random uuid4 serves. The waterfall module's only use of ``uuid`` is this one."""
    _waterfall_dialog.uuid = SimpleNamespace(uuid1=uuid.uuid4)  # type: ignore[attr-defined]


@functools.cache
def dialog_state_configuration() -> DialogStateManagerConfiguration:
    """Defect 10: every DialogContext makes a DialogStateManager, and the first of each turn builds its
    configuration afresh from the component registry (nine memory scopes, five path resolvers): ~50 µs
    per turn, for a bot that never reads dialog memory paths. Scopes and resolvers keep no per-turn data
    (each call is given the dialog context), so one configuration, built the SDK's way, serves every
    turn; HelpdeskBot puts it in turn_state under the SDK's key before any dialog runs."""
    ComponentRegistration.add(DialogsComponentRegistration())
    configuration = DialogStateManagerConfiguration()
    for component in ComponentRegistration.get_components():
        if isinstance(component, ComponentMemoryScopesBase):
            configuration.memory_scopes.extend(component.get_memory_scopes())
        if isinstance(component, ComponentPathResolversBase):
            configuration.path_resolvers.extend(component.get_path_resolvers())
    return configuration


DIALOG_STATE_CONFIGURATION_KEY = DialogStateManagerConfiguration.__name__


class LazyUserTokenClient:
    """Stands in for a UserTokenClient; the real one is created when a method is first awaited."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            if self._client is None:
                self._client = await self._factory()
            return await getattr(self._client, name)(*args, **kwargs)

        return call


def apply_all() -> None:
    """Defects 4-6 (French yes/no, content-type edge cases, blocking replies) are handled by our own
    code: dialogs/intents.parse_yes_no, bot/app.py's request checks, and expectReplies in tests and tools."""
    fix_double_serialization()
    fix_retry_policy_cost()
    fix_state_change_check()
    fix_waterfall_instance_ids()


def serialize_activity(activity: Activity) -> dict[str, Any]:
    """Serialize an activity, passing plain-JSON card attachments and channel data through untouched.

    Defect 7 (measured with benchmarks/endpoint.py): msrest walks every node of an Adaptive Card's
    content as an untyped object, about 1.5 ms per card reply: half the cost of a lookup turn; even
    an empty attachment costs ~50 µs of msrest's generic model walk, and each boolean in channel
    data (Teams' ``feedbackLoopEnabled``) is serialized with ``eval("bool")``. Attachments whose
    fields are strings and whose content is JSON (every card presentation/cards.py builds), and channel data
    that is plain JSON, are put in their JSON form directly while msrest serializes the envelope.
    Anything else takes the SDK's path.
    """
    attachments = activity.attachments
    plain = [_plain_attachment(a) for a in attachments] if attachments else None
    if plain is not None and any(p is None for p in plain):
        return activity.serialize()
    channel_data = activity.channel_data
    plain_channel_data = channel_data is not None and _is_json(channel_data)
    if plain is None and not plain_channel_data:
        return activity.serialize()
    try:
        if plain is not None:
            activity.attachments = None
        if plain_channel_data:
            activity.channel_data = None
        data = activity.serialize()
    finally:
        activity.attachments = attachments
        activity.channel_data = channel_data
    if plain is not None:
        data["attachments"] = plain
    if plain_channel_data:
        data["channelData"] = channel_data
    return data


def _is_json(value: Any) -> bool:
    """Whether ``value`` is made of JSON types only (what msrest would copy as it is)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _is_json(v) for k, v in value.items())
    if kind is list:
        return all(_is_json(v) for v in value)
    return value is None or kind in (str, int, float, bool)


_PLAIN_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "object": (dict, list, str)}


def _plain_attachment(attachment: Any) -> dict[str, Any] | None:
    """The JSON msrest would give for an Attachment of strings and JSON content; None if it is anything else."""
    if not isinstance(attachment, Attachment) or type(attachment)._attribute_map is not Attachment._attribute_map:
        return None
    if attachment.additional_properties:
        return None
    out: dict[str, Any] = {}
    for attr, spec in Attachment._attribute_map.items():
        value = getattr(attachment, attr, None)
        if value is None:
            continue
        if not isinstance(value, _PLAIN_TYPES[spec["type"]]):
            return None
        out[spec["key"]] = value
    return out


class HelpdeskCloudAdapter(CloudAdapter):
    """CloudAdapter with expectReplies bodies serialized by :func:`serialize_activity`."""

    def _process_turn_results(self, context: TurnContext) -> InvokeResponse | None:
        if context.activity.delivery_mode == DeliveryModes.expect_replies:
            return InvokeResponse(
                status=200,
                body={"activities": [serialize_activity(a) for a in context.buffered_reply_activities]},
            )
        return super()._process_turn_results(context)
