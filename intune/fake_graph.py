"""A local fake of Microsoft Graph (and of the Entra token endpoint) serving a ``DemoTenant``.

Why: the bot, the demo and the tests need a Graph that pages, throttles, refuses and answers slowly on demand,
over real HTTP, without a real tenant. Responses follow the shapes of the Graph docs' examples.

Start it in-process::

    async with FakeGraphServer(DemoTenant.load()) as server:
        graph = GraphClient(StaticTokenProvider("demo-token"), base_url=server.base_url)

or from a shell: ``python -m intune.fake_graph --port 8081``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import fnmatch
import logging
import random
import re
import secrets
import shutil
import socket
import ssl
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from yarl import URL

from intune.demo_tenant import DemoTenant
from intune.errors import SYNC_PERMISSION

__all__ = [
    "FAKE_STATE",
    "FakeGraphConfig",
    "FakeGraphServer",
    "FakeGraphState",
    "Fault",
    "FaultPlan",
    "RecordedRequest",
    "SyncCall",
    "create_fake_graph_app",
    "start_fake_graph",
]

logger = logging.getLogger(__name__)

_PERM_DEVICES_READ = (
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
)
_PERM_APPS_READ = ("DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All")
_PERM_CONFIG_READ = ("DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All")
_PERM_USERS_READ = ("User.Read.All", "User.ReadBasic.All", "Directory.Read.All")
_PERM_GROUPS_READ = ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All")

_USER_DEFAULT_FIELDS = (
    "id",
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
)


# --------------------------------------------------------------------------------------------------- faults


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour: wait ``delay`` seconds, then answer ``status`` (or the real answer if None)."""

    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    code: str | None = None

    @classmethod
    def throttled(cls, retry_after: float | None = 1.0) -> Fault:
        """429 TooManyRequests, with a Retry-After header when ``retry_after`` is given."""
        return cls(status=429, retry_after=retry_after, code="TooManyRequests")

    @classmethod
    def unavailable(cls, status: int = 503, retry_after: float | None = None) -> Fault:
        """A 5xx (503 ServiceUnavailable by default)."""
        return cls(
            status=status,
            retry_after=retry_after,
            code="ServiceUnavailable" if status == 503 else "InternalServerError",
        )

    @classmethod
    def forbidden(cls) -> Fault:
        return cls(status=403, code="Forbidden")

    @classmethod
    def not_found(cls) -> Fault:
        return cls(status=404, code="ResourceNotFound")

    @classmethod
    def slow(cls, delay: float) -> Fault:
        """Answer normally, but only after ``delay`` seconds (longer than the client timeout = a timeout)."""
        return cls(delay=delay)


class FaultPlan:
    """Faults to inject, per route pattern, in order; plus an optional seeded random mode for load tests.

    Patterns are ``"METHOD glob"`` (or just ``"glob"`` for any method) matched against the path below
    ``/v1.0``, e.g. ``"POST */syncDevice"`` or ``"GET /users/*/managedDevices"``.
    """

    def __init__(self) -> None:
        self._queues: list[tuple[str, str, deque[Fault]]] = []
        self._random_p = 0.0
        self._rng = random.Random(0)
        self._random_faults: tuple[Fault, ...] = ()
        self._random_pattern = "*"

    def add(self, pattern: str, *faults: Fault) -> FaultPlan:
        """Queue ``faults`` for the next requests matching ``pattern`` (one fault per request)."""
        method, _, glob = pattern.partition(" ") if " " in pattern else ("*", "", pattern)
        self._queues.append((method.upper(), glob, deque(faults)))
        return self

    @classmethod
    def random(
        cls,
        probability: float,
        *,
        seed: int = 0,
        retry_after: float = 0.2,
        delay: float = 0.5,
        faults: Iterable[Fault] | None = None,
        pattern: str = "*",
    ) -> FaultPlan:
        """Each matching request fails with ``probability`` (429, 503 or a slow answer), reproducibly per seed."""
        plan = cls()
        plan._random_p = probability
        plan._rng = random.Random(seed)
        plan._random_faults = tuple(
            faults or (Fault.throttled(retry_after), Fault.unavailable(), Fault.slow(delay))
        )
        plan._random_pattern = pattern
        return plan

    @property
    def pending(self) -> int:
        """Queued faults not yet served."""
        return sum(len(q) for _, _, q in self._queues)

    def next_fault(self, method: str, path: str, *, graph: bool = True) -> Fault | None:
        """The fault for this request, if any (random faults only hit Graph routes, never the token endpoint)."""
        for want_method, glob, queue in self._queues:
            if queue and want_method in ("*", method) and fnmatch.fnmatchcase(path, glob):
                return queue.popleft()
        if (
            graph
            and self._random_p
            and fnmatch.fnmatchcase(path, self._random_pattern)
            and self._rng.random() < self._random_p
        ):
            return self._rng.choice(self._random_faults)
        return None


# --------------------------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class FakeGraphConfig:
    """Knobs of the fake. ``granted_permissions=None`` grants everything; a set simulates a missing consent."""

    page_size: int = 5
    sync_delay: float = 3.0
    static_tokens: frozenset[str] = frozenset({"demo-token"})
    client_id: str = "demo-client"
    client_secret: str = "demo-secret"
    client_certificates: tuple[str, ...] = ()  # PEM certificates accepted for client assertions
    token_lifetime: int = 3600
    granted_permissions: frozenset[str] | None = None
    # Serve nextLinks on another origin, to test that clients refuse to send their token there.
    next_link_origin: str | None = None


@dataclass(frozen=True, slots=True)
class SyncCall:
    """A syncDevice the fake accepted (204)."""

    device_id: str
    at: float
    request_id: str
    client_request_id: str | None


@dataclass(slots=True)
class RecordedRequest:
    """Every request the fake saw, in arrival order, with the status it answered (499: client gave up)."""

    method: str
    path: str
    query: str
    status: int
    at: float
    client_request_id: str | None


@dataclass
class FakeGraphState:
    """What the fake serves and what it saw; tests inspect and mutate it (e.g. reassign a device)."""

    tenant: DemoTenant
    config: FakeGraphConfig
    faults: FaultPlan
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: list[dict[str, Any]] = field(default_factory=list)
    app_registrations: list[dict[str, Any]] = field(default_factory=list)
    compliance_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    compliance_states: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sync_calls: list[SyncCall] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    pending_syncs: dict[str, float] = field(default_factory=dict)
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def from_tenant(cls, tenant: DemoTenant, config: FakeGraphConfig, faults: FaultPlan) -> FakeGraphState:
        return cls(
            tenant=tenant,
            config=config,
            faults=faults,
            devices={d["id"]: copy.deepcopy(d) for d in tenant.devices},
            users=copy.deepcopy(list(tenant.users)),
            app_registrations=copy.deepcopy(list(tenant.app_registrations)),
            compliance_policies={p["id"]: copy.deepcopy(p) for p in tenant.compliance_policies},
            compliance_states={k: copy.deepcopy(list(v)) for k, v in tenant.compliance_states.items()},
        )

    def count(self, method: str, glob: str) -> int:
        """How many requests matched (faulted ones included): ``count("POST", "*/syncDevice")``."""
        return sum(1 for r in self.requests if r.method == method and fnmatch.fnmatchcase(r.path, glob))

    def sync_calls_for(self, device_id: str) -> list[SyncCall]:
        return [c for c in self.sync_calls if c.device_id == device_id]

    def user_by_key(self, key: str) -> dict[str, Any] | None:
        key = key.lower()
        for user in self.users:
            if user["id"].lower() == key or user["userPrincipalName"].lower() == key:
                return user
        return None

    def reassign_device(self, device_id: str, user_key: str) -> None:
        """Change a device's primary user (to test that authorization is re-checked at execution time)."""
        user = self.user_by_key(user_key)
        if user is None:
            raise KeyError(user_key)
        device = self.devices[device_id]
        device.update(
            userId=user["id"],
            userPrincipalName=user["userPrincipalName"],
            userDisplayName=user["displayName"],
            emailAddress=user.get("mail") or "",
        )

    def refresh(self, device: dict[str, Any]) -> dict[str, Any]:
        """Complete a pending sync once its delay has passed (lazily, so no background task is needed)."""
        due = self.pending_syncs.get(device["id"])
        if due is not None and time.time() >= due:
            del self.pending_syncs[device["id"]]
            stamp = _iso(due)
            for action in device.get("deviceActionResults", []):
                if action.get("actionName") == "syncDevice" and action.get("actionState") == "pending":
                    action.update(actionState="done", lastUpdatedDateTime=stamp)
            device["lastSyncDateTime"] = stamp
        return device


FAKE_STATE = web.AppKey("fake_graph_state", FakeGraphState)
# aiohttp >= 3.14 wants typed request keys; older versions take a plain string.
_REQUEST_ID: Any = web.RequestKey("request_id", str) if hasattr(web, "RequestKey") else "request_id"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------------- OData $filter


class _FilterError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)\b|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)|(?P<punct>[(),]))"
)
_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"startswith", "endswith", "contains"}


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _FilterError(f"syntax error at position {pos}")
        pos = match.end()
        if match.group("str") is not None:
            tokens.append(("lit", match.group("str")[1:-1].replace("''", "'")))
        elif match.group("num") is not None:
            tokens.append(("lit", float(match.group("num"))))
        elif match.group("word") is not None:
            word = match.group("word")
            literal = {"true": True, "false": False, "null": None}
            tokens.append(("lit", literal[word]) if word in literal else ("word", word))
        else:
            tokens.append(("punct", match.group("punct")))
    return tokens


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class _FilterParser:
    """Recursive-descent parser for the OData subset the bot uses; yields a predicate over entity dicts."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def parse(self) -> Callable[[dict[str, Any]], bool]:
        predicate = self._or()
        if self.pos != len(self.tokens):
            raise _FilterError("unexpected trailing tokens")
        return predicate

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, kind: str, value: Any = None) -> Any:
        token = self._peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise _FilterError(f"expected {value or kind}")
        self.pos += 1
        return token[1]

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token == ("word", word):
            self.pos += 1
            return True
        return False

    def _or(self) -> Callable[[dict[str, Any]], bool]:
        terms = [self._and()]
        while self._keyword("or"):
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else (lambda e: any(t(e) for t in terms))

    def _and(self) -> Callable[[dict[str, Any]], bool]:
        terms = [self._unary()]
        while self._keyword("and"):
            terms.append(self._unary())
        return terms[0] if len(terms) == 1 else (lambda e: all(t(e) for t in terms))

    def _unary(self) -> Callable[[dict[str, Any]], bool]:
        if self._keyword("not"):
            inner = self._unary()
            return lambda e: not inner(e)
        if self._peek() == ("punct", "("):
            self.pos += 1
            inner = self._or()
            self._take("punct", ")")
            return inner
        name = self._take("word")
        if name in _FUNCTIONS:
            self._take("punct", "(")
            prop = self._take("word")
            self._take("punct", ",")
            arg = self._take("lit")
            self._take("punct", ")")
            if not isinstance(arg, str):
                raise _FilterError(f"{name} needs a string")
            check = {
                "startswith": lambda v, a: v.startswith(a),
                "endswith": lambda v, a: v.endswith(a),
                "contains": lambda v, a: a in v,
            }[name]
            needle = arg.casefold()
            return lambda e: isinstance(e.get(prop), str) and check(e[prop].casefold(), needle)
        op = self._take("word")
        if op not in _COMPARISONS:
            raise _FilterError(f"unknown operator {op}")
        value = _fold(self._take("lit"))

        def compare(entity: dict[str, Any]) -> bool:
            actual = _fold(entity.get(name))
            if op == "eq":
                return actual == value
            if op == "ne":
                return actual != value
            if actual is None or value is None or type(actual) is not type(value):
                return False
            return {"gt": actual > value, "ge": actual >= value, "lt": actual < value, "le": actual <= value}[
                op
            ]

        return compare


# --------------------------------------------------------------------------------------------------- helpers


def _graph_error(
    request: web.Request, status: int, code: str, message: str, *, retry_after: float | None = None
) -> web.Response:
    request_id = request.get(_REQUEST_ID, str(uuid.uuid4()))
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": request.headers.get("client-request-id", request_id),
            },
        }
    }
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    return web.json_response(body, status=status, headers=headers)


def _project(
    entity: dict[str, Any], select: str | None, default: Iterable[str] | None = None
) -> dict[str, Any]:
    if select:
        wanted = {"id", *(s.strip() for s in select.split(",") if s.strip())}
    elif default is not None:
        wanted = set(default)
    else:
        return copy.deepcopy(entity)
    return {k: copy.deepcopy(v) for k, v in entity.items() if k in wanted}


def _filtered(request: web.Request, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    text = request.query.get("$filter")
    if not text:
        return list(items)
    try:
        predicate = _FilterParser(text).parse()
    except _FilterError as exc:
        raise _BadRequest(f"Invalid filter clause: {exc}") from None
    return [item for item in items if predicate(item)]


class _BadRequest(Exception):
    pass


class _NotFound(Exception):
    pass


def _page(
    request: web.Request,
    items: list[dict[str, Any]],
    context: str,
    *,
    default_fields: Iterable[str] | None = None,
) -> web.Response:
    """One page of a collection, with ``@odata.nextLink`` carrying an opaque skip token."""
    state = request.app[FAKE_STATE]
    size = state.config.page_size
    if "$top" in request.query:
        try:
            size = max(1, min(999, int(request.query["$top"])))
        except ValueError:
            raise _BadRequest("Invalid $top") from None
    offset = 0
    if "$skiptoken" in request.query:
        try:
            offset = int(
                base64.urlsafe_b64decode(request.query["$skiptoken"].encode()).decode().split(":", 1)[1]
            )
        except (ValueError, IndexError):
            raise _BadRequest("Invalid $skiptoken") from None
    select = request.query.get("$select")
    chunk = items[offset : offset + size]
    body: dict[str, Any] = {
        "@odata.context": f"{request.url.origin()}/v1.0/$metadata#{context}",
        "value": [_project(item, select, default_fields) for item in chunk],
    }
    if offset + size < len(items):
        token = base64.urlsafe_b64encode(f"offset:{offset + size}".encode()).decode()
        next_url = request.url.update_query({"$skiptoken": token})
        if state.config.next_link_origin:
            next_url = URL(state.config.next_link_origin).join(next_url.relative())
        body["@odata.nextLink"] = str(next_url)
    return web.json_response(body)


def _require(request: web.Request, permissions: Iterable[str], message: str, code: str = "Forbidden") -> None:
    granted = request.app[FAKE_STATE].config.granted_permissions
    wanted = tuple(permissions)
    if granted is not None and not granted.intersection(wanted):
        raise _Forbidden(code, message.format(perms=", ".join(wanted)))


def _require_directory(request: web.Request, permissions: Iterable[str]) -> None:
    """Directory endpoints (users, groups, licences) refuse a missing permission in their own words."""
    _require(request, permissions, "Insufficient privileges to complete the operation.", "Authorization_RequestDenied")


class _Forbidden(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _intune_forbidden(perms: Iterable[str]) -> tuple[list[str], str]:
    return (
        list(perms),
        "Application is not authorized to perform this operation. Application must have one of the following "
        "scopes: {perms} - Operation ID (for customer support): " + str(uuid.uuid4()),
    )


def _user_or_404(request: web.Request) -> dict[str, Any]:
    key = request.match_info["user"]
    user = request.app[FAKE_STATE].user_by_key(key)
    if user is None:
        raise _NotFound(
            (
                "Request_ResourceNotFound",
                f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
            )
        )
    return user


def _device_or_404(request: web.Request) -> dict[str, Any]:
    state = request.app[FAKE_STATE]
    device = state.devices.get(request.match_info["device"])
    if device is None:
        raise _NotFound(("ResourceNotFound", '{"Message": "Resource not found"}'))
    return state.refresh(device)


def _transitive_groups(state: FakeGraphState, member_id: str) -> list[dict[str, Any]]:
    """Groups containing ``member_id`` directly or through nested groups."""
    found: dict[str, dict[str, Any]] = {}
    frontier = [member_id]
    while frontier:
        current = frontier.pop()
        for group in state.tenant.groups:
            if current in group.get("members", ()) and group["id"] not in found:
                found[group["id"]] = group
                frontier.append(group["id"])
    return list(found.values())


# --------------------------------------------------------------------------------------------------- Graph routes


async def _list_users(request: web.Request) -> web.Response:
    _require_directory(request, _PERM_USERS_READ)
    users = _filtered(request, request.app[FAKE_STATE].users)
    return _page(request, users, "users", default_fields=_USER_DEFAULT_FIELDS)


async def _get_user(request: web.Request) -> web.Response:
    _require_directory(request, _PERM_USERS_READ)
    user = _user_or_404(request)
    body = _project(user, request.query.get("$select"), _USER_DEFAULT_FIELDS)
    body["@odata.context"] = f"{request.url.origin()}/v1.0/$metadata#users/$entity"
    return web.json_response(body)


async def _user_devices(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_DEVICES_READ))
    state = request.app[FAKE_STATE]
    user = _user_or_404(request)
    devices = [state.refresh(d) for d in state.devices.values() if d.get("userId") == user["id"]]
    return _page(request, _filtered(request, devices), f"users('{user['id']}')/managedDevices")


async def _list_devices(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_DEVICES_READ))
    state = request.app[FAKE_STATE]
    devices = [state.refresh(d) for d in state.devices.values()]
    return _page(request, _filtered(request, devices), "deviceManagement/managedDevices")


async def _get_device(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_DEVICES_READ))
    device = _device_or_404(request)
    body = _project(device, request.query.get("$select"))
    body["@odata.context"] = f"{request.url.origin()}/v1.0/$metadata#deviceManagement/managedDevices/$entity"
    return web.json_response(body)


async def _device_compliance_states(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_DEVICES_READ))
    state = request.app[FAKE_STATE]
    device = _device_or_404(request)
    states = state.compliance_states.get(device["id"], [])
    return _page(
        request,
        _filtered(request, states),
        f"deviceManagement/managedDevices('{device['id']}')/deviceCompliancePolicyStates",
    )


async def _list_compliance_policies(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_CONFIG_READ))
    policies = list(request.app[FAKE_STATE].compliance_policies.values())
    return _page(request, _filtered(request, policies), "deviceManagement/deviceCompliancePolicies")


async def _get_compliance_policy(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_CONFIG_READ))
    policy = request.app[FAKE_STATE].compliance_policies.get(request.match_info["policy"])
    if policy is None:
        raise _NotFound(("ResourceNotFound", '{"Message": "Resource not found"}'))
    body = _project(policy, request.query.get("$select"))
    body["@odata.context"] = (
        f"{request.url.origin()}/v1.0/$metadata#deviceManagement/deviceCompliancePolicies/$entity"
    )
    return web.json_response(body)


async def _sync_device(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden((SYNC_PERMISSION,)))
    state = request.app[FAKE_STATE]
    if "user" in request.match_info:
        _user_or_404(request)
    device = _device_or_404(request)
    if await request.read():
        raise _BadRequest("syncDevice does not take a request body")
    now = time.time()
    stamp = _iso(now)
    results = [a for a in device.setdefault("deviceActionResults", []) if a.get("actionName") != "syncDevice"]
    results.append(
        {
            "@odata.type": "microsoft.graph.deviceActionResult",
            "actionName": "syncDevice",
            "actionState": "pending",
            "startDateTime": stamp,
            "lastUpdatedDateTime": stamp,
        }
    )
    device["deviceActionResults"] = results
    state.pending_syncs[device["id"]] = now + state.config.sync_delay
    state.sync_calls.append(
        SyncCall(device["id"], now, request[_REQUEST_ID], request.headers.get("client-request-id"))
    )
    logger.info("fake Graph: syncDevice accepted for %s", device["id"])
    return web.Response(status=204)


async def _check_member_groups(request: web.Request) -> web.Response:
    _require_directory(request, _PERM_GROUPS_READ)
    state = request.app[FAKE_STATE]
    user = _user_or_404(request)
    try:
        body = await request.json()
        group_ids = [str(g) for g in body["groupIds"]]
    except (ValueError, KeyError, TypeError):
        raise _BadRequest("Invalid request body: groupIds expected") from None
    if len(group_ids) > 20:
        raise _BadRequest("Number of groupIds exceeds the limit of 20")
    member_of = {g["id"].lower() for g in _transitive_groups(state, user["id"])}
    return web.json_response(
        {
            "@odata.context": f"{request.url.origin()}/v1.0/$metadata#Collection(Edm.String)",
            "value": [g for g in group_ids if g.lower() in member_of],
        }
    )


async def _license_details(request: web.Request) -> web.Response:
    _require_directory(request, _PERM_USERS_READ)
    state = request.app[FAKE_STATE]
    user = _user_or_404(request)
    details = list(state.tenant.licenses.get(user["id"], ()))
    return _page(request, details, f"users('{user['id']}')/licenseDetails")


async def _member_of(request: web.Request) -> web.Response:
    _require_directory(request, _PERM_GROUPS_READ)
    state = request.app[FAKE_STATE]
    user = _user_or_404(request)
    groups = [
        {
            "@odata.type": "#microsoft.graph.group",
            "id": g["id"],
            "displayName": g["displayName"],
            "description": g.get("description"),
        }
        for g in _transitive_groups(state, user["id"])
    ]
    return _page(request, _filtered(request, groups), "groups")


async def _user_troubleshooting(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_DEVICES_READ))
    state = request.app[FAKE_STATE]
    user = _user_or_404(request)
    events = [e for e in state.tenant.troubleshooting_events if e.get("userId") == user["id"]]
    return _page(
        request, _filtered(request, events), f"users('{user['id']}')/deviceManagementTroubleshootingEvents"
    )


async def _user_app_registrations(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_APPS_READ))
    state = request.app[FAKE_STATE]
    user = _user_or_404(request)
    registrations = [a for a in state.app_registrations if a.get("userId") == user["id"]]
    return _page(
        request, _filtered(request, registrations), f"users('{user['id']}')/managedAppRegistrations"
    )


async def _troubleshooting(request: web.Request) -> web.Response:
    _require(request, *_intune_forbidden(_PERM_DEVICES_READ))
    events = _filtered(request, request.app[FAKE_STATE].tenant.troubleshooting_events)
    return _page(request, events, "deviceManagement/troubleshootingEvents")


# --------------------------------------------------------------------------------------------------- identity routes


async def _openid_configuration(request: web.Request) -> web.Response:
    state = request.app[FAKE_STATE]
    tenant = request.match_info["tenant"]
    if tenant not in (state.tenant.tenant_id, state.tenant.domain):
        return web.json_response(
            {"error": "invalid_tenant", "error_description": f"AADSTS90002: Tenant '{tenant}' not found."},
            status=400,
        )
    base = f"{request.url.origin()}/{tenant}"
    return web.json_response(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "issuer": f"{base}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "tenant_region_scope": "EU",
        }
    )


def _token_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": description, "error_codes": []}, status=status
    )


async def _token(request: web.Request) -> web.Response:
    state = request.app[FAKE_STATE]
    config = state.config
    form = await request.post()
    tenant = request.match_info["tenant"]
    record = {
        "at": time.time(),
        "tenant": tenant,
        "grant_type": form.get("grant_type"),
        "client_id": form.get("client_id"),
        "scope": form.get("scope"),
        "auth": "assertion"
        if form.get("client_assertion")
        else "secret"
        if form.get("client_secret")
        else "none",
    }
    state.token_requests.append(record)
    if tenant not in (state.tenant.tenant_id, state.tenant.domain):
        return _token_error(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
    if form.get("grant_type") != "client_credentials":
        return _token_error(
            400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type."
        )
    if form.get("client_id") != config.client_id:
        return _token_error(
            400, "unauthorized_client", "AADSTS700016: Application was not found in the directory 'Contoso'."
        )
    scope = str(form.get("scope", ""))
    if not any(s.endswith("/.default") for s in scope.split()):
        return _token_error(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.")
    if form.get("client_assertion"):
        if not _assertion_valid(str(form["client_assertion"]), config, str(request.url.with_query(None))):
            return _token_error(
                401, "invalid_client", "AADSTS700027: Client assertion failed signature validation."
            )
    elif form.get("client_secret") != config.client_secret:
        return _token_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
    token = "fake-" + secrets.token_urlsafe(24)
    state.tokens[token] = time.time() + config.token_lifetime
    return web.json_response(
        {
            "token_type": "Bearer",
            "expires_in": config.token_lifetime,
            "ext_expires_in": config.token_lifetime,
            "access_token": token,
        }
    )


def _assertion_valid(assertion: str, config: FakeGraphConfig, audience: str) -> bool:
    """Check a client assertion's signature against the registered certificates (as Entra ID does)."""
    import jwt
    from cryptography import x509

    for pem in config.client_certificates:
        public_key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        try:
            claims = jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256", "PS256"],
                audience=audience,
                options={"require": ["exp"]},
            )
        except jwt.PyJWTError:
            continue
        if claims.get("iss") == config.client_id and claims.get("sub") == config.client_id:
            return True
    return False


# --------------------------------------------------------------------------------------------------- app


@web.middleware
async def _graph_middleware(
    request: web.Request, handler: Callable[[web.Request], Any]
) -> web.StreamResponse:
    """Request ids, recording, fault injection, bearer check and Graph-shaped errors, in that order."""
    state = request.app[FAKE_STATE]
    request[_REQUEST_ID] = str(uuid.uuid4())
    path = request.path
    graph_path = path[len("/v1.0") :] if path.startswith("/v1.0/") else None
    record = RecordedRequest(
        request.method,
        graph_path if graph_path is not None else path,
        request.query_string,
        0,
        time.time(),
        request.headers.get("client-request-id"),
    )
    state.requests.append(record)  # on arrival, so a request the client gave up on is still counted
    record.status = 499  # stays so when the client disconnects (timeout) and the handler is cancelled
    response = await _dispatch(request, handler, state, record.path, graph_path is not None)
    record.status = response.status
    response.headers["request-id"] = request[_REQUEST_ID]
    if "client-request-id" in request.headers:
        response.headers["client-request-id"] = request.headers["client-request-id"]
    return response


async def _dispatch(
    request: web.Request,
    handler: Callable[[web.Request], Any],
    state: FakeGraphState,
    path: str,
    is_graph: bool,
) -> web.StreamResponse:
    fault = state.faults.next_fault(request.method, path, graph=is_graph)
    if fault is not None:
        if fault.delay:
            try:
                await asyncio.wait_for(state.closing.wait(), timeout=fault.delay)
                return _graph_error(request, 503, "ServiceUnavailable", "The fake Graph is shutting down.")
            except TimeoutError:
                pass
        if fault.status is not None:
            messages = {
                429: "Please retry again later.",
                403: "Application is not authorized to perform this operation.",
                404: "Resource not found",
            }
            return _graph_error(
                request,
                fault.status,
                fault.code or "Error",
                messages.get(fault.status, "The service is temporarily unavailable."),
                retry_after=fault.retry_after,
            )
    if is_graph:
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if not token:
            return _graph_error(request, 401, "InvalidAuthenticationToken", "Access token is empty.")
        if token not in state.config.static_tokens:
            expires = state.tokens.get(token)
            if expires is None:
                return _graph_error(
                    request, 401, "InvalidAuthenticationToken", "Access token validation failure."
                )
            if expires <= time.time():
                return _graph_error(
                    request,
                    401,
                    "InvalidAuthenticationToken",
                    "Lifetime validation failed, the token is expired.",
                )
    try:
        return await handler(request)
    except _BadRequest as exc:
        return _graph_error(request, 400, "BadRequest", str(exc))
    except _Forbidden as exc:
        return _graph_error(request, 403, exc.code, exc.message)
    except _NotFound as exc:
        code, message = exc.args[0]
        return _graph_error(request, 404, code, message)
    except web.HTTPNotFound:
        return _graph_error(request, 404, "BadRequest", f"Resource not found for the segment '{path}'.")
    except web.HTTPMethodNotAllowed:
        return _graph_error(request, 405, "BadRequest", "Method not allowed.")


def create_fake_graph_app(
    tenant: DemoTenant, *, faults: FaultPlan | None = None, config: FakeGraphConfig | None = None
) -> web.Application:
    """The fake Graph + token endpoint as an aiohttp application; its state is ``app[FAKE_STATE]``."""
    app = web.Application(middlewares=[_graph_middleware])
    state = FakeGraphState.from_tenant(tenant, config or FakeGraphConfig(), faults or FaultPlan())
    app[FAKE_STATE] = state

    async def _on_shutdown(app: web.Application) -> None:
        app[FAKE_STATE].closing.set()

    app.on_shutdown.append(_on_shutdown)
    r = app.router
    r.add_get("/v1.0/users", _list_users)
    r.add_get("/v1.0/users/{user}", _get_user)
    r.add_get("/v1.0/users/{user}/managedDevices", _user_devices)
    r.add_post("/v1.0/users/{user}/managedDevices/{device}/syncDevice", _sync_device)
    r.add_post("/v1.0/users/{user}/checkMemberGroups", _check_member_groups)
    r.add_get("/v1.0/users/{user}/licenseDetails", _license_details)
    r.add_get("/v1.0/users/{user}/transitiveMemberOf", _member_of)
    r.add_get("/v1.0/users/{user}/transitiveMemberOf/microsoft.graph.group", _member_of)
    r.add_get("/v1.0/users/{user}/deviceManagementTroubleshootingEvents", _user_troubleshooting)
    r.add_get("/v1.0/users/{user}/managedAppRegistrations", _user_app_registrations)
    r.add_get("/v1.0/deviceManagement/managedDevices", _list_devices)
    r.add_get("/v1.0/deviceManagement/managedDevices/{device}", _get_device)
    r.add_post("/v1.0/deviceManagement/managedDevices/{device}/syncDevice", _sync_device)
    r.add_get(
        "/v1.0/deviceManagement/managedDevices/{device}/deviceCompliancePolicyStates", _device_compliance_states
    )
    r.add_get("/v1.0/deviceManagement/deviceCompliancePolicies", _list_compliance_policies)
    r.add_get("/v1.0/deviceManagement/deviceCompliancePolicies/{policy}", _get_compliance_policy)
    r.add_get("/v1.0/deviceManagement/troubleshootingEvents", _troubleshooting)
    r.add_get("/{tenant}/v2.0/.well-known/openid-configuration", _openid_configuration)
    r.add_post("/{tenant}/oauth2/v2.0/token", _token)
    return app


# --------------------------------------------------------------------------------------------------- runner


def _write_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway CA-style certificate for 127.0.0.1/localhost, so MSAL (HTTPS only) can reach the fake."""
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-graph.localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "fake-graph.crt"
    key_path = directory / "fake-graph.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class FakeGraphServer:
    """Runs the fake on 127.0.0.1 (ephemeral port by default) inside the current event loop.

    ``tls=True`` serves HTTPS with a throwaway certificate (``ca_file``), which MSAL requires for its authority.
    """

    def __init__(
        self,
        tenant: DemoTenant,
        *,
        faults: FaultPlan | None = None,
        config: FakeGraphConfig | None = None,
        tls: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.app = create_fake_graph_app(tenant, faults=faults, config=config)
        self.state = self.app[FAKE_STATE]
        self._tls = tls
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._tmpdir: Path | None = None
        self.ca_file: str | None = None
        self.url = ""

    @property
    def base_url(self) -> str:
        """The Graph base URL to give ``GraphClient`` (``…/v1.0``)."""
        return f"{self.url}/v1.0"

    @property
    def authority(self) -> str:
        """The Entra authority to give ``MsalTokenProvider`` (needs ``tls=True``)."""
        return f"{self.url}/{self.state.tenant.tenant_id}"

    @property
    def faults(self) -> FaultPlan:
        return self.state.faults

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting the fake's certificate, for an aiohttp session talking to it over HTTPS."""
        if not self.ca_file:
            raise RuntimeError("the fake Graph was started without tls=True")
        return ssl.create_default_context(cafile=self.ca_file)

    async def start(self) -> FakeGraphServer:
        ssl_context = None
        if self._tls:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="fake-graph-"))
            cert_path, key_path = _write_self_signed_cert(self._tmpdir)
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(cert_path, key_path)
            self.ca_file = str(cert_path)
        self._runner = web.AppRunner(
            self.app, shutdown_timeout=0.5, handler_cancellation=True, access_log=None
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        site = web.SockSite(self._runner, sock, ssl_context=ssl_context)
        await site.start()
        port = sock.getsockname()[1]
        self.url = f"{'https' if self._tls else 'http'}://{self._host}:{port}"
        logger.info("fake Graph listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    async def __aenter__(self) -> FakeGraphServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def start_fake_graph(
    tenant: DemoTenant | None = None,
    *,
    faults: FaultPlan | None = None,
    config: FakeGraphConfig | None = None,
    tls: bool = False,
    port: int = 0,
    host: str = "127.0.0.1",
) -> FakeGraphServer:
    """Start the fake in the running loop and return it (call ``await server.stop()`` when done)."""
    return await FakeGraphServer(
        tenant or DemoTenant.load(), faults=faults, config=config, tls=tls, port=port, host=host
    ).start()


def main(argv: list[str] | None = None) -> None:
    """``python -m intune.fake_graph``: serve the demo tenant until interrupted."""
    parser = argparse.ArgumentParser(description="Fake Microsoft Graph serving the Contoso demo tenant")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface to listen on (0.0.0.0 in a container, for the bot replicas of compose.yaml)")
    parser.add_argument("--page-size", type=int, default=5)
    parser.add_argument("--sync-delay", type=float, default=3.0)
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="probability of a random 429/503/slow answer"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def serve() -> None:
        faults = FaultPlan.random(args.fault_rate, seed=args.seed) if args.fault_rate else None
        config = FakeGraphConfig(page_size=args.page_size, sync_delay=args.sync_delay)
        server = await start_fake_graph(faults=faults, config=config, tls=args.tls, port=args.port,
                                        host=args.host)
        logger.info(
            "Graph base URL %s, bearer token %r, authority %s",
            server.base_url,
            "demo-token",
            server.authority,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
