"""Helpdesk tickets: the escalation path when the bot cannot help, kept in the store and audited.

A ticket is one JSON record under ``tickets/<tenant>/<number>``; numbers come from a per-tenant counter advanced
with an eTag compare-and-set, so two replicas never hand out the same number. A ticket is written whole, once,
with ``etag="*"``: a failure before that write leaves no ticket (at most a skipped number). Every change (assign,
resolve, reopen) is a compare-and-set on the ticket's eTag, so two agents clicking "Assign to me" at once end with
exactly one assignee, and the other is told who took it. Who may do what is decided here, from the caller, never
from card data. Each event is appended to the audit log next to the device syncs.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from intune.authorization import AuthorizationPolicy, Reason
from intune.errors import GraphError
from intune.models import Caller, Device, User
from storage.base import ConcurrencyError, Store

__all__ = [
    "HelpdeskChannel",
    "Person",
    "Ticket",
    "TicketDevice",
    "TicketDraft",
    "TicketError",
    "TicketEvent",
    "TicketOutcome",
    "TicketResult",
    "TicketService",
    "TicketState",
]

log = logging.getLogger(__name__)

AUDIT_LOG = "audit"
_PREFIX = "tickets/"
_MAX_DESCRIPTION = 2000
_MAX_LIST = 500  # tickets read back when listing (the newest ones)
_CAS_ATTEMPTS = 8
_DRAFT_TTL = 3600.0
_NUMBER = re.compile(r"^#?\s*(\d{1,9})$")


class TicketState(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class TicketOutcome(StrEnum):
    """How an action on a ticket ended; the conversation layer maps each to a message."""

    OK = "ok"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"  # not an agent (assign/resolve), not the requester (reopen/view)
    STALE = "stale"  # the card the click came from shows an older version of the ticket
    ALREADY_ASSIGNED = "already_assigned"  # someone else took it (``ticket.assignee`` says who)
    ALREADY_RESOLVED = "already_resolved"
    NOT_RESOLVED = "not_resolved"  # reopen on a ticket that is not resolved
    STORE_FAILED = "store_failed"


class TicketError(Exception):
    """The store failed while writing a ticket: nothing was recorded."""


@dataclass(frozen=True, slots=True)
class Person:
    """Someone on a ticket: requester, assignee or actor. ``teams_id`` may be empty (opened on their behalf)."""

    aad_object_id: str
    name: str = ""
    upn: str = ""
    teams_id: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"aad_object_id": self.aad_object_id, "name": self.name, "upn": self.upn, "teams_id": self.teams_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Person | None:
        if not isinstance(data, dict) or not data.get("aad_object_id"):
            return None
        return cls(str(data["aad_object_id"]), str(data.get("name") or ""), str(data.get("upn") or ""),
                   str(data.get("teams_id") or ""))

    @property
    def label(self) -> str:
        return self.name or self.upn or self.aad_object_id


@dataclass(frozen=True, slots=True)
class TicketDevice:
    """The requester's device as Graph reported it when the ticket was opened."""

    name: str
    os: str
    compliance: str
    last_sync: datetime | None
    pending: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "os": self.os, "compliance": self.compliance,
                "last_sync": self.last_sync.isoformat() if self.last_sync else None, "pending": list(self.pending)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TicketDevice:
        last = data.get("last_sync")
        return cls(str(data.get("name") or ""), str(data.get("os") or ""), str(data.get("compliance") or ""),
                   datetime.fromisoformat(last) if isinstance(last, str) and last else None,
                   tuple(str(p) for p in data.get("pending") or ()))

    @classmethod
    def from_device(cls, device: Device) -> TicketDevice:
        pending = [a.action for a in device.action_results if a.state == "pending"]
        if device.pending_removal:
            pending.append(device.management_state)
        os_name = " ".join(p for p in (device.operating_system, device.os_version) if p)
        return cls(device.name, os_name, device.compliance_state, device.last_sync, tuple(dict.fromkeys(pending)))


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One line of a ticket's history: who did what, when (``note``: a resolution note)."""

    at: datetime
    event: str  # created, assigned, resolved, reopened
    actor: Person
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "event": self.event, "actor": self.actor.to_dict(), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TicketEvent:
        actor = Person.from_dict(data.get("actor")) or Person("")
        return cls(datetime.fromisoformat(data["at"]), str(data.get("event") or ""), actor,
                   str(data.get("note") or ""))


@dataclass(frozen=True, slots=True)
class Ticket:
    number: int
    tenant_id: str
    requester: Person
    lang: str
    description: str
    created: datetime
    state: TicketState
    history: tuple[TicketEvent, ...]
    answers: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    devices: tuple[TicketDevice, ...] = ()
    assignee: Person | None = None
    opened_by: Person | None = None  # an agent who opened it on the requester's behalf
    thread: dict[str, str] | None = None  # where its card is in the helpdesk channel: conversation id, activity id
    revision: int = 1

    @property
    def resolution_note(self) -> str:
        for event in reversed(self.history):
            if event.event == "resolved":
                return event.note
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number, "tenant_id": self.tenant_id, "requester": self.requester.to_dict(),
            "lang": self.lang, "description": self.description, "created": self.created.isoformat(),
            "state": self.state.value, "history": [e.to_dict() for e in self.history],
            "answers": list(self.answers), "codes": list(self.codes), "devices": [d.to_dict() for d in self.devices],
            "assignee": self.assignee.to_dict() if self.assignee else None,
            "opened_by": self.opened_by.to_dict() if self.opened_by else None,
            "thread": dict(self.thread) if self.thread else None, "revision": self.revision,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ticket:
        requester = Person.from_dict(data.get("requester")) or Person("")
        thread = data.get("thread")
        return cls(
            number=int(data["number"]), tenant_id=str(data.get("tenant_id") or ""), requester=requester,
            lang=str(data.get("lang") or "en"), description=str(data.get("description") or ""),
            created=datetime.fromisoformat(data["created"]), state=TicketState(data.get("state") or "open"),
            history=tuple(TicketEvent.from_dict(e) for e in data.get("history") or ()),
            answers=tuple(str(a) for a in data.get("answers") or ()),
            codes=tuple(str(c) for c in data.get("codes") or ()),
            devices=tuple(TicketDevice.from_dict(d) for d in data.get("devices") or () if isinstance(d, dict)),
            assignee=Person.from_dict(data.get("assignee")), opened_by=Person.from_dict(data.get("opened_by")),
            thread={str(k): str(v) for k, v in thread.items()} if isinstance(thread, dict) else None,
            revision=int(data.get("revision") or 1),
        )


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """What the conversation gathered before the requester confirms: nothing is stored yet."""

    requester: Person
    tenant_id: str
    lang: str
    description: str
    answers: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    devices: tuple[TicketDevice, ...] = ()
    opened_by: Person | None = None
    conversation_id: str = ""  # where the request was made (a typed "yes" counts there only)

    def to_dict(self) -> dict[str, Any]:
        return {"requester": self.requester.to_dict(), "tenant_id": self.tenant_id, "lang": self.lang,
                "conversation_id": self.conversation_id,
                "description": self.description, "answers": list(self.answers), "codes": list(self.codes),
                "devices": [d.to_dict() for d in self.devices],
                "opened_by": self.opened_by.to_dict() if self.opened_by else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TicketDraft:
        return cls(
            requester=Person.from_dict(data.get("requester")) or Person(""), tenant_id=str(data.get("tenant_id") or ""),
            lang=str(data.get("lang") or "en"), description=str(data.get("description") or ""),
            answers=tuple(str(a) for a in data.get("answers") or ()), codes=tuple(str(c) for c in data.get("codes") or ()),
            devices=tuple(TicketDevice.from_dict(d) for d in data.get("devices") or () if isinstance(d, dict)),
            opened_by=Person.from_dict(data.get("opened_by")), conversation_id=str(data.get("conversation_id") or ""),
        )


@dataclass(frozen=True, slots=True)
class TicketResult:
    outcome: TicketOutcome
    ticket: Ticket | None = None
    changed: bool = False  # the action changed the ticket (notify the requester, update the card)

    @property
    def ok(self) -> bool:
        return self.outcome is TicketOutcome.OK


@dataclass(frozen=True, slots=True)
class HelpdeskChannel:
    """The Teams channel where a tenant's tickets are posted, and the language its agents chose it in."""

    reference: dict[str, Any]
    lang: str
    set_by: Person
    at: datetime
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "lang": self.lang, "set_by": self.set_by.to_dict(),
                "at": self.at.isoformat(), "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HelpdeskChannel:
        return cls(dict(data.get("reference") or {}), str(data.get("lang") or "en"),
                   Person.from_dict(data.get("set_by")) or Person(""), datetime.fromisoformat(data["at"]),
                   str(data.get("name") or ""))


class DirectoryReader(Protocol):
    """The Graph calls tickets need (``GraphClient`` provides them)."""

    async def get_user(self, id_or_upn: str) -> User: ...

    async def list_user_devices(self, user_id: str) -> list[Device]: ...

    async def get_device(self, device_id: str, *, with_actions: bool = False) -> Device: ...


def parse_number(text: str) -> int | None:
    """A ticket number as typed or carried in card data ("12", "#12"); None when it is not one."""
    m = _NUMBER.match(text.strip()) if isinstance(text, str) else None
    return int(m.group(1)) if m else None


class TicketService:
    """Create, list, assign, resolve and reopen tickets; remember each tenant's helpdesk channel.

    ``clock`` returns epoch seconds (tests inject one).
    """

    def __init__(self, store: Store, authz: AuthorizationPolicy, graph: DirectoryReader | None = None, *,
                 clock: Callable[[], float] = time.time, audit_log_name: str = AUDIT_LOG,
                 max_devices: int = 5) -> None:
        self._store = store
        self._authz = authz
        self._graph = graph
        self._clock = clock
        self._audit_log = audit_log_name
        self._max_devices = max_devices

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    @staticmethod
    def _tenant(tenant_id: str) -> str:
        return (tenant_id or "-").lower()

    def _key(self, tenant_id: str, number: int) -> str:
        return f"{_PREFIX}{self._tenant(tenant_id)}/{number}"

    # ------------------------------------------------------------------------------------------- who

    async def is_agent(self, caller: Caller) -> bool:
        return await self._authz.is_agent(caller)

    async def requester(self, caller: Caller, teams_id: str = "") -> Person:
        """The caller as a ticket's requester, with name and UPN from the directory when it answers."""
        name, upn = caller.name or "", caller.upn or ""
        if self._graph is not None and (not upn or not name):
            try:
                user = await self._graph.get_user(caller.aad_object_id)
                name, upn = name or user.display_name, upn or user.upn
            except (GraphError, ValueError) as exc:
                log.info("ticket requester lookup failed: %s", type(exc).__name__)
        return Person(caller.aad_object_id, name, upn, teams_id)

    async def devices(self, user_id: str) -> tuple[TicketDevice, ...]:
        """The user's managed devices with pending actions; empty when Graph does not answer (never raises)."""
        if self._graph is None:
            return ()
        try:
            found = await self._graph.list_user_devices(user_id)
        except (GraphError, ValueError) as exc:
            log.info("ticket device lookup failed: %s", type(exc).__name__)
            return ()
        out: list[TicketDevice] = []
        for device in found[: self._max_devices]:
            with contextlib.suppress(GraphError, ValueError):
                device = await self._graph.get_device(device.id, with_actions=True)
            out.append(TicketDevice.from_device(device))
        return tuple(out)

    # ------------------------------------------------------------------------------------------- drafts

    def _draft_key(self, tenant_id: str, author_id: str) -> str:
        return f"{_PREFIX}{self._tenant(tenant_id)}/draft/{author_id.lower()}"

    async def save_draft(self, author: Caller, draft: TicketDraft) -> None:
        """Keep what the author is about to send (one pending draft per person) until they confirm."""
        await self._store.put(self._draft_key(author.tenant_id, author.aad_object_id), draft.to_dict(),
                              ttl=_DRAFT_TTL)

    async def peek_draft(self, author: Caller) -> TicketDraft | None:
        record = await self._store.get(self._draft_key(author.tenant_id, author.aad_object_id))
        return TicketDraft.from_dict(record.value) if record is not None else None

    async def take_draft(self, author: Caller) -> TicketDraft | None:
        """The author's draft, removed atomically: a double click or two replicas create one ticket."""
        value = await self._store.consume(self._draft_key(author.tenant_id, author.aad_object_id))
        return TicketDraft.from_dict(value) if isinstance(value, dict) else None

    async def drop_draft(self, author: Caller) -> bool:
        return await self.take_draft(author) is not None

    # ------------------------------------------------------------------------------------------- create

    async def create(self, draft: TicketDraft) -> Ticket:
        """Record a new ticket in one write; raises ``TicketError`` (and records nothing) when the store fails."""
        try:
            number = await self._next_number(draft.tenant_id)
            now = self._now()
            actor = draft.opened_by or draft.requester
            ticket = Ticket(
                number=number, tenant_id=draft.tenant_id, requester=draft.requester, lang=draft.lang,
                description=draft.description.strip()[:_MAX_DESCRIPTION], created=now, state=TicketState.OPEN,
                history=(TicketEvent(now, "created", actor),), answers=tuple(draft.answers[:5]),
                codes=tuple(draft.codes[:10]), devices=draft.devices, opened_by=draft.opened_by,
            )
            await self._store.put(self._key(draft.tenant_id, number), ticket.to_dict(), etag="*")
        except ConcurrencyError as exc:  # the number was taken meanwhile: do not overwrite another ticket
            raise TicketError("ticket number collision") from exc
        except TicketError:
            raise
        except Exception as exc:
            log.warning("could not record a ticket: %s", type(exc).__name__)
            raise TicketError(str(exc)) from exc
        await self._audit(ticket, "created", actor)
        return ticket

    async def _next_number(self, tenant_id: str) -> int:
        key = f"{_PREFIX}{self._tenant(tenant_id)}/counter"
        for _ in range(_CAS_ATTEMPTS * 4):
            record = await self._store.get(key)
            current = int(record.value.get("last", 0)) if record is not None else 0
            try:
                await self._store.put(key, {"last": current + 1}, etag=record.etag if record else "*")
            except ConcurrencyError:
                continue
            return current + 1
        raise TicketError("could not allocate a ticket number")

    # ------------------------------------------------------------------------------------------- read

    async def get(self, tenant_id: str, number: int) -> Ticket | None:
        record = await self._store.get(self._key(tenant_id, number))
        return Ticket.from_dict(record.value) if record is not None else None

    async def view(self, caller: Caller, number: int) -> TicketResult:
        """A ticket for its requester or an agent; anyone else gets FORBIDDEN (or NOT_FOUND, to reveal nothing)."""
        ticket = await self.get(caller.tenant_id, number)
        if ticket is None:
            return TicketResult(TicketOutcome.NOT_FOUND)
        if self._is_requester(caller, ticket) or await self._authz.is_agent(caller):
            return TicketResult(TicketOutcome.OK, ticket)
        return TicketResult(TicketOutcome.NOT_FOUND)

    async def _all(self, tenant_id: str) -> list[Ticket]:
        record = await self._store.get(f"{_PREFIX}{self._tenant(tenant_id)}/counter")
        last = int(record.value.get("last", 0)) if record is not None else 0
        out = []
        for number in range(last, max(0, last - _MAX_LIST), -1):
            ticket = await self.get(tenant_id, number)
            if ticket is not None:
                out.append(ticket)
        return out  # newest first

    async def for_requester(self, caller: Caller) -> list[Ticket]:
        """The caller's own tickets, newest first."""
        return [t for t in await self._all(caller.tenant_id) if self._is_requester(caller, t)]

    async def open_tickets(self, caller: Caller) -> list[Ticket] | None:
        """Tickets not resolved, oldest first, for agents; None for anyone else."""
        if not await self._authz.is_agent(caller):
            return None
        tickets = [t for t in await self._all(caller.tenant_id) if t.state is not TicketState.RESOLVED]
        return list(reversed(tickets))

    @staticmethod
    def _is_requester(caller: Caller, ticket: Ticket) -> bool:
        return caller.aad_object_id.lower() == ticket.requester.aad_object_id.lower()

    # ------------------------------------------------------------------------------------------- act

    async def assign(self, caller: Caller, number: int, *, revision: int | None = None,
                     actor_name: str = "") -> TicketResult:
        """Assign to the caller (agents only), exactly once: a ticket someone else holds stays theirs."""
        if not await self._authz.is_agent(caller):
            return TicketResult(TicketOutcome.FORBIDDEN)
        actor = self._actor(caller, actor_name)

        def change(ticket: Ticket) -> Ticket | TicketOutcome:
            if ticket.state is TicketState.RESOLVED:
                return TicketOutcome.ALREADY_RESOLVED
            if ticket.assignee is not None and ticket.state is TicketState.ASSIGNED:
                same = ticket.assignee.aad_object_id.lower() == caller.aad_object_id.lower()
                return TicketOutcome.OK if same else TicketOutcome.ALREADY_ASSIGNED
            return replace(ticket, state=TicketState.ASSIGNED, assignee=actor,
                           history=(*ticket.history, TicketEvent(self._now(), "assigned", actor)))

        return await self._update(caller, number, change, revision, "assigned", actor)

    async def resolve(self, caller: Caller, number: int, note: str = "", *, revision: int | None = None,
                      actor_name: str = "") -> TicketResult:
        """Resolve with an optional note (agents only)."""
        if not await self._authz.is_agent(caller):
            return TicketResult(TicketOutcome.FORBIDDEN)
        actor = self._actor(caller, actor_name)
        note = " ".join((note or "").split())[:1000]

        def change(ticket: Ticket) -> Ticket | TicketOutcome:
            if ticket.state is TicketState.RESOLVED:
                return TicketOutcome.ALREADY_RESOLVED
            return replace(ticket, state=TicketState.RESOLVED, assignee=ticket.assignee or actor,
                           history=(*ticket.history, TicketEvent(self._now(), "resolved", actor, note)))

        return await self._update(caller, number, change, revision, "resolved", actor, note=note)

    async def reopen(self, caller: Caller, number: int, *, revision: int | None = None,
                     actor_name: str = "") -> TicketResult:
        """Reopen a resolved ticket (its requester or an agent): back to its assignee, or open when it had none."""
        ticket = await self.get(caller.tenant_id, number)
        if ticket is None:
            return TicketResult(TicketOutcome.NOT_FOUND)
        if not self._is_requester(caller, ticket) and not await self._authz.is_agent(caller):
            return TicketResult(TicketOutcome.FORBIDDEN)
        actor = self._actor(caller, actor_name)

        def change(ticket: Ticket) -> Ticket | TicketOutcome:
            if ticket.state is not TicketState.RESOLVED:
                return TicketOutcome.NOT_RESOLVED
            state = TicketState.ASSIGNED if ticket.assignee else TicketState.OPEN
            return replace(ticket, state=state,
                           history=(*ticket.history, TicketEvent(self._now(), "reopened", actor)))

        return await self._update(caller, number, change, revision, "reopened", actor)

    async def set_thread(self, tenant_id: str, number: int, conversation_id: str, activity_id: str) -> bool:
        """Remember where the ticket's card was posted in the helpdesk channel (to update it in place)."""
        key = self._key(tenant_id, number)
        for _ in range(_CAS_ATTEMPTS):
            try:
                record = await self._store.get(key)
                if record is None:
                    return False
                value = dict(record.value)
                value["thread"] = {"conversation_id": conversation_id, "activity_id": activity_id}
                await self._store.put(key, value, etag=record.etag)
                return True
            except ConcurrencyError:
                continue
            except Exception:
                log.warning("could not remember the card of ticket %s", number, exc_info=True)
                return False
        return False

    def _actor(self, caller: Caller, name: str) -> Person:
        return Person(caller.aad_object_id, name or caller.name or "", caller.upn or "")

    async def _update(self, caller: Caller, number: int, change: Callable[[Ticket], Ticket | TicketOutcome],
                      revision: int | None, event: str, actor: Person, note: str = "") -> TicketResult:
        """Apply ``change`` with compare-and-set; re-read and re-decide when another write came first."""
        key = self._key(caller.tenant_id, number)
        try:
            for _ in range(_CAS_ATTEMPTS):
                record = await self._store.get(key)
                if record is None:
                    return TicketResult(TicketOutcome.NOT_FOUND)
                ticket = Ticket.from_dict(record.value)
                result = change(ticket)
                if isinstance(result, TicketOutcome):
                    return TicketResult(result, ticket)
                if revision is not None and revision != ticket.revision:
                    return TicketResult(TicketOutcome.STALE, ticket)
                updated = replace(result, revision=ticket.revision + 1)
                try:
                    await self._store.put(key, updated.to_dict(), etag=record.etag)
                except ConcurrencyError:
                    continue
                await self._audit(updated, event, actor, note)
                return TicketResult(TicketOutcome.OK, updated, changed=True)
        except Exception as exc:
            log.warning("ticket %s: %s failed: %s", number, event, type(exc).__name__)
            return TicketResult(TicketOutcome.STORE_FAILED)
        return TicketResult(TicketOutcome.STORE_FAILED)

    # ------------------------------------------------------------------------------------------- channel

    async def set_channel(self, caller: Caller, reference: dict[str, Any], lang: str, name: str = "",
                          actor_name: str = "") -> Reason:
        """Make this channel the tenant's helpdesk channel (agents only); the reason says why not."""
        decision = await self._authz.agent_decision(caller)
        if not decision:
            return decision.reason
        channel = HelpdeskChannel(reference, lang, self._actor(caller, actor_name), self._now(), name)
        await self._store.put(f"{_PREFIX}{self._tenant(caller.tenant_id)}/channel", channel.to_dict())
        await self._append({"at": channel.at.isoformat(), "action": "ticket_channel", "caller_id": caller.aad_object_id,
                            "caller_name": channel.set_by.name or None, "caller_upn": caller.upn,
                            "tenant_id": caller.tenant_id, "device_id": "", "device_name": None,
                            "device_user_id": None, "device_user_upn": None, "outcome": "set", "as_agent": True,
                            "reason": name or None})
        return Reason.AGENT

    async def channel(self, tenant_id: str) -> HelpdeskChannel | None:
        record = await self._store.get(f"{_PREFIX}{self._tenant(tenant_id)}/channel")
        if record is None:
            return None
        try:
            return HelpdeskChannel.from_dict(record.value)
        except (KeyError, ValueError, TypeError):
            return None

    # ------------------------------------------------------------------------------------------- audit

    async def _audit(self, ticket: Ticket, event: str, actor: Person, note: str = "") -> None:
        await self._append({
            "at": self._now().isoformat(), "action": f"ticket_{event}", "ticket": ticket.number,
            "caller_id": actor.aad_object_id, "caller_name": actor.name or None, "caller_upn": actor.upn or None,
            "tenant_id": ticket.tenant_id, "device_id": "", "device_name": None,
            "device_user_id": ticket.requester.aad_object_id, "device_user_upn": ticket.requester.upn or None,
            "requester_id": ticket.requester.aad_object_id, "requester_name": ticket.requester.name or None,
            "outcome": ticket.state.value, "reason": note or None,
            "as_agent": actor.aad_object_id != ticket.requester.aad_object_id,
        })

    async def _append(self, entry: dict[str, Any]) -> None:
        try:
            await self._store.append(self._audit_log, entry)
        except Exception:  # an unwritable audit must not undo a recorded ticket; say it loudly
            log.exception("could not write the ticket audit entry")

