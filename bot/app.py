"""The aiohttp application: routes, request limits, authentication, health; built by a factory.

`create_app(settings)` wires everything from a Settings object, so tests build as many apps as
they like with their own stores, knowledge bases and Graph endpoints.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import http_exceptions, web, web_protocol
from botbuilder.core import ConversationState, PrivateConversationState, UserState
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import AuthenticationConstants
from msrest.exceptions import ClientException

from bot import sdk_fixes
from bot.helpdesk_bot import HelpdeskBot
from bot.logs import REQUEST_ID as _REQUEST_ID
from bot.services import Services, open_services
from bot.settings import Settings
from bot.state_storage import BotStateStorage
from presentation import pages
from presentation.i18n import Translator, negotiate

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
    graph_probe: GraphTokenProbe | None = None


class GraphTokenProbe:
    """Whether a Graph token can be had, for /readyz in real mode; the answer is kept a while so that
    probes every few seconds cost nothing (MSAL caches a good token itself; a failure is kept too)."""

    def __init__(self, get_token: Any, *, ok_for: float = 60.0, failed_for: float = 15.0,
                 timeout: float = 10.0) -> None:
        self._get_token = get_token
        self._ok_for, self._failed_for, self._timeout = ok_for, failed_for, timeout
        self._ok = False
        self._until = 0.0
        self._lock = asyncio.Lock()
        self.attempts = 0

    async def ok(self) -> bool:
        if time.monotonic() < self._until:
            return self._ok
        async with self._lock:
            if time.monotonic() < self._until:
                return self._ok
            self.attempts += 1
            try:
                self._ok = bool(await asyncio.wait_for(self._get_token(), timeout=self._timeout))
            except Exception as exc:
                log.warning("readiness: no Microsoft Graph token (%s)", type(exc).__name__)
                self._ok = False
            self._until = time.monotonic() + (self._ok_for if self._ok else self._failed_for)
            return self._ok


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
        async with asyncio.timeout(settings.body_timeout_s):
            raw = await _read_body(request, settings.max_body_bytes)
    except TimeoutError:
        # A client that sends headers and then trickles (or withholds) its body holds a connection and a
        # task; Teams sends the whole activity at once, so a body that takes longer is dropped.
        response = _problem(408, "the request body took too long to arrive")
        response.force_close()
        return response
    except ConnectionError:
        return _problem(400, "could not read the request body")
    if raw is None:
        return _problem(413, "request body too large")
    try:
        # orjson, not json: it refuses nesting deeper than 1,024 levels (json raised RecursionError),
        # integers past 64 bits become floats (json raised ValueError past 4,300 digits), and it refuses
        # lone UTF-16 surrogates (json let "\ud83d" through, and strings that cannot be encoded failed
        # later in the turn): each was an HTTP 500 before the token check.
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
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
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")) or not _valid_url(url):
        return "serviceUrl must be an http(s) URL"
    for key in _STRING_FIELDS:  # the SDK compares or formats these as strings: a number crashed the turn
        if body.get(key) is not None and not isinstance(body[key], str):
            return f"{key} must be a string"
    return None


_STRING_FIELDS = ("id", "name", "locale", "deliveryMode", "replyToId", "textFormat", "inputHint", "action")
_HOST = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
                   r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$")


def _valid_url(url: str) -> bool:
    """A URL the SDK's HTTP client can post to: replies to "http://a b/" or "http://[x/" raised in the turn
    AND in its error handler (the apology goes to the same place), which ended as HTTP 500."""
    return len(url) <= 2048 and _valid_short_url(url)  # the length first: only short URLs enter the cache


@functools.lru_cache(maxsize=256)
def _valid_short_url(url: str) -> bool:
    """Cached: a channel uses a handful of service URLs."""
    if any(c.isspace() or ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        return False
    if not host:
        return False
    if parts.netloc.rsplit("@", 1)[-1].startswith("["):
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return False
        return True
    return bool(_HOST.match(host))


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
    except (ClientException, OSError) as exc:
        # The turn failed (logged by on_turn_error) and so did its apology, sent to the same serviceUrl: the
        # channel is unreachable or refuses the replies (msrest's errors, requests' are OSErrors). The activity
        # itself was fine and handled as far as it could be; a 5xx would only make the channel deliver it
        # again. Anything else (an authentication error above all) still ends as the middleware's 500.
        log.warning("the reply could not be delivered to the channel (%s); activity dropped",
                    type(exc).__name__)
        invoke_response = None
    if activity.type == "invoke" and (invoke_response is None or invoke_response.status == 501):
        return json_response(_unanswered_invoke(runtime, body))
    if invoke_response:
        return json_response(sdk_fixes.json_safe_serializer(invoke_response.body),
                                 status=int(invoke_response.status))
    return web.Response(status=200)


def _unanswered_invoke(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """The answer to an invoke the turn did not answer: refused (tenant not allowed) or failed (store down,
    connector unreachable). The SDK answered 501 with a null body, which Teams shows as a broken card.
    A refusal is a message, as Universal Actions defines it; a failure is its error response."""
    t = Translator(negotiate(body.get("locale") if isinstance(body.get("locale"), str) else None))
    if body.get("name") != "adaptiveCard/action":
        return {}
    if not _tenant_allowed(runtime.bot.settings.allowed_tenant_ids, body):
        return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                "value": t("Sorry, this bot is not available to your organisation.")}
    return {"statusCode": 500, "type": "application/vnd.microsoft.error",
            "value": {"code": "InternalServerError",
                      "message": t("Sorry, something went wrong on my side. Please try again.")}}


def _tenant_allowed(allowed: tuple[str, ...], body: dict[str, Any]) -> bool:
    if not allowed:
        return True
    channel_data = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    conversation = body.get("conversation") if isinstance(body.get("conversation"), dict) else {}
    tid = tenant.get("id") or conversation.get("tenantId")
    return isinstance(tid, str) and tid.lower() in allowed


def _page(name: str) -> Any:
    """GET handler for a public page: the URLs the Teams app package links to (websiteUrl, privacyUrl,
    termsOfUseUrl), in English or French (``?lang=fr`` or the browser's Accept-Language)."""

    async def handler(request: web.Request) -> web.Response:
        lang = pages.pick_language(request.query.get("lang"), request.headers.get("Accept-Language"))
        response = web.Response(text=pages.render_page(name, lang), content_type="text/html", charset="utf-8")
        response.headers["Content-Language"] = lang
        response.headers["Vary"] = "Accept-Language"
        response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return handler


async def healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    store_ok = False
    try:
        store_ok = await asyncio.wait_for(request.app[SERVICES].store.ping(), timeout=2)
    except Exception:
        store_ok = False
    runtime = request.app[RUNTIME]
    checks: dict[str, bool] = {"store": store_ok}
    if runtime.graph_probe is not None:  # real mode: Graph credentials are useless if no token comes
        checks["graph"] = await runtime.graph_probe.ok()
    status = 200 if all(checks.values()) and runtime.accepting else 503
    return json_response({"status": "ready" if status == 200 else "not ready", **checks}, status=status)


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
    answer_bad_http_quietly()
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
        if svc.graph_token is not None:
            app[RUNTIME].graph_probe = GraphTokenProbe(svc.graph_token)
        bot.watches.start_adopting()  # "I'll tell you when it's done" watches that a restart interrupted
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
    app.router.add_get("/", _page("about"))
    app.router.add_get("/privacy", _page("privacy"))
    app.router.add_get("/terms", _page("terms"))
    return app


_original_handle_error = web_protocol.RequestHandler.handle_error


def _handle_error(self: web_protocol.RequestHandler, request: Any, status: int = 500,
                  exc: BaseException | None = None, message: str | None = None) -> web.StreamResponse:
    """aiohttp answered malformed HTTP (a 20 KB header, 500 headers) with 400 and an ERROR log with a
    traceback, from its own parser before our handlers: anyone could fill the logs. Header limits get
    431, other malformed requests 400, logged at INFO in one line."""
    if not isinstance(exc, http_exceptions.HttpProcessingError) or request.writer.output_size > 0:
        return _original_handle_error(self, request, status, exc, message)
    too_large = isinstance(exc, http_exceptions.LineTooLong) or "Too many headers" in str(exc)
    status = 431 if too_large else 400
    log.info("malformed HTTP request from %s: %s", request.remote, type(exc).__name__)
    response = _problem(status, "request header fields too large" if too_large else "malformed HTTP request")
    response.force_close()
    return response


def answer_bad_http_quietly() -> None:
    """Install :func:`_handle_error` (idempotent)."""
    web_protocol.RequestHandler.handle_error = _handle_error  # type: ignore[method-assign]


async def _drain(app: web.Application) -> None:
    """Graceful shutdown: stop accepting turns, let in-flight ones finish (bounded)."""
    runtime = app.get(RUNTIME)
    if runtime is None:
        return
    runtime.accepting = False
    pending = [t for t in runtime.in_flight if not t.done() and t is not asyncio.current_task()]
    if pending:
        await asyncio.wait(pending, timeout=10)
