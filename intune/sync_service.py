"""Device sync as a two-step, exactly-once, audited operation.

Step 1, ``request_confirmation``: authorize, check the device's cooldown, store a one-time confirmation bound to the
caller and the device. Step 2, ``confirm``: consume that confirmation atomically, re-authorize against Graph (card
data is never trusted), reserve the cooldown slot with an eTag write, write the INTENT to the audit log, call
syncDevice once, and audit the outcome.

Every syncDevice call Graph may have accepted has an audit record, whatever happens next: the intent record reads
"outcome unknown" until the outcome record of the same attempt supersedes it, so a crash (or a store that fails after
Graph answered) leaves "outcome unknown", never nothing; and if the intent cannot be written, Graph is not called.
A Graph call that failed for sure (403, 404, 429) releases the cooldown; one whose outcome is unknown (a timeout or a
5xx on the POST) keeps it, so nobody syncs the device twice in a row without knowing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from intune.authorization import AuthorizationPolicy, Decision, Reason
from intune.errors import (
    GraphAuthError,
    GraphError,
    GraphForbidden,
    GraphNotFound,
    GraphThrottled,
    GraphTimeout,
    GraphUnavailable,
)
from intune.graph_client import GraphClient
from intune.models import ActionStatus, Caller, Device, User
from intune.targets import device_matches, fold, loose_matches, parse_device_target, resolve_users
from storage.base import ConcurrencyError, Store

__all__ = [
    "AuditEntry",
    "Confirmation",
    "DeviceSearch",
    "NotAuthorized",
    "SyncOutcome",
    "SyncService",
    "SyncStatus",
    "settled_audit",
]

logger = logging.getLogger(__name__)

AUDIT_LOG = "audit"
_CONFIRM_PREFIX = "confirm/"
_COOLDOWN_PREFIX = "cooldown/"
_CONFIRMATION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_BULK = 20
"""Devices one bulk confirmation may sync (each is its own syncDevice call, audited on its own)."""
# Keep a used-up or expired confirmation's record a while longer so the user hears "expired", not "already used".
_EXPIRED_GRACE = 3600.0


class SyncStatus(StrEnum):
    """Every way a sync request can end; the Teams layer maps each to a message."""

    REQUESTED = "requested"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"
    NOT_YOURS = "not_yours"
    FORBIDDEN = "forbidden"
    COOLDOWN = "cooldown"
    DEVICE_GONE = "device_gone"
    THROTTLED = "throttled"
    TIMEOUT = "timeout"
    GRAPH_ERROR = "graph_error"
    PERMISSION_MISSING = "permission_missing"
    PENDING_ACTION = "pending_action"
    """A wipe, retire or Fresh Start waits for the device's next check-in, which a sync would trigger: refused to
    end users; an agent must acknowledge that exact action (``reason`` names it)."""
    OUTCOME_UNKNOWN = "outcome_unknown"
    """syncDevice timed out or answered 5xx: Intune may or may not have queued the sync."""


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A pending, one-time sync confirmation: put ``id`` (only) in the card's submit data."""

    id: str
    device: Device
    expires_at: datetime
    pending_action: str | None = None
    """Set (to "wipe", "retire", "freshStart"...) when that action runs as soon as the device checks in; only an
    agent gets such a confirmation, and must pass the same value as ``acknowledge`` to ``confirm``."""


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """How a sync request ended.

    ``reason`` refines the status (an authorization ``Reason`` value, the missing permission, a Graph error code);
    ``retry_at`` is when trying again makes sense (cooldown end, throttling hint); ``last_requested`` is when the
    device was last synced through the bot (cooldown); ``requested_at`` is when this request was accepted.
    """

    status: SyncStatus
    device: Device | None = None
    request_id: str | None = None
    reason: str | None = None
    retry_at: datetime | None = None
    last_requested: datetime | None = None
    requested_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status is SyncStatus.REQUESTED


@dataclass(frozen=True, slots=True)
class DeviceSearch:
    """Devices answering a request like "Alice's iPad"; empty with ``refused`` set when the caller may not look.

    ``user`` is the other user whose devices these are (agents only); ``candidates`` lists users when a name
    matched several people; ``unknown_user`` echoes a user hint that matched nobody.
    """

    devices: tuple[Device, ...]
    user: User | None = None
    refused: Reason | None = None
    as_agent: bool = False
    candidates: tuple[User, ...] = ()
    unknown_user: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who asked to sync which device (whose device it is), when, and what happened."""

    at: datetime
    caller_id: str
    caller_name: str | None
    caller_upn: str | None
    tenant_id: str
    device_id: str
    device_name: str | None
    device_user_id: str | None
    device_user_upn: str | None
    outcome: str
    request_id: str | None = None
    reason: str | None = None
    as_agent: bool = False
    action: str = "syncDevice"
    attempt: str | None = None
    """Pairs an intent record (written before Graph is called) with the outcome record written after."""
    phase: str = "outcome"
    """``intent`` or ``outcome``; an intent without an outcome of the same attempt reads "outcome unknown"."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "phase": self.phase,
            "at": self.at.isoformat(),
            "action": self.action,
            "caller_id": self.caller_id,
            "caller_name": self.caller_name,
            "caller_upn": self.caller_upn,
            "tenant_id": self.tenant_id,
            "device_id": self.device_id,
            "device_name": self.device_name,
            "device_user_id": self.device_user_id,
            "device_user_upn": self.device_user_upn,
            "outcome": self.outcome,
            "request_id": self.request_id,
            "reason": self.reason,
            "as_agent": self.as_agent,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEntry:
        return cls(
            at=datetime.fromisoformat(data["at"]),
            caller_id=data.get("caller_id", ""),
            caller_name=data.get("caller_name"),
            caller_upn=data.get("caller_upn"),
            tenant_id=data.get("tenant_id", ""),
            device_id=data.get("device_id", ""),
            device_name=data.get("device_name"),
            device_user_id=data.get("device_user_id"),
            device_user_upn=data.get("device_user_upn"),
            outcome=data.get("outcome", ""),
            request_id=data.get("request_id"),
            reason=data.get("reason"),
            as_agent=bool(data.get("as_agent", False)),
            action=data.get("action", "syncDevice"),
            attempt=data.get("attempt"),
            phase=data.get("phase", "outcome"),
        )


class NotAuthorized(PermissionError):
    """Raised by read operations (``status``) when the caller may not see the device."""

    def __init__(self, outcome: SyncOutcome) -> None:
        super().__init__(outcome.reason or outcome.status.value)
        self.outcome = outcome


@dataclass(slots=True)
class _Checked:
    device: Device | None = None
    decision: Decision | None = None
    outcome: SyncOutcome | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class SyncService:
    """Find devices, confirm and run syncDevice exactly once, report status, keep the audit trail.

    ``clock`` returns epoch seconds; it governs confirmation expiry and cooldowns (tests inject a fake one).
    ``cooldown_namespace`` keys cooldowns to one Intune: the embedded demo tenant starts fresh on each run, so
    its cooldowns must too (a sync remembered from the last run would refuse a device whose fresh state shows
    no recent sync).
    """

    def __init__(
        self,
        graph: GraphClient,
        store: Store,
        authz: AuthorizationPolicy,
        *,
        confirmation_ttl: float = 600.0,
        cooldown: float = 300.0,
        clock: Callable[[], float] = time.time,
        audit_log_name: str = AUDIT_LOG,
        cooldown_namespace: str = "",
    ) -> None:
        self._graph = graph
        self._store = store
        self._authz = authz
        self._ttl = confirmation_ttl
        self._cooldown = cooldown
        self._clock = clock
        self._audit_log = audit_log_name
        self._cooldown_ns = cooldown_namespace

    def _cooldown_key(self, device_id: str) -> str:
        """``cooldown_namespace`` scopes cooldowns to one Intune, e.g. the embedded demo tenant of one run."""
        return f"{_COOLDOWN_PREFIX}{self._cooldown_ns}{device_id}"

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # ------------------------------------------------------------------------------------------- finding devices

    async def devices_for(self, caller: Caller, target: str | None = None) -> DeviceSearch:
        """The caller's own devices, or (agents only) another user's, or devices matching a name.

        ``target`` is free text ("DESKTOP-42", "alice@contoso.com's iPhone", "l'iPad d'Alice"); an end user only
        ever gets their own devices back.
        """
        tenant = self._authz.tenant_decision(caller)
        if not tenant:
            return DeviceSearch((), refused=tenant.reason)
        if not target or not target.strip():
            return DeviceSearch(tuple(await self._graph.list_user_devices(caller.aad_object_id)))

        user_hint, device_hint = parse_device_target(target)
        if user_hint and not self._is_self(caller, user_hint):
            return await self._other_users_devices(caller, target, user_hint, device_hint)

        own = await self._graph.list_user_devices(caller.aad_object_id)
        literal = [d for d in own if fold(d.name) == fold(target)]
        matches = (literal or _named(own, device_hint) or [d for d in own if device_matches(d, device_hint)]
                   or loose_matches(own, device_hint))
        if literal or not device_hint:
            return DeviceSearch(tuple(matches))
        if matches and not _looks_like_a_name(device_hint):
            return DeviceSearch(tuple(matches))
        agent = await self._authz.agent_decision(caller)
        if not agent:
            return DeviceSearch(tuple(matches))
        if matches:
            # "DESKTOP-42" may start several devices' names, not only the agent's own: list them all.
            others = await self._graph.find_devices(name=device_hint, name_prefix=True)
            merged = {d.id: d for d in [*matches, *others]}
            return DeviceSearch(tuple(merged.values()), as_agent=len(merged) > len(matches))
        found = await self._graph.find_devices(name=device_hint)
        if not found:
            found = await self._graph.find_devices(name=device_hint, name_prefix=True)
        return DeviceSearch(tuple(found), as_agent=True)

    async def _other_users_devices(
        self, caller: Caller, target: str, user_hint: str, device_hint: str | None
    ) -> DeviceSearch:
        agent = await self._authz.agent_decision(caller)
        if not agent:
            # "Alice's iPhone" may simply be the literal name of one of the caller's own devices.
            own = await self._graph.list_user_devices(caller.aad_object_id)
            literal = tuple(d for d in own if fold(d.name) == fold(target))
            return DeviceSearch(literal) if literal else DeviceSearch((), refused=agent.reason)

        users = await resolve_users(self._graph, user_hint)
        if len(users) != 1:
            literal = tuple(await self._graph.find_devices(name=target.strip()))
            if literal:
                return DeviceSearch(literal, as_agent=True)
            if users:
                return DeviceSearch((), as_agent=True, candidates=tuple(users))
            return DeviceSearch((), as_agent=True, unknown_user=user_hint)
        user = users[0]
        devices = await self._graph.list_user_devices(user.id)
        return DeviceSearch(
            tuple(d for d in devices if device_matches(d, device_hint)), user=user, as_agent=True
        )

    @staticmethod
    def _is_self(caller: Caller, hint: str) -> bool:
        wanted = fold(hint)
        names = {fold(caller.aad_object_id)}
        if caller.upn:
            names |= {fold(caller.upn), fold(caller.upn.split("@")[0])}
        if caller.name:
            names |= {fold(caller.name), fold(caller.name.split(" ")[0])}
        return wanted in names

    # ------------------------------------------------------------------------------------------- sync

    async def request_confirmation(self, caller: Caller, device_id: str) -> Confirmation | SyncOutcome:
        """Authorize and check the cooldown, then store a one-time confirmation; a ``SyncOutcome`` says why not."""
        checked = await self._authorized_device(caller, device_id, with_actions=True)
        if checked.outcome is not None:
            return checked.outcome
        device = checked.device
        assert device is not None
        pending = device.pending_action
        if pending and not await self._authz.is_agent(caller):
            return SyncOutcome(SyncStatus.PENDING_ACTION, device, reason=pending)
        cooldown = await self._active_cooldown(device)
        if cooldown is not None:
            return cooldown
        confirmation_id = secrets.token_urlsafe(24)
        now = self._clock()
        expires_at = now + self._ttl
        await self._store.put(
            _CONFIRM_PREFIX + confirmation_id,
            {
                "nonce": uuid.uuid4().hex,
                "caller_id": caller.aad_object_id,
                "tenant_id": caller.tenant_id,
                "device_id": device.id,
                "device_name": device.name,
                "device_user_id": device.user_id,
                "device_user_upn": device.user_principal_name,
                "created": now,
                "expires_at": expires_at,
                "pending_action": pending,
            },
            etag="*",
            ttl=self._ttl + _EXPIRED_GRACE,
        )
        return Confirmation(confirmation_id, device, datetime.fromtimestamp(expires_at, UTC), pending)

    async def confirm(
        self,
        caller: Caller,
        confirmation_id: str,
        *,
        device_id: str | None = None,
        acknowledge: str | None = None,
    ) -> SyncOutcome:
        """Run the confirmed sync exactly once. ``device_id`` (from card data) is only cross-checked, never used.

        A device with a pending wipe/retire/Fresh Start is synced only for a help desk agent (checked here, from
        Graph, whatever the card says) who passes ``acknowledge`` equal to that pending action (the distinct
        "Yes, sync and run the pending wipe" button); a plain "yes" leaves the confirmation unused.
        """
        if not isinstance(confirmation_id, str) or not _CONFIRMATION_ID.match(confirmation_id):
            return SyncOutcome(SyncStatus.ALREADY_USED)
        key = _CONFIRM_PREFIX + confirmation_id
        record = await self._store.get(key)
        if record is None:
            return SyncOutcome(SyncStatus.ALREADY_USED)
        bound = record.value
        if bound.get("caller_id", "").lower() != caller.aad_object_id.lower() or (
            (bound.get("tenant_id") or "").lower() != (caller.tenant_id or "").lower()
        ):
            # Not consumed: someone else's click must not burn the owner's confirmation.
            return await self._finish(caller, bound, SyncOutcome(SyncStatus.NOT_YOURS))
        if device_id is not None and device_id != bound.get("device_id"):
            await self._store.consume(key)
            return await self._finish(
                caller, bound, SyncOutcome(SyncStatus.FORBIDDEN, reason="device_mismatch")
            )
        if bound.get("pending_action") and acknowledge != bound.get("pending_action"):
            # Not consumed: the agent can still press the button that names the pending action.
            return SyncOutcome(SyncStatus.PENDING_ACTION, reason=str(bound["pending_action"]))

        consumed = await self._store.consume(key)
        if consumed is None or consumed.get("nonce") != bound.get("nonce"):
            return SyncOutcome(SyncStatus.ALREADY_USED)
        if self._clock() >= float(consumed.get("expires_at", 0)):
            return await self._finish(caller, consumed, SyncOutcome(SyncStatus.EXPIRED))

        checked = await self._authorized_device(caller, str(consumed["device_id"]), with_actions=True)
        if checked.outcome is not None:
            return await self._finish(caller, consumed, checked.outcome, checked.decision)
        device = checked.device
        assert device is not None
        pending = device.pending_action
        if pending and (acknowledge != pending or not await self._authz.is_agent(caller)):
            # Re-read from Graph now: a wipe queued after the confirmation, or forged card data, stops here.
            return await self._finish(
                caller, consumed, SyncOutcome(SyncStatus.PENDING_ACTION, device, reason=pending), checked.decision
            )

        try:
            reservation = await self._reserve_cooldown(device, caller)
            if isinstance(reservation, SyncOutcome):
                return await self._finish(caller, consumed, reservation, checked.decision)
            attempt = uuid.uuid4().hex
            try:
                await self._write_intent(caller, device, attempt, checked.decision)
            except BaseException:
                await self._release_cooldown_quietly(device.id, reservation)
                raise
        except Exception:
            # The store failed before Graph was called: nothing was synced and nothing could be recorded. Put
            # the confirmation back so that the user's "try again" works once the store answers.
            await self._restore_confirmation(key, consumed)
            raise

        requested_at = self._now()
        try:
            request_id = await self._graph.sync_device(device.id)
        except (GraphTimeout, GraphUnavailable) as exc:
            # The POST may have reached Intune: keep the cooldown (marked unknown) and say the outcome is unknown.
            outcome = SyncOutcome(
                SyncStatus.OUTCOME_UNKNOWN, device, exc.request_id,
                reason="timeout" if isinstance(exc, GraphTimeout) else (exc.code or str(exc.status or "")),
                retry_at=datetime.fromtimestamp(reservation["until"], UTC), requested_at=requested_at,
            )
            await self._mark_cooldown(device.id, reservation, "unknown", exc.request_id)
            logger.warning("syncDevice outcome unknown for %s: %s", device.id, type(exc).__name__)
            return await self._finish(caller, consumed, outcome, checked.decision, attempt=attempt)
        except GraphError as exc:
            await self._release_cooldown_quietly(device.id, reservation)
            outcome = self._graph_failure(exc, device)
            logger.warning("syncDevice failed for %s: %s", device.id, outcome.status)
            return await self._finish(caller, consumed, outcome, checked.decision, attempt=attempt)

        until = reservation["until"]
        await self._mark_cooldown(device.id, reservation, "requested", request_id)
        outcome = SyncOutcome(
            SyncStatus.REQUESTED,
            device,
            request_id=request_id,
            reason=checked.decision.reason.value if checked.decision else None,
            retry_at=datetime.fromtimestamp(until, UTC),
            requested_at=requested_at,
        )
        return await self._finish(caller, consumed, outcome, checked.decision, attempt=attempt)

    async def _write_intent(self, caller: Caller, device: Device, attempt: str, decision: Decision | None) -> None:
        """The audit record written BEFORE syncDevice; it reads "outcome unknown" until its outcome follows."""
        entry = self._entry(caller, {}, SyncOutcome(SyncStatus.OUTCOME_UNKNOWN, device, reason="no_outcome_recorded"),
                            decision, attempt=attempt, phase="intent")
        await self._store.append(self._audit_log, entry.to_dict())

    async def _mark_cooldown(self, device_id: str, reservation: dict[str, Any], state: str,
                             request_id: str | None) -> None:
        """Record how the call went on the cooldown slot; Graph has answered, so a store failure is only logged."""
        try:
            await self._store.put(
                self._cooldown_key(device_id),
                {
                    **{k: v for k, v in reservation.items() if k != "_etag"},
                    "state": state,
                    "request_id": request_id,
                },
                etag=reservation["_etag"],
                ttl=self._cooldown or None,
            )
        except ConcurrencyError:
            logger.info("cooldown record for %s changed meanwhile; keeping the newer one", device_id)
        except Exception:
            logger.warning("could not update the cooldown of %s (the reservation stands)", device_id, exc_info=True)

    async def _release_cooldown_quietly(self, device_id: str, reservation: dict[str, Any]) -> None:
        try:
            await self._release_cooldown(device_id, reservation)
        except Exception:
            logger.warning("could not release the cooldown of %s; it expires by itself", device_id, exc_info=True)

    async def _restore_confirmation(self, key: str, consumed: dict[str, Any]) -> None:
        remaining = float(consumed.get("expires_at", 0)) - self._clock()
        if remaining <= 0:
            return
        try:
            await self._store.put(key, consumed, etag="*", ttl=remaining + _EXPIRED_GRACE)
        except Exception:
            logger.warning("could not restore a confirmation after a store failure", exc_info=True)

    async def request_bulk_confirmation(self, caller: Caller, device_ids: list[str]) -> str:
        """One confirmation for several devices (at most ``MAX_BULK``); each is authorized, cooled down, synced
        and audited on its own when confirmed. Returns the id to put in the card."""
        bulk_id = secrets.token_urlsafe(24)
        now = self._clock()
        await self._store.put(
            _CONFIRM_PREFIX + bulk_id,
            {"nonce": uuid.uuid4().hex, "caller_id": caller.aad_object_id, "tenant_id": caller.tenant_id,
             "device_ids": list(dict.fromkeys(device_ids))[:MAX_BULK], "created": now, "expires_at": now + self._ttl,
             "bulk": True},
            etag="*", ttl=self._ttl + _EXPIRED_GRACE)
        return bulk_id

    async def confirm_bulk(self, caller: Caller, bulk_id: str) -> list[SyncOutcome]:
        """Run a bulk confirmation once: one syncDevice per device, each through the single-device checks."""
        if not isinstance(bulk_id, str) or not _CONFIRMATION_ID.match(bulk_id):
            return [SyncOutcome(SyncStatus.ALREADY_USED)]
        key = _CONFIRM_PREFIX + bulk_id
        record = await self._store.get(key)
        if record is None or not record.value.get("bulk"):
            return [SyncOutcome(SyncStatus.ALREADY_USED)]
        if record.value.get("caller_id", "").lower() != caller.aad_object_id.lower():
            return [SyncOutcome(SyncStatus.NOT_YOURS)]
        consumed = await self._store.consume(key)
        if consumed is None or consumed.get("nonce") != record.value.get("nonce"):
            return [SyncOutcome(SyncStatus.ALREADY_USED)]
        if self._clock() >= float(consumed.get("expires_at", 0)):
            return [SyncOutcome(SyncStatus.EXPIRED)]
        outcomes: list[SyncOutcome] = []
        for device_id in consumed.get("device_ids", [])[:MAX_BULK]:
            confirmation = await self.request_confirmation(caller, str(device_id))
            if isinstance(confirmation, SyncOutcome):
                outcomes.append(confirmation)
                continue
            outcomes.append(await self.confirm(caller, confirmation.id))
        return outcomes

    async def cancel(self, caller: Caller, confirmation_id: str) -> bool:
        """Withdraw a pending confirmation ("No"); only its own caller can. True when one was withdrawn."""
        if not isinstance(confirmation_id, str) or not _CONFIRMATION_ID.match(confirmation_id):
            return False
        key = _CONFIRM_PREFIX + confirmation_id
        record = await self._store.get(key)
        if record is None or record.value.get("caller_id") != caller.aad_object_id:
            return False
        return await self._store.consume(key) is not None

    async def status(self, caller: Caller, device_id: str) -> ActionStatus | None:
        """The device's last sync state as Graph reports it (pending/done...); raises ``NotAuthorized``."""
        checked = await self._authorized_device(caller, device_id, with_actions=True)
        if checked.outcome is not None:
            if checked.outcome.status in {SyncStatus.FORBIDDEN, SyncStatus.DEVICE_GONE}:
                raise NotAuthorized(checked.outcome)
            raise GraphError(f"status unavailable: {checked.outcome.status}", code=checked.outcome.reason)
        assert checked.device is not None
        return checked.device.sync_status

    async def wait_for_completion(
        self,
        device_id: str,
        *,
        timeout: float = 120.0,
        interval: float = 5.0,
        since: datetime | None = None,
    ) -> ActionStatus | None:
        """Poll until the sync action finishes (done/failed...) or ``timeout``; returns the last state seen.

        For the bot's proactive "your device has checked in" message; ``since`` ignores older sync entries (by
        default: the time of the last sync requested through this service, so an old "done" is not mistaken for the
        new one). Call it only after ``confirm`` succeeded for this device (it does not re-authorize).
        """
        if since is None:
            record = await self._store.get(self._cooldown_key(device_id))
            if record is not None and record.value.get("state") == "requested":
                since = datetime.fromtimestamp(float(record.value["at"]), UTC)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last: ActionStatus | None = None
        while True:
            try:
                actions = await self._graph.device_action_results(device_id)
            except (GraphThrottled, GraphTimeout, GraphUnavailable) as exc:
                logger.info("status poll for %s failed (%s); will retry", device_id, type(exc).__name__)
                actions = []
            for action in actions:
                if action.is_sync and (
                    since is None or action.started is None or action.started >= _minus(since, 2.0)
                ):
                    last = action
            if last is not None and last.finished:
                return last
            remaining = deadline - loop.time()
            if remaining <= 0:
                return last
            await asyncio.sleep(min(interval, remaining))

    # ------------------------------------------------------------------------------------------- audit

    async def audit_log(self, limit: int | None = None, device_name: str | None = None) -> list[AuditEntry]:
        """Audit entries, newest first, optionally only those for a device name (case/accent-insensitive)."""
        raw = settled_audit(await self._store.read_log(self._audit_log))
        if device_name is None:
            entries = [AuditEntry.from_dict(e) for e in raw]
        else:
            wanted = fold(device_name)
            entries = [
                AuditEntry.from_dict(e)
                for e in raw
                if fold(e.get("device_name") or "") == wanted or e.get("device_id") == device_name
            ]
        if limit is not None:
            entries = entries[-limit:] if limit > 0 else []
        entries.reverse()
        return entries

    async def who_synced(self, device_name: str) -> list[AuditEntry]:
        """Successful sync requests for a device, newest first."""
        return [
            e
            for e in await self.audit_log(device_name=device_name)
            if e.outcome == SyncStatus.REQUESTED.value
        ]

    # ------------------------------------------------------------------------------------------- internals

    async def _authorized_device(
        self, caller: Caller, device_id: str, *, with_actions: bool = False
    ) -> _Checked:
        """Fetch the device from Graph and decide; the only source of truth for ownership."""
        tenant = self._authz.tenant_decision(caller)
        if not tenant:
            return _Checked(
                outcome=SyncOutcome(SyncStatus.FORBIDDEN, reason=tenant.reason.value), decision=tenant
            )
        try:
            device = await self._graph.get_device(device_id, with_actions=with_actions)
        except ValueError:  # not even a valid path segment
            return _Checked(outcome=SyncOutcome(SyncStatus.DEVICE_GONE))
        except GraphError as exc:
            return _Checked(outcome=self._graph_failure(exc, None))
        decision = await self._authz.can_act_on(caller, device)
        if not decision:
            return _Checked(
                device=device,
                decision=decision,
                outcome=SyncOutcome(SyncStatus.FORBIDDEN, device, reason=decision.reason.value),
            )
        return _Checked(device=device, decision=decision)

    async def _active_cooldown(self, device: Device) -> SyncOutcome | None:
        record = await self._store.get(self._cooldown_key(device.id))
        if record is None or float(record.value.get("until", 0)) <= self._clock():
            return None
        return self._cooldown_outcome(device, record.value)

    def _cooldown_outcome(self, device: Device, value: dict[str, Any]) -> SyncOutcome:
        return SyncOutcome(
            SyncStatus.COOLDOWN,
            device,
            retry_at=datetime.fromtimestamp(float(value.get("until", 0)), UTC),
            last_requested=datetime.fromtimestamp(float(value.get("at", 0)), UTC),
            request_id=value.get("request_id"),
        )

    async def _reserve_cooldown(self, device: Device, caller: Caller) -> dict[str, Any] | SyncOutcome:
        """Claim the device's cooldown slot atomically (eTag write), so two confirmations cannot both sync."""
        key = self._cooldown_key(device.id)
        record = await self._store.get(key)
        now = self._clock()
        if record is not None and float(record.value.get("until", 0)) > now:
            return self._cooldown_outcome(device, record.value)
        value = {
            "token": uuid.uuid4().hex,
            "at": now,
            "until": now + self._cooldown,
            "by": caller.aad_object_id,
            "state": "in_flight",
        }
        try:
            etag = await self._store.put(
                key, value, etag=record.etag if record is not None else "*", ttl=self._cooldown or None
            )
        except ConcurrencyError:
            current = await self._store.get(key)
            return self._cooldown_outcome(device, current.value if current else value)
        return {**value, "_etag": etag}

    async def _release_cooldown(self, device_id: str, reservation: dict[str, Any]) -> None:
        key = self._cooldown_key(device_id)
        record = await self._store.get(key)
        if record is not None and record.value.get("token") == reservation.get("token"):
            await self._store.delete(key)

    def _graph_failure(self, exc: GraphError, device: Device | None) -> SyncOutcome:
        request_id = exc.request_id
        if isinstance(exc, GraphForbidden):
            return SyncOutcome(SyncStatus.PERMISSION_MISSING, device, request_id, reason=exc.permission)
        if isinstance(exc, GraphNotFound):
            return SyncOutcome(SyncStatus.DEVICE_GONE, device, request_id, reason=exc.code)
        if isinstance(exc, GraphThrottled):
            retry_at = (
                datetime.fromtimestamp(self._clock() + exc.retry_after, UTC)
                if exc.retry_after is not None
                else None
            )
            return SyncOutcome(SyncStatus.THROTTLED, device, request_id, reason=exc.code, retry_at=retry_at)
        if isinstance(exc, GraphTimeout):
            return SyncOutcome(SyncStatus.TIMEOUT, device, request_id)
        if isinstance(exc, GraphAuthError):
            return SyncOutcome(SyncStatus.GRAPH_ERROR, device, request_id, reason="auth")
        return SyncOutcome(
            SyncStatus.GRAPH_ERROR, device, request_id, reason=exc.code or str(exc.status or "")
        )

    async def _finish(
        self,
        caller: Caller,
        bound: dict[str, Any],
        outcome: SyncOutcome,
        decision: Decision | None = None,
        *,
        attempt: str | None = None,
    ) -> SyncOutcome:
        """Append the audit entry for a confirm attempt and return its outcome."""
        entry = self._entry(caller, bound, outcome, decision, attempt=attempt)
        try:
            await self._store.append(self._audit_log, entry.to_dict())
        except Exception:  # the audit must not turn a done sync into an error for the user; but say it loudly
            logger.exception("could not write the audit entry for device %s", entry.device_id)
        logger.info(
            "sync %s: device=%s caller=%s request-id=%s",
            outcome.status.value,
            entry.device_id,
            entry.caller_id,
            outcome.request_id,
        )
        return outcome

    def _entry(self, caller: Caller, bound: dict[str, Any], outcome: SyncOutcome, decision: Decision | None,
               *, attempt: str | None = None, phase: str = "outcome") -> AuditEntry:
        device = outcome.device
        return AuditEntry(
            at=self._now(),
            caller_id=caller.aad_object_id,
            caller_name=caller.name,
            caller_upn=caller.upn,
            tenant_id=caller.tenant_id,
            device_id=device.id if device else str(bound.get("device_id", "")),
            device_name=device.name if device else bound.get("device_name"),
            device_user_id=device.user_id if device else bound.get("device_user_id"),
            device_user_upn=device.user_principal_name if device else bound.get("device_user_upn"),
            outcome=outcome.status.value,
            request_id=outcome.request_id,
            reason=outcome.reason,
            as_agent=bool(decision and decision.as_agent),
            attempt=attempt,
            phase=phase,
        )


def settled_audit(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit as people read it: an intent record disappears once its attempt has an outcome record; one
    without (the bot died, or the store failed, after asking Graph) stays and reads "outcome unknown"."""
    finished = {e.get("attempt") for e in raw if e.get("phase", "outcome") == "outcome" and e.get("attempt")}
    return [e for e in raw if e.get("phase") != "intent" or e.get("attempt") not in finished]


def _named(devices: list[Device], hint: str | None) -> list[Device]:
    """Devices whose name holds a name-like hint as typed ("LAB-W11-01" is LAB-W11-010..019, not -001)."""
    if not hint or not _looks_like_a_name(hint):
        return []
    wanted = fold(hint)
    return [d for d in devices if wanted in fold(d.name)]


def _looks_like_a_name(hint: str) -> bool:
    """"DESKTOP-42", "LAB-W11": a device name or its start, not a kind of device ("iPhone", "laptop")."""
    return any(c.isdigit() for c in hint) or "-" in hint


def _minus(moment: datetime, seconds: float) -> datetime:
    return datetime.fromtimestamp(moment.timestamp() - seconds, UTC)
