"""TicketService against the fake Graph and real stores: numbers, whole writes, exactly-once assign, who may act."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from intune import AuthorizationPolicy, Caller, DemoTenant, GraphClient
from intune.tickets import (
    Person,
    TicketDraft,
    TicketError,
    TicketOutcome,
    TicketService,
    TicketState,
    parse_number,
)
from storage import Store
from storage.memory import MemoryStore
from storage.sqlite import SQLiteStore

from .conftest import FakeClock


class FailingStore(MemoryStore):
    """A memory store whose writes to keys with ``prefix`` fail, as a disk or Redis outage would."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    async def put(self, key: str, value: Any, *, etag: str | None = None, ttl: float | None = None) -> str:
        if self.prefix and key.startswith(self.prefix) and not key.endswith("/counter"):
            raise OSError("disk full")
        return await super().put(key, value, etag=etag, ttl=ttl)


@pytest.fixture
def tickets(graph: GraphClient, store: MemoryStore, authz: AuthorizationPolicy, clock: FakeClock) -> TicketService:
    return TicketService(store, authz, graph, clock=clock)


async def _draft(service: TicketService, caller: Caller, text: str = "my iPhone does not get mail") -> TicketDraft:
    person = await service.requester(caller, teams_id=f"29:{caller.aad_object_id}")
    return TicketDraft(requester=person, tenant_id=caller.tenant_id, lang="en", description=text,
                       codes=("0x87D1FDE8",), answers=("faq:sync",),
                       devices=await service.devices(caller.aad_object_id))


async def test_create_fills_the_ticket_from_the_directory(tickets: TicketService, tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    ticket = await tickets.create(await _draft(tickets, alice))
    assert ticket.number == 1
    assert ticket.requester.upn == "alice@contoso.com" and ticket.requester.name == "Alice Martin"
    assert ticket.state is TicketState.OPEN and ticket.assignee is None
    assert {d.name for d in ticket.devices} >= {"DESKTOP-42QX7T1"}
    assert all(d.os and d.compliance for d in ticket.devices)
    assert [e.event for e in ticket.history] == ["created"]
    again = await tickets.get(alice.tenant_id, 1)
    assert again == ticket  # survives a round trip through the store
    second = await tickets.create(await _draft(tickets, alice, "second"))
    assert second.number == 2


async def test_pending_retire_shows_on_the_ticket(tickets: TicketService, tenant: DemoTenant) -> None:
    chloe = tenant.caller("chloe")
    ticket = await tickets.create(await _draft(tickets, chloe))
    assert any(d.pending for d in ticket.devices)


async def test_store_failure_records_nothing(graph: GraphClient, authz: AuthorizationPolicy, tenant: DemoTenant,
                                             clock: FakeClock) -> None:
    store = FailingStore("tickets/")
    service = TicketService(store, authz, graph, clock=clock)
    alice = tenant.caller("alice")
    with pytest.raises(TicketError):
        await service.create(await _draft(service, alice))
    assert await service.for_requester(alice) == []
    assert not [k for k in store.snapshot() if k.startswith("tickets/") and not k.endswith("/counter")]
    assert await store.read_log("audit") == []
    store.prefix = ""  # the store is back: the next ticket is recorded whole
    ticket = await service.create(await _draft(service, alice))
    assert [t.number for t in await service.for_requester(alice)] == [ticket.number]


async def test_assign_resolve_reopen_and_history(tickets: TicketService, tenant: DemoTenant,
                                                 store: MemoryStore) -> None:
    alice, helene = tenant.caller("alice"), tenant.caller("helene")
    ticket = await tickets.create(await _draft(tickets, alice))
    assigned = await tickets.assign(helene, ticket.number, revision=ticket.revision, actor_name="Hélène Support")
    assert assigned.ok and assigned.changed
    assert assigned.ticket.state is TicketState.ASSIGNED and assigned.ticket.assignee.name == "Hélène Support"
    resolved = await tickets.resolve(helene, ticket.number, "  Re-enrolled\n the phone ",
                                     revision=assigned.ticket.revision)
    assert resolved.ok and resolved.ticket.state is TicketState.RESOLVED
    assert resolved.ticket.resolution_note == "Re-enrolled the phone"
    reopened = await tickets.reopen(alice, ticket.number, revision=resolved.ticket.revision)
    assert reopened.ok and reopened.ticket.state is TicketState.ASSIGNED  # back to its assignee
    assert [e.event for e in reopened.ticket.history] == ["created", "assigned", "resolved", "reopened"]
    audit = [e for e in await store.read_log("audit") if e["action"].startswith("ticket_")]
    assert [e["action"] for e in audit] == ["ticket_created", "ticket_assigned", "ticket_resolved", "ticket_reopened"]
    assert all(e["ticket"] == ticket.number and e["tenant_id"] == alice.tenant_id for e in audit)


async def test_reopen_without_assignee_goes_back_to_open(tickets: TicketService, tenant: DemoTenant) -> None:
    alice, helene = tenant.caller("alice"), tenant.caller("helene")
    ticket = await tickets.create(await _draft(tickets, alice))
    # An agent resolving an unassigned ticket becomes its assignee: reopening sends it back to them.
    resolved = await tickets.resolve(helene, ticket.number)
    assert resolved.ticket.assignee.aad_object_id == helene.aad_object_id
    assert (await tickets.reopen(alice, ticket.number)).ticket.state is TicketState.ASSIGNED


async def test_who_may_act(tickets: TicketService, tenant: DemoTenant) -> None:
    alice, bob, helene = tenant.caller("alice"), tenant.caller("bob"), tenant.caller("helene")
    ticket = await tickets.create(await _draft(tickets, alice))
    assert (await tickets.assign(alice, ticket.number)).outcome is TicketOutcome.FORBIDDEN
    assert (await tickets.resolve(bob, ticket.number)).outcome is TicketOutcome.FORBIDDEN
    assert (await tickets.view(bob, ticket.number)).outcome is TicketOutcome.NOT_FOUND  # reveals nothing
    assert (await tickets.view(alice, ticket.number)).ok and (await tickets.view(helene, ticket.number)).ok
    await tickets.resolve(helene, ticket.number)
    assert (await tickets.reopen(bob, ticket.number)).outcome is TicketOutcome.FORBIDDEN
    assert (await tickets.get(alice.tenant_id, ticket.number)).state is TicketState.RESOLVED
    assert await tickets.open_tickets(alice) is None
    assert await tickets.open_tickets(helene) == []
    other_tenant = Caller(helene.aad_object_id, "another-tenant", "Hélène")
    assert (await tickets.view(other_tenant, ticket.number)).outcome is TicketOutcome.NOT_FOUND


async def test_stale_and_repeated_actions(tickets: TicketService, tenant: DemoTenant) -> None:
    alice, helene = tenant.caller("alice"), tenant.caller("helene")
    ticket = await tickets.create(await _draft(tickets, alice))
    first = await tickets.assign(helene, ticket.number, revision=1)
    again = await tickets.assign(helene, ticket.number, revision=1)
    assert again.ok and not again.changed  # clicking twice changes nothing
    done = await tickets.resolve(helene, ticket.number, revision=first.ticket.revision)
    assert (await tickets.resolve(helene, ticket.number)).outcome is TicketOutcome.ALREADY_RESOLVED
    await tickets.reopen(alice, ticket.number, revision=done.ticket.revision)
    # A card from before the reopen still shows "assigned": resolving from it is refused as stale.
    stale = await tickets.resolve(helene, ticket.number, revision=first.ticket.revision)
    assert stale.outcome is TicketOutcome.STALE and stale.ticket.state is TicketState.ASSIGNED
    assert (await tickets.reopen(alice, ticket.number)).outcome is TicketOutcome.NOT_RESOLVED
    assert (await tickets.assign(helene, 999)).outcome is TicketOutcome.NOT_FOUND


def _two_stores(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Store, Store]:
    """Two handles on one store, as two replicas of the bot have."""
    if backend == "memory":
        store = MemoryStore()
        return store, store
    if backend == "sqlite":
        return SQLiteStore(str(tmp_path / "t.sqlite3")), SQLiteStore(str(tmp_path / "t.sqlite3"))
    from storage.redis_store import RedisStore

    url = request.getfixturevalue("redis_url")
    prefix = f"helpdesk-test-{uuid.uuid4().hex[:12]}:"
    return RedisStore(url, prefix=prefix), RedisStore(url, prefix=prefix)


@pytest.mark.parametrize("backend", ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_two_agents_assign_at_once_one_wins(backend: str, graph: GraphClient, authz: AuthorizationPolicy,
                                                  tenant: DemoTenant, tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    """Two replicas over one store, two agents clicking "Assign to me" together: exactly one assignee."""
    shared, second = _two_stores(backend, request, tmp_path)
    helene = tenant.caller("helene")
    other_agent = Caller("4e1e4e00-0000-4000-8000-00000000beef", helene.tenant_id, "Second Agent")
    authz._remember(authz._key(other_agent), True, 1e18)  # a second member of the helpdesk group
    one, two = TicketService(shared, authz, graph), TicketService(second, authz, graph)
    try:
        ticket = await one.create(await _draft(one, tenant.caller("alice")))
        for _ in range(5):
            results = await asyncio.gather(one.assign(helene, ticket.number, revision=ticket.revision),
                                           two.assign(other_agent, ticket.number, revision=ticket.revision))
            winners = [r for r in results if r.changed]
            assert len(winners) == 1
            loser = next(r for r in results if not r.changed)
            assert loser.outcome is TicketOutcome.ALREADY_ASSIGNED
            assert loser.ticket.assignee.aad_object_id == winners[0].ticket.assignee.aad_object_id
            stored = await one.get(helene.tenant_id, ticket.number)
            assert [e.event for e in stored.history].count("assigned") == 1
            await one.resolve(helene, ticket.number)
            ticket = await one.create(await _draft(one, tenant.caller("alice")))
    finally:
        if backend != "memory":
            await shared.close()
            await second.close()


async def test_concurrent_creates_get_distinct_numbers(tickets: TicketService, tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    draft = await _draft(tickets, alice)
    made = await asyncio.gather(*(tickets.create(draft) for _ in range(10)))
    assert sorted(t.number for t in made) == list(range(1, 11))
    assert len(await tickets.for_requester(alice)) == 10


async def test_channel_is_set_by_agents_only(tickets: TicketService, tenant: DemoTenant) -> None:
    alice, helene = tenant.caller("alice"), tenant.caller("helene")
    reference = {"conversation": {"id": "19:chan@thread.tacv2"}, "serviceUrl": "http://x/"}
    assert (await tickets.set_channel(alice, reference, "en")).value == "not_agent"
    assert await tickets.channel(alice.tenant_id) is None
    assert (await tickets.set_channel(helene, reference, "fr", "Helpdesk")).value == "agent"
    channel = await tickets.channel(helene.tenant_id)
    assert channel.lang == "fr" and channel.reference == reference
    assert channel.set_by == Person(helene.aad_object_id, helene.name or "", helene.upn or "")


def test_parse_number() -> None:
    assert parse_number("12") == 12 and parse_number("#7") == 7 and parse_number("# 3") == 3
    assert parse_number("twelve") is None and parse_number("") is None and parse_number("1" * 12) is None
