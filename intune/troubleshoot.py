"""The Intune troubleshooting pane for one user, as a plain summary: account, license, devices, groups, failures
and apps (app protection registrations).

Agents only (help desk group, allowed tenant). The target user must be found in the tenant the Graph client
serves, which must be the caller's tenant: anything else yields nothing. No Bot Framework types here.

Graph failures propagate, except on the apps area: it needs its own permission (DeviceManagementApps.Read.All)
that a deployment made before it existed may not have consented, so a Graph error there leaves the rest of the
summary intact and is reported in ``UserSummary.apps_error`` ("apps unavailable") instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from intune.authorization import AuthorizationPolicy
from intune.errors import GraphError
from intune.graph_client import GraphClient
from intune.models import AppRegistration, Caller, Device, EnrollmentFailure, Group, LicenseDetail, User
from intune.targets import fold, resolve_users

__all__ = [
    "FAILURE_WINDOW",
    "Candidates",
    "FailureSummary",
    "Refusal",
    "RefusalReason",
    "TroubleshootService",
    "UserSummary",
    "app_severity",
    "device_severity",
]

log = logging.getLogger(__name__)

FAILURE_WINDOW = timedelta(days=30)
MAX_CANDIDATES = 10

# Worst first: a pending wipe/retire, then compliance problems, then the healthy ones.
_COMPLIANCE_RANK = {
    "noncompliant": 1,
    "error": 2,
    "conflict": 3,
    "inGracePeriod": 4,
    "unknown": 5,
    "configManager": 6,
    "compliant": 7,
}


class RefusalReason(StrEnum):
    NOT_AGENT = "not_agent"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Nothing to show: the caller may not troubleshoot users, or no such user exists in the caller's tenant."""

    reason: RefusalReason


@dataclass(frozen=True, slots=True)
class Candidates:
    """Several users match the query: let the agent pick one."""

    query: str
    users: tuple[User, ...]


@dataclass(frozen=True, slots=True)
class FailureSummary:
    """An enrollment failure with the knowledge base's enrollment entry it matches (None when unknown)."""

    failure: EnrollmentFailure
    entry_id: str | None


@dataclass(frozen=True, slots=True)
class UserSummary:
    """What the troubleshooting pane shows about a user, summarized for large tenants."""

    user: User
    licenses: tuple[LicenseDetail, ...]
    devices: tuple[Device, ...]  # every device, worst first
    compliance_counts: tuple[tuple[str, int], ...]  # (state, count), worst first
    groups: tuple[Group, ...]  # first ``max_groups`` names, alphabetically
    group_count: int
    failures: tuple[FailureSummary, ...]  # last 30 days, newest first
    generated: datetime
    apps: tuple[AppRegistration, ...] = ()  # every app protection registration, flagged first, then stalest
    apps_error: GraphError | None = None  # set when Graph could not list them: the apps area is unavailable

    @property
    def app_count(self) -> int:
        return len(self.apps)

    @property
    def flagged_apps(self) -> tuple[AppRegistration, ...]:
        """Apps on a device Intune flagged (rooted/jailbroken...): app protection blocks or wipes their data."""
        return tuple(a for a in self.apps if a.flagged)

    @property
    def intune_licensed(self) -> bool:
        return any(lic.includes_intune for lic in self.licenses)

    @property
    def device_count(self) -> int:
        return len(self.devices)

    @property
    def pending_removal(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.pending_removal)

    @property
    def noncompliant_count(self) -> int:
        return sum(1 for d in self.devices if d.compliance_state == "noncompliant")


def device_severity(device: Device) -> tuple[int, int, float, str]:
    """Sort key, worst first: pending removal, then by compliance, then the longest without check-in."""
    last = device.last_sync.timestamp() if device.last_sync else 0.0
    return (
        0 if device.pending_removal else 1,
        _COMPLIANCE_RANK.get(device.compliance_state, 5),
        last,
        fold(device.name),
    )


def app_severity(app: AppRegistration) -> tuple[int, float, str, str]:
    """Sort key, worst first: flagged devices, then the longest without an app protection check-in."""
    last = app.last_sync.timestamp() if app.last_sync else 0.0
    return (0 if app.flagged else 1, last, fold(app.app_name), fold(app.device_name))


class TroubleshootService:
    """Build a user's troubleshooting summary for a help desk agent.

    ``kb_lookup`` maps an enrollment failure reason (as Graph words it) to a knowledge base enrollment entry id.
    ``tenant_id`` is the tenant the Graph client serves: callers from another tenant get nothing.
    """

    def __init__(
        self,
        graph: GraphClient,
        authz: AuthorizationPolicy,
        kb_lookup: Callable[[str], str | None] | None = None,
        *,
        tenant_id: str | None = None,
        max_groups: int = 10,
        failure_window: timedelta = FAILURE_WINDOW,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._graph = graph
        self._authz = authz
        self._kb_lookup = kb_lookup
        self._tenant = tenant_id.lower() if tenant_id else None
        self._max_groups = max_groups
        self._window = failure_window
        self._clock = clock

    async def summary(self, caller: Caller, query: str) -> UserSummary | Refusal | Candidates:
        """Authorize, resolve ``query`` (UPN, object id or name), then fetch everything in parallel.

        Graph errors (intune.errors) propagate, so the caller can explain them; except those listing the apps,
        which only mark that area unavailable (``UserSummary.apps_error``).
        """
        decision = await self._authz.agent_decision(caller)
        if not decision.allowed:
            return Refusal(RefusalReason.NOT_AGENT)
        if self._tenant and (caller.tenant_id or "").lower() != self._tenant:
            return Refusal(RefusalReason.NOT_FOUND)
        query = query.strip().strip("\"'“”«» ").strip()
        if not query:
            return Refusal(RefusalReason.NOT_FOUND)
        users = await resolve_users(self._graph, query)
        if not users:
            return Refusal(RefusalReason.NOT_FOUND)
        if len(users) > 1:
            return Candidates(query, tuple(users[:MAX_CANDIDATES]))
        user = users[0]
        if not (await self._authz.can_view_user(caller, user.id)).allowed:
            return Refusal(RefusalReason.NOT_AGENT)
        return await self._fetch(user)

    async def _fetch(self, user: User) -> UserSummary:
        results = await asyncio.gather(
            self._graph.get_user(user.id),
            self._graph.user_license_details(user.id),
            self._graph.list_user_devices(user.id),
            self._graph.user_member_of(user.id),
            self._graph.enrollment_failures(user.id),
            self._graph.user_app_registrations(user.id),
            return_exceptions=True,
        )
        *core, apps = results
        for result in core:  # every call has finished: raise the first failure, none left unretrieved
            if isinstance(result, BaseException):
                raise result
        apps_error: GraphError | None = None
        if isinstance(apps, GraphError):
            log.warning("app protection registrations unavailable for %s: %s", user.id, apps)
            apps_error, apps = apps, []
        elif isinstance(apps, BaseException):  # not a Graph answer (a bug, a cancellation): no reason to hide it
            raise apps
        fresh, licenses, devices, groups, failures = core
        assert isinstance(fresh, User)
        now = self._clock()
        devices_sorted = tuple(sorted(devices, key=device_severity))  # type: ignore[arg-type]
        counts = Counter(d.compliance_state for d in devices_sorted)
        compliance = tuple(
            sorted(counts.items(), key=lambda kv: (_COMPLIANCE_RANK.get(kv[0], 5), kv[0]))
        )
        group_list = sorted(groups, key=lambda g: fold(g.display_name))  # type: ignore[arg-type]
        recent = tuple(
            FailureSummary(f, self._match(f.failure_reason))
            for f in failures  # type: ignore[union-attr]
            if f.event_datetime is None or f.event_datetime >= now - self._window
        )
        return UserSummary(
            user=fresh,
            licenses=tuple(licenses),  # type: ignore[arg-type]
            devices=devices_sorted,
            compliance_counts=compliance,
            groups=tuple(group_list[: self._max_groups]),
            group_count=len(group_list),
            failures=recent,
            generated=now,
            apps=tuple(sorted(apps, key=app_severity)),  # type: ignore[arg-type]
            apps_error=apps_error,
        )

    def _match(self, reason: str) -> str | None:
        if not reason or self._kb_lookup is None:
            return None
        try:
            return self._kb_lookup(reason)
        except (KeyError, ValueError):
            return None
