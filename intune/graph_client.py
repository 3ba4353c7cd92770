"""Async Microsoft Graph client for the few Intune and directory calls the helpdesk makes.

Why not the Graph SDK: we need a handful of calls with exact control over retries (a syncDevice POST must not be
repeated blindly), bounded paging, typed errors and a swappable base URL for the demo tenant's fake Graph.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote, urlsplit

import aiohttp
from yarl import URL

from intune.errors import (
    SYNC_PERMISSION,
    GraphAuthError,
    GraphError,
    GraphForbidden,
    GraphNotFound,
    GraphThrottled,
    GraphTimeout,
    GraphUnavailable,
)
from intune.models import (
    ActionStatus,
    AppRegistration,
    CompliancePolicy,
    CompliancePolicyState,
    Device,
    EnrollmentFailure,
    Group,
    LicenseDetail,
    User,
)

__all__ = [
    "DEFAULT_GRAPH_URL",
    "CertificateCredential",
    "GraphClient",
    "MsalTokenProvider",
    "RetryPolicy",
    "StaticTokenProvider",
    "TokenProvider",
    "odata_string",
    "path_segment",
]

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"

# Least permissions per call, named in GraphForbidden so an admin knows what to grant.
_PERM_DEVICES_READ = "DeviceManagementManagedDevices.Read.All"
_PERM_USERS_READ = "User.Read.All"
_PERM_GROUPS_READ = "GroupMember.Read.All"
_PERM_APPS_READ = "DeviceManagementApps.Read.All"
_PERM_CONFIG_READ = "DeviceManagementConfiguration.Read.All"

_RETRYABLE_STATUS = frozenset({429, 503, 504})
_CHECK_MEMBER_GROUPS_MAX = 20


def odata_string(value: str) -> str:
    """Quote a value as an OData string literal: single quotes doubled, so user text cannot extend a $filter."""
    return "'" + value.replace("'", "''") + "'"


def path_segment(value: str) -> str:
    """URL-quote one path segment (ids, UPNs); refuse values that would change the path's meaning."""
    if not value or value in {".", ".."}:
        raise ValueError("invalid Graph path segment")
    return quote(value, safe="@")


def _query_string(params: Mapping[str, str]) -> str:
    return "&".join(f"{key}={quote(value, safe=',$()')}" for key, value in params.items())


# --------------------------------------------------------------------------------------------------- tokens


@runtime_checkable
class TokenProvider(Protocol):
    """Source of app-only bearer tokens for Graph."""

    async def get_token(self) -> str:
        """A currently valid access token."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token (Graph answered 401), so the next call fetches a new one."""
        ...


class StaticTokenProvider:
    """A fixed token: for the demo tenant's fake Graph and for tests."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_token(self) -> str:
        return self._token

    def invalidate(self) -> None:
        return None

    def __repr__(self) -> str:
        return "StaticTokenProvider(token=***)"


@dataclass(frozen=True, slots=True)
class CertificateCredential:
    """A client certificate for app-only auth: PEM private key plus the certificate's SHA-1 thumbprint (hex)."""

    private_key_pem: str
    thumbprint: str
    public_certificate_pem: str | None = None

    def __repr__(self) -> str:
        return f"CertificateCredential(thumbprint={self.thumbprint!r}, private_key_pem=***)"


class MsalTokenProvider:
    """Client-credentials tokens from Entra ID through MSAL, cached and renewed ahead of expiry.

    MSAL's calls are blocking (``requests``), so they run in a worker thread; a lock makes concurrent callers share
    one acquisition. ``authority`` may point at the fake identity endpoint in tests (HTTPS with ``verify`` set to
    its CA file); instance discovery is disabled then, since the fake is not a known Microsoft host.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        client_secret: str | None = None,
        certificate: CertificateCredential | None = None,
        authority: str | None = None,
        authority_host: str = "https://login.microsoftonline.com",
        scopes: Sequence[str] = (GRAPH_SCOPE,),
        refresh_margin: float = 300.0,
        verify: bool | str = True,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (client_secret is None) == (certificate is None):
            raise ValueError("give exactly one of client_secret or certificate")
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._secret = client_secret
        self._certificate = certificate
        self._authority = authority or f"{authority_host.rstrip('/')}/{tenant_id}"
        self._custom_authority = authority is not None
        self._scopes = list(scopes)
        self._margin = refresh_margin
        self._verify = verify
        self._timeout = timeout
        self._clock = clock
        self._app: Any = None
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.acquisitions = 0  # how many times MSAL was asked (observability and tests)

    def __repr__(self) -> str:
        kind = "certificate" if self._certificate else "secret"
        return f"MsalTokenProvider(tenant_id={self._tenant_id!r}, client_id={self._client_id!r}, credential={kind})"

    async def get_token(self) -> str:
        if self._token and self._clock() < self._expires_at - self._margin:
            return self._token
        async with self._lock:
            if self._token and self._clock() < self._expires_at - self._margin:
                return self._token
            token, expires_in = await asyncio.to_thread(self._acquire)
            self._token = token
            self._expires_at = self._clock() + expires_in
            return token

    def invalidate(self) -> None:
        self._token = None
        self._expires_at = 0.0

    def close(self) -> None:
        """Release MSAL's HTTP connections."""
        if self._app is not None:
            self._app.http_client.close()
            self._app = None

    def _credential(self) -> str | dict[str, str]:
        if self._secret is not None:
            return self._secret
        assert self._certificate is not None
        cred = {"private_key": self._certificate.private_key_pem, "thumbprint": self._certificate.thumbprint}
        if self._certificate.public_certificate_pem:
            cred["public_certificate"] = self._certificate.public_certificate_pem
        return cred

    def _acquire(self) -> tuple[str, float]:
        """Blocking: build the MSAL app on first use (it fetches OpenID metadata), then get a token."""
        import msal  # imported lazily: only deployments with a real tenant need it loaded

        self.acquisitions += 1
        try:
            if self._app is None:
                self._app = msal.ConfidentialClientApplication(
                    self._client_id,
                    client_credential=self._credential(),
                    authority=self._authority,
                    instance_discovery=False if self._custom_authority else None,
                    http_client=_RequestsHttpClient(self._verify, self._timeout),
                )
            result = self._app.acquire_token_for_client(scopes=self._scopes)
        except Exception as exc:  # msal raises ValueError for discovery, requests errors for the network
            logger.warning("token acquisition failed: %s", type(exc).__name__)
            raise GraphAuthError(f"token acquisition failed: {type(exc).__name__}") from None
        if not isinstance(result, dict) or "access_token" not in result:
            error = (result or {}).get("error") if isinstance(result, dict) else None
            description = (result or {}).get("error_description", "") if isinstance(result, dict) else ""
            first_line = str(description).splitlines()[0] if description else ""
            logger.warning("token acquisition refused: %s", error)
            raise GraphAuthError(f"token acquisition refused: {first_line or error}", code=error)
        return str(result["access_token"]), float(result.get("expires_in", 3600))


class _RequestsHttpClient:
    """The HTTP client MSAL calls, passing ``verify`` on every request.

    A session-level ``verify`` loses to ``REQUESTS_CA_BUNDLE`` in requests; per-request it wins, so a custom CA file
    (the fake identity endpoint's) is honoured while proxies from the environment still apply.
    """

    def __init__(self, verify: bool | str, timeout: float) -> None:
        import requests

        self._session = requests.Session()
        self._verify = verify
        self._timeout = timeout

    def post(self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return self._session.post(
            url, params=params, data=data, headers=headers, verify=self._verify, **kwargs
        )

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return self._session.get(url, params=params, headers=headers, verify=self._verify, **kwargs)

    def close(self) -> None:
        self._session.close()


# --------------------------------------------------------------------------------------------------- client


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to retry. ``budget`` caps the total time spent waiting between attempts of one call."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    budget: float = 60.0


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    body: Any
    request_id: str | None


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying."""

    def __init__(self, error: GraphError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class GraphClient:
    """The Graph calls the helpdesk needs, with retries, paging and typed errors.

    Give it an ``aiohttp.ClientSession`` to share connections with the rest of the app (it is then not closed
    here); otherwise it creates one and ``close()`` releases it.
    """

    def __init__(
        self,
        token_provider: TokenProvider,
        *,
        session: aiohttp.ClientSession | None = None,
        base_url: str = DEFAULT_GRAPH_URL,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        max_pages: int = 50,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._tokens = token_provider
        self._session = session
        self._owns_session = session is None
        self.base_url = base_url.rstrip("/")
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.netloc)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retry = retry or RetryPolicy()
        self._max_pages = max_pages
        self._sleep = sleep
        self._rng = rng or random.Random()

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None if self._owns_session else self._session

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._owns_session:
                raise RuntimeError("the injected aiohttp session is closed")
            self._session = aiohttp.ClientSession()
        return self._session

    # ------------------------------------------------------------------------------------------- transport

    def _url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        url = self.base_url + path
        if params:
            url += "?" + _query_string(params)
        return url

    async def _request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        permission: str,
        json_body: Any = None,
        idempotent: bool | None = None,
    ) -> _Response:
        """One logical call: retried per policy; returns a 2xx response or raises a GraphError."""
        idempotent = method == "GET" if idempotent is None else idempotent
        client_request_id = str(uuid.uuid4())
        policy = self._retry
        waited = 0.0
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(
                    method, url, operation, permission, json_body, idempotent, client_request_id
                )
            except _Retry as retry:
                error = retry.error
                if isinstance(error, GraphAuthError):
                    if reauthenticated:
                        raise error from None
                    reauthenticated = True
                    self._tokens.invalidate()
                    attempt -= 1  # a token refresh is not a retry of the call itself
                    continue
                if attempt >= policy.max_attempts:
                    raise error from None
                if retry.retry_after is not None:
                    if retry.retry_after > policy.max_retry_after:
                        logger.warning(
                            "%s: Retry-After %.1fs exceeds the cap, giving up", operation, retry.retry_after
                        )
                        raise error from None
                    delay = retry.retry_after + self._rng.uniform(0, 0.1 * max(retry.retry_after, 0.1))
                else:
                    cap = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
                    delay = self._rng.uniform(cap / 2, cap)
                if waited + delay > policy.budget:
                    logger.warning("%s: retry budget spent after %d attempts", operation, attempt)
                    raise error from None
                logger.info(
                    "%s: retrying in %.2fs after %s (attempt %d, client-request-id %s)",
                    operation,
                    delay,
                    type(error).__name__,
                    attempt,
                    client_request_id,
                )
                waited += delay
                await self._sleep(delay)

    async def _attempt(
        self,
        method: str,
        url: str,
        operation: str,
        permission: str,
        json_body: Any,
        idempotent: bool,
        client_request_id: str,
    ) -> _Response:
        token = await self._tokens.get_token()
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "client-request-id": client_request_id,
            "return-client-request-id": "true",
        }
        started = time.monotonic()
        try:
            async with self._get_session().request(
                method, URL(url, encoded=True), headers=headers, json=json_body, timeout=self._timeout
            ) as resp:
                request_id = resp.headers.get("request-id")
                body: Any = None
                if resp.status != 204:
                    text = await resp.text()
                    if text:
                        try:
                            body = await resp.json(content_type=None)
                        except ValueError:
                            body = {"raw": text[:500]}
                status = resp.status
                retry_after_header = resp.headers.get("Retry-After")
        except TimeoutError:
            error = GraphTimeout(f"{operation}: Graph did not answer in time")
            logger.warning("%s: timeout after %.1fs", operation, time.monotonic() - started)
            if idempotent:
                raise _Retry(error) from None
            raise error from None
        except aiohttp.ClientError as exc:
            error = GraphUnavailable(f"{operation}: connection failed ({type(exc).__name__})")
            logger.warning("%s: %s", operation, type(exc).__name__)
            if idempotent:
                raise _Retry(error) from None
            raise error from None

        elapsed_ms = (time.monotonic() - started) * 1000
        logger.debug(
            "%s %s -> %d in %.0f ms (request-id %s)", method, operation, status, elapsed_ms, request_id
        )
        if 200 <= status < 300:
            return _Response(status, body, request_id)

        code, message = _error_details(body)
        request_id = request_id or _inner_request_id(body)
        kwargs: dict[str, Any] = {"status": status, "code": code, "request_id": request_id}
        if status == 401:
            raise _Retry(
                GraphAuthError(
                    f"{operation}: Graph rejected the token ({message or 'unauthorized'})", **kwargs
                )
            )
        if status == 403:
            raise GraphForbidden(
                f"{operation}: access denied by Graph; the app registration needs the {permission} "
                "application permission (with admin consent)",
                permission=permission,
                **kwargs,
            )
        if status == 404:
            raise GraphNotFound(f"{operation}: not found", **kwargs)
        retry_after = _parse_retry_after(retry_after_header)
        if status == 429:
            raise _Retry(
                GraphThrottled(f"{operation}: throttled by Graph", retry_after=retry_after, **kwargs),
                retry_after,
            )
        if status >= 500:
            error = GraphUnavailable(f"{operation}: Graph unavailable ({message or status})", **kwargs)
            if status in _RETRYABLE_STATUS and idempotent:
                raise _Retry(error, retry_after)
            raise error
        raise GraphError(f"{operation}: {message or 'request failed'}", **kwargs)

    async def _get_json(
        self, path: str, params: Mapping[str, str] | None, *, operation: str, permission: str
    ) -> Any:
        resp = await self._request("GET", self._url(path, params), operation=operation, permission=permission)
        return resp.body

    async def _get_paged(
        self, path: str, params: Mapping[str, str] | None, *, operation: str, permission: str
    ) -> list[dict[str, Any]]:
        """All items of a collection, following ``@odata.nextLink`` unchanged, at most ``max_pages`` pages."""
        url: str | None = self._url(path, params)
        items: list[dict[str, Any]] = []
        pages = 0
        while url:
            if pages >= self._max_pages:
                logger.warning("%s: stopped after %d pages; results truncated", operation, pages)
                break
            resp = await self._request("GET", url, operation=operation, permission=permission)
            pages += 1
            body = resp.body if isinstance(resp.body, dict) else {}
            items.extend(item for item in body.get("value") or () if isinstance(item, dict))
            next_link = body.get("@odata.nextLink")
            url = self._checked_next_link(next_link) if next_link else None
        return items

    def _checked_next_link(self, link: Any) -> str:
        """Follow a nextLink only to the Graph host we talk to: the bearer token must not go anywhere else."""
        if not isinstance(link, str):
            raise GraphError("malformed @odata.nextLink")
        parts = urlsplit(link)
        if (parts.scheme, parts.netloc) != self._origin:
            raise GraphError("@odata.nextLink points to another host; refusing to follow it")
        return link

    # ------------------------------------------------------------------------------------------- devices

    _DEVICE_SELECT = ",".join(Device.GRAPH_FIELDS)

    async def list_user_devices(self, user_id: str) -> list[Device]:
        """Every managed device whose primary user is ``user_id`` (all pages)."""
        items = await self._get_paged(
            f"/users/{path_segment(user_id)}/managedDevices",
            {"$select": self._DEVICE_SELECT},
            operation="list_user_devices",
            permission=_PERM_DEVICES_READ,
        )
        return [Device.from_graph(item) for item in items]

    async def find_devices(
        self,
        *,
        name: str | None = None,
        upn: str | None = None,
        user_id: str | None = None,
        name_prefix: bool = False,
    ) -> list[Device]:
        """Devices tenant-wide by exact device name (or prefix), by primary user's UPN, or by user id."""
        clauses = []
        if name:
            if name_prefix:
                clauses.append(f"startswith(deviceName,{odata_string(name)})")
            else:
                clauses.append(f"deviceName eq {odata_string(name)}")
        if upn:
            clauses.append(f"userPrincipalName eq {odata_string(upn)}")
        if user_id:
            clauses.append(f"userId eq {odata_string(user_id)}")
        if not clauses:
            raise ValueError("find_devices needs a name, upn or user_id")
        items = await self._get_paged(
            "/deviceManagement/managedDevices",
            {"$filter": " and ".join(clauses), "$select": self._DEVICE_SELECT},
            operation="find_devices",
            permission=_PERM_DEVICES_READ,
        )
        return [Device.from_graph(item) for item in items]

    async def get_device(self, device_id: str, *, with_actions: bool = False) -> Device:
        """One managed device; ``with_actions`` also fetches ``deviceActionResults``."""
        fields = Device.GRAPH_FIELDS + (("deviceActionResults",) if with_actions else ())
        body = await self._get_json(
            f"/deviceManagement/managedDevices/{path_segment(device_id)}",
            {"$select": ",".join(fields)},
            operation="get_device",
            permission=_PERM_DEVICES_READ,
        )
        return Device.from_graph(_entity(body))

    async def sync_device(self, device_id: str) -> str | None:
        """Ask Intune to make the device check in now; returns Graph's request id.

        Only a 429 is retried: the throttled request was not executed, while a timeout or 5xx leaves it unknown
        whether the action was queued, and the caller decides what to tell the user.
        """
        resp = await self._request(
            "POST",
            self._url(f"/deviceManagement/managedDevices/{path_segment(device_id)}/syncDevice"),
            operation="sync_device",
            permission=SYNC_PERMISSION,
            idempotent=False,
        )
        return resp.request_id

    async def device_action_results(self, device_id: str) -> list[ActionStatus]:
        """The device's remote-action states (syncDevice pending/done...)."""
        body = await self._get_json(
            f"/deviceManagement/managedDevices/{path_segment(device_id)}",
            {"$select": "id,deviceActionResults"},
            operation="device_action_results",
            permission=_PERM_DEVICES_READ,
        )
        entity = _entity(body)
        return [
            ActionStatus.from_graph(a) for a in entity.get("deviceActionResults") or () if isinstance(a, dict)
        ]

    # ------------------------------------------------------------------------------------------- compliance

    async def device_compliance_policy_states(self, device_id: str) -> list[CompliancePolicyState]:
        """Each compliance policy's state on the device, with its per-setting states (``settingStates``).

        ``GET /deviceManagement/managedDevices/{id}/deviceCompliancePolicyStates``: a v1.0 navigation of
        managedDevice (in the CSDL; it has no reference page of its own), read with the device permission.
        """
        items = await self._get_paged(
            f"/deviceManagement/managedDevices/{path_segment(device_id)}/deviceCompliancePolicyStates",
            None,
            operation="device_compliance_policy_states",
            permission=_PERM_DEVICES_READ,
        )
        return [CompliancePolicyState.from_graph(item) for item in items]

    async def get_compliance_policy(self, policy_id: str) -> CompliancePolicy:
        """A compliance policy's requirements (minimum OS version, passcode length...), to quote them to the user.

        ``GET /deviceManagement/deviceCompliancePolicies/{id}`` needs DeviceManagementConfiguration.Read.All.
        """
        body = await self._get_json(
            f"/deviceManagement/deviceCompliancePolicies/{path_segment(policy_id)}",
            None,
            operation="get_compliance_policy",
            permission=_PERM_CONFIG_READ,
        )
        return CompliancePolicy.from_graph(_entity(body))

    # ------------------------------------------------------------------------------------------- directory

    async def check_member_groups(self, user_id: str, group_ids: Iterable[str]) -> set[str]:
        """The subset of ``group_ids`` the user belongs to, transitively (Graph takes 20 ids per call)."""
        ids = list(dict.fromkeys(group_ids))
        found: set[str] = set()
        for start in range(0, len(ids), _CHECK_MEMBER_GROUPS_MAX):
            chunk = ids[start : start + _CHECK_MEMBER_GROUPS_MAX]
            resp = await self._request(
                "POST",
                self._url(f"/users/{path_segment(user_id)}/checkMemberGroups"),
                operation="check_member_groups",
                permission=_PERM_GROUPS_READ,
                json_body={"groupIds": chunk},
                idempotent=True,  # a read despite the POST
            )
            body = resp.body if isinstance(resp.body, dict) else {}
            found.update(str(g) for g in body.get("value") or ())
        found_lower = {f.lower() for f in found}
        return {g for g in ids if g.lower() in found_lower}

    _USER_SELECT = ",".join(User.GRAPH_FIELDS)

    async def find_users(self, query: str, *, limit: int = 25) -> list[User]:
        """Users whose display name or UPN starts with ``query`` (case-insensitive in Graph)."""
        query = query.strip()
        if not query:
            return []
        literal = odata_string(query)
        body = await self._get_json(
            "/users",
            {
                "$filter": f"startswith(displayName,{literal}) or startswith(surname,{literal})"
                f" or userPrincipalName eq {literal} or startswith(userPrincipalName,{literal})",
                "$select": self._USER_SELECT,
                "$top": str(limit),
            },
            operation="find_users",
            permission=_PERM_USERS_READ,
        )
        items = body.get("value") if isinstance(body, dict) else None
        return [User.from_graph(item) for item in items or () if isinstance(item, dict)]

    async def get_user(self, id_or_upn: str) -> User:
        """One user by object id or UPN."""
        body = await self._get_json(
            f"/users/{path_segment(id_or_upn)}",
            {"$select": self._USER_SELECT},
            operation="get_user",
            permission=_PERM_USERS_READ,
        )
        return User.from_graph(_entity(body))

    async def user_license_details(self, user_id: str) -> list[LicenseDetail]:
        """The user's licenses (an Intune plan is needed to enroll)."""
        items = await self._get_paged(
            f"/users/{path_segment(user_id)}/licenseDetails",
            None,
            operation="user_license_details",
            permission=_PERM_USERS_READ,
        )
        return [LicenseDetail.from_graph(item) for item in items]

    async def user_member_of(self, user_id: str) -> list[Group]:
        """Groups the user belongs to, direct and nested (paged)."""
        items = await self._get_paged(
            f"/users/{path_segment(user_id)}/transitiveMemberOf/microsoft.graph.group",
            {"$select": "id,displayName"},
            operation="user_member_of",
            permission=_PERM_GROUPS_READ,
        )
        return [Group.from_graph(item) for item in items]

    async def enrollment_failures(self, user_id: str) -> list[EnrollmentFailure]:
        """The user's enrollment troubleshooting events, newest first."""
        items = await self._get_paged(
            f"/users/{path_segment(user_id)}/deviceManagementTroubleshootingEvents",
            None,
            operation="enrollment_failures",
            permission=_PERM_DEVICES_READ,
        )
        events = [EnrollmentFailure.from_graph(item) for item in items]
        events.sort(key=lambda e: e.event_datetime.timestamp() if e.event_datetime else 0.0, reverse=True)
        return events

    # ------------------------------------------------------------------------------------------- apps

    async def user_app_registrations(self, user_id: str) -> list[AppRegistration]:
        """The user's app protection (MAM) registrations: one per protected app per device (all pages).

        ``GET /users/{id}/managedAppRegistrations`` needs DeviceManagementApps.Read.All.
        """
        items = await self._get_paged(
            f"/users/{path_segment(user_id)}/managedAppRegistrations",
            {"$select": ",".join(AppRegistration.GRAPH_FIELDS)},
            operation="user_app_registrations",
            permission=_PERM_APPS_READ,
        )
        return [AppRegistration.from_graph(item) for item in items]


def _entity(body: Any) -> dict[str, Any]:
    """A single entity; tolerate the docs' ``{"value": {...}}`` wrapping."""
    if isinstance(body, dict) and isinstance(body.get("value"), dict) and "id" not in body:
        return body["value"]
    return body if isinstance(body, dict) else {}


def _error_details(body: Any) -> tuple[str | None, str | None]:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return (
            str(err["code"]) if err.get("code") else None,
            str(err["message"]) if err.get("message") else None,
        )
    return None, None


def _inner_request_id(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        inner = body["error"].get("innerError") or body["error"].get("innererror")
        if isinstance(inner, dict) and inner.get("request-id"):
            return str(inner["request-id"])
    return None
