"""The aiohttp application: routes, request limits, authentication, health; built by a factory.

`create_app(settings)` wires everything from a Settings object, so tests build as many apps as
they like with their own stores, knowledge bases and Graph endpoints.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from botbuilder.core import ConversationState, PrivateConversationState, UserState
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import AuthenticationConstants

from bot import sdk_fixes
from bot.helpdesk_bot import HelpdeskBot
from bot.logs import REQUEST_ID as _REQUEST_ID
from bot.services import Services, open_services
from bot.settings import Settings
from bot.state_storage import BotStateStorage

log = logging.getLogger(__name__)

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")


@dataclass
class Runtime:
    """Per-app objects the handlers need (one set per app, never module globals)."""

    adapter: CloudAdapter
    bot: HelpdeskBot
    accepting: bool = True
    in_flight: set[asyncio.Task[Any]] = field(default_factory=set)


class _AuthConfig:
    """The attribute bag ConfigurationBotFrameworkAuthentication reads.

    Setting any endpoint (here the OpenID metadata URL or the token issuer) switches the SDK from its
    built-in public-cloud authentication to a "parameterized" one that takes EVERY endpoint from this
    object and has no defaults of its own: with only the metadata URL set, the token issuer was None
    (every token refused), and the outbound login URL, OAuth scope and caller id were None too. So
    when either is set, the other endpoints get the public cloud's values.
    """

    def __init__(self, s: Settings) -> None:
        self.APP_ID = s.app_id
        self.APP_PASSWORD = s.app_password
        self.APP_TYPE = s.app_type
        self.APP_TENANTID = s.app_tenant_id
        if s.openid_metadata_url or s.token_issuer:
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = (
                s.openid_metadata_url or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL)
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = (
                s.token_issuer or AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER)
            self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
                AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL)
            # The prefix, as the built-in public cloud uses it: the credentials then add the tenant.
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            self.OAUTH_URL = AuthenticationConstants.OAUTH_URL
            self.CALLER_ID = CallerIdConstants.public_azure_channel


def _problem(status: int, message: str) -> web.Response:
    return json_response({"error": {"status": status, "message": message}}, status=status)


async def messages(request: web.Request) -> web.Response:
    """POST /api/messages: check the request is well formed before the SDK sees it."""
    runtime = request.app[RUNTIME]
    settings = request.app[SETTINGS]
    if not runtime.accepting:
        return _problem(503, "shutting down")
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        return _problem(413, "request body too large")
    try:
        raw = await _read_body(request, settings.max_body_bytes)
    except (TimeoutError, ConnectionError):
        return _problem(400, "could not read the request body")
    if raw is None:
        return _problem(413, "request body too large")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _problem(400, "malformed JSON")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return _problem(400, "an activity needs a type")
    for key in ("from", "conversation", "recipient", "channelData", "value"):
        if key in body and body[key] is not None and not isinstance(body[key], (dict, list, str)):
            return _problem(400, f"{key} has the wrong shape")
    for key in ("from", "conversation", "recipient", "channelData"):
        if key in body and body[key] is not None and not isinstance(body[key], dict):
            return _problem(400, f"{key} must be an object")
    if "text" in body and body["text"] is not None and not isinstance(body["text"], str):
        return _problem(400, "text must be a string")
    missing = _envelope_problem(body)
    if missing:
        return _problem(400, missing)
    auth_header = request.headers.get("Authorization", "")
    task = asyncio.current_task()
    if task is not None:
        runtime.in_flight.add(task)
    try:
        return await _process(runtime, body, auth_header)
    finally:
        if task is not None:
            runtime.in_flight.discard(task)


def _envelope_problem(body: dict[str, Any]) -> str | None:
    """What every channel sends and the SDK needs: without them the turn crashed in the SDK (state keys
    are built from channelId, conversation.id and from.id; replies go to serviceUrl): ERROR logs and 500s."""
    for key in ("from", "conversation"):
        account = body.get(key)
        if not isinstance(account, dict) or not isinstance(account.get("id"), str) or not account["id"].strip():
            return f"{key}.id is required"
    channel = body.get("channelId")
    if not isinstance(channel, str) or not channel.strip():
        return "channelId is required"
    url = body.get("serviceUrl")
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        return "serviceUrl must be an http(s) URL"
    return None


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """A JSON body in UTF-8. orjson writes a card reply in ~2 µs where the json module takes ~28."""
    return web.Response(body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status=status,
                        content_type="application/json", charset="utf-8")


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (chunked bodies have no length).

    A single ``content.read(n)`` returns only what is buffered so far, which truncated bodies that
    arrive in several chunks or segments (then refused as malformed JSON).
    """
    raw = bytearray()
    async for chunk in request.content.iter_any():
        raw += chunk
        if len(raw) > limit:
            return None
    return bytes(raw)


async def _process(runtime: Runtime, body: dict[str, Any], auth_header: str) -> web.Response:
    from botbuilder.schema import Activity

    try:
        activity = Activity().deserialize(body)
    except Exception:
        return _problem(400, "not a valid activity")
    try:
        invoke_response = await runtime.adapter.process_activity(auth_header, activity, runtime.bot.on_turn)
    except PermissionError:
        return _problem(401, "unauthorized")
    if invoke_response:
        return json_response(sdk_fixes.json_safe_serializer(invoke_response.body),
                                 status=int(invoke_response.status))
    return web.Response(status=200)


async def healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    store_ok = False
    try:
        store_ok = await asyncio.wait_for(request.app[SERVICES].store.ping(), timeout=2)
    except Exception:
        store_ok = False
    status = 200 if store_ok and request.app[RUNTIME].accepting else 503
    return json_response({"status": "ready" if status == 200 else "not ready", "store": store_ok}, status=status)


@web.middleware
async def request_id_and_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every request gets an id in the logs; an unexpected failure is a clean 500, never a trace."""
    rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
    token = _REQUEST_ID.set(rid)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400:
            return _problem(exc.status, exc.reason)
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _problem(500, "internal error")
    finally:
        _REQUEST_ID.reset(token)
    response.headers["x-request-id"] = rid
    return response


def create_app(
    settings: Settings,
    *,
    services: Services | None = None,
) -> web.Application:
    """Build the app. Long-lived resources open in the cleanup context and close with the app."""
    sdk_fixes.apply_all()
    app = web.Application(middlewares=[request_id_and_errors], client_max_size=settings.max_body_bytes + 1024)
    app[SETTINGS] = settings

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        own = services is None
        svc = services or await open_services(settings)
        app[SERVICES] = svc
        auth = sdk_fixes.SafeAuthentication(ConfigurationBotFrameworkAuthentication(_AuthConfig(settings)))
        adapter = sdk_fixes.HelpdeskCloudAdapter(auth)
        storage = BotStateStorage(svc.store)
        bot = HelpdeskBot(settings, svc, ConversationState(storage), UserState(storage), adapter,
                          PrivateConversationState(storage))
        adapter.on_turn_error = bot.on_turn_error
        app[RUNTIME] = Runtime(adapter, bot)
        if not settings.auth_enabled:
            log.warning("MicrosoftAppId is not set: running in LOCAL MODE, requests are not authenticated")
        try:
            yield
        finally:
            runtime = app[RUNTIME]
            runtime.accepting = False
            await bot.shutdown()
            if own:
                await svc.close()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(_drain)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


async def _drain(app: web.Application) -> None:
    """Graceful shutdown: stop accepting turns, let in-flight ones finish (bounded)."""
    runtime = app.get(RUNTIME)
    if runtime is None:
        return
    runtime.accepting = False
    pending = [t for t in runtime.in_flight if not t.done() and t is not asyncio.current_task()]
    if pending:
        await asyncio.wait(pending, timeout=10)
