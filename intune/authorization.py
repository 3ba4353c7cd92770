"""Who may act on which device, decided server-side at the moment of acting.

Rules, in order: the caller's tenant must be allowed (an empty allow-list allows every tenant); a device's primary
user may act on it; members of the configured help desk Entra groups (checked transitively with Graph
``checkMemberGroups``, cached per user for a few minutes) may act on any device. A "no" is a ``Decision`` with a
reason, never an exception, so callers can tell the user why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from intune.errors import GraphError, GraphNotFound
from intune.models import Caller, Device

__all__ = ["AuthorizationPolicy", "Decision", "MemberGroupChecker", "Reason"]

logger = logging.getLogger(__name__)


class Reason(StrEnum):
    """Why a decision went the way it did (stable strings: logged, audited, mapped to messages)."""

    OWNER = "owner"
    AGENT = "agent"
    SELF = "self"
    NOT_ALLOWED_TENANT = "not_allowed_tenant"
    NOT_OWNER = "not_owner"
    NOT_AGENT = "not_agent"
    NO_IDENTITY = "no_identity"
    AGENT_CHECK_FAILED = "agent_check_failed"


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may this caller do that?"; ``as_agent`` says the help desk role was what allowed it."""

    allowed: bool
    reason: Reason
    as_agent: bool = False

    def __bool__(self) -> bool:
        return self.allowed


class MemberGroupChecker(Protocol):
    """The one Graph call authorization needs (``GraphClient`` provides it)."""

    async def check_member_groups(self, user_id: str, group_ids: Iterable[str]) -> set[str]: ...


class AuthorizationPolicy:
    """Tenant allow-list, device ownership and help desk group membership.

    ``clock`` (monotonic seconds) is injectable so tests can age the membership cache.
    """

    def __init__(
        self,
        graph: MemberGroupChecker,
        *,
        allowed_tenants: Iterable[str] = (),
        agent_group_ids: Iterable[str] = (),
        cache_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_cache_entries: int = 10_000,
    ) -> None:
        self._graph = graph
        self._tenants = frozenset(t.lower() for t in allowed_tenants)
        self._groups = tuple(dict.fromkeys(g.lower() for g in agent_group_ids))
        self._ttl = cache_ttl
        self._clock = clock
        self._max_entries = max_cache_entries
        self._cache: dict[str, tuple[bool, float]] = {}
        self.group_checks = 0  # Graph checkMemberGroups round trips made (observability and tests)

    @property
    def agent_group_ids(self) -> tuple[str, ...]:
        return self._groups

    def tenant_decision(self, caller: Caller) -> Decision:
        """Is the caller's tenant served at all (and does the caller carry an identity)?"""
        if not caller.aad_object_id:
            return Decision(False, Reason.NO_IDENTITY)
        if self._tenants and (caller.tenant_id or "").lower() not in self._tenants:
            return Decision(False, Reason.NOT_ALLOWED_TENANT)
        return Decision(True, Reason.SELF)

    async def agent_decision(self, caller: Caller) -> Decision:
        """Is the caller a help desk agent (member of one of the configured groups)?"""
        tenant = self.tenant_decision(caller)
        if not tenant:
            return tenant
        return await self._agent(caller)

    async def is_agent(self, caller: Caller) -> bool:
        return (await self.agent_decision(caller)).allowed

    async def can_act_on(self, caller: Caller, device: Device) -> Decision:
        """May ``caller`` act on ``device``? The device must come from Graph, never from card data."""
        tenant = self.tenant_decision(caller)
        if not tenant:
            return tenant
        if device.user_id and device.user_id.lower() == caller.aad_object_id.lower():
            return Decision(True, Reason.OWNER)
        agent = await self._agent(caller)
        if agent:
            return agent
        return Decision(False, Reason.NOT_OWNER if agent.reason == Reason.NOT_AGENT else agent.reason)

    async def can_view_user(self, caller: Caller, user_id: str) -> Decision:
        """May ``caller`` see this user's devices and troubleshooting data (themselves, or as an agent)?"""
        tenant = self.tenant_decision(caller)
        if not tenant:
            return tenant
        if user_id.lower() == caller.aad_object_id.lower():
            return Decision(True, Reason.SELF)
        return await self._agent(caller)

    def forget(self, caller: Caller | None = None) -> None:
        """Drop cached memberships (all, or one caller's), e.g. after a role change."""
        if caller is None:
            self._cache.clear()
        else:
            self._cache.pop(self._key(caller), None)

    @staticmethod
    def _key(caller: Caller) -> str:
        return f"{(caller.tenant_id or '').lower()}/{caller.aad_object_id.lower()}"

    async def _agent(self, caller: Caller) -> Decision:
        if not self._groups:
            return Decision(False, Reason.NOT_AGENT)
        key = self._key(caller)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            is_agent = cached[0]
        else:
            try:
                self.group_checks += 1
                found = await self._graph.check_member_groups(caller.aad_object_id, self._groups)
            except GraphNotFound:
                found = set()  # not a user of this tenant: certainly not one of its agents
            except GraphError as exc:
                # Fail closed, and do not cache: the next request asks Graph again.
                logger.warning("help desk group check failed: %s", exc)
                return Decision(False, Reason.AGENT_CHECK_FAILED)
            is_agent = bool({g.lower() for g in found} & set(self._groups))
            self._remember(key, is_agent, now)
        return Decision(True, Reason.AGENT, as_agent=True) if is_agent else Decision(False, Reason.NOT_AGENT)

    def _remember(self, key: str, value: bool, now: float) -> None:
        if len(self._cache) >= self._max_entries:
            for stale in [k for k, (_, exp) in self._cache.items() if exp <= now]:
                del self._cache[stale]
            if len(self._cache) >= self._max_entries:
                self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (value, now + self._ttl)
