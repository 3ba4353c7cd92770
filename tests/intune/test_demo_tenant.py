"""The demo tenant data: ids agree with DEMO_IDS, the promised cases exist, times are relative to now."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

from intune import DEMO_IDS, DemoTenant, Device


def test_ids_agree_with_the_data(tenant: DemoTenant) -> None:
    known = (
        {u["id"] for u in tenant.users} | {d["id"] for d in tenant.devices} | {g["id"] for g in tenant.groups}
    )
    known.add(tenant.tenant_id)
    for f in fields(DEMO_IDS):
        assert getattr(DEMO_IDS, f.name) in known, f.name
    assert tenant.helpdesk_group_id == DEMO_IDS.helpdesk_group
    for alias in ("alice", "bob", "chloe", "helene", "david", "emma", "farid", "grace"):
        assert tenant.user(alias)["id"] == getattr(DEMO_IDS, alias)


def test_promised_cases_exist(tenant: DemoTenant) -> None:
    assert tenant.user("helene")["userPrincipalName"] == "helpdesk@contoso.com"
    assert tenant.user("chloe")["displayName"] == "Chloé Dubois"
    assert len(tenant.devices_of("david")) == 60
    assert tenant.user("emma")["accountEnabled"] is False
    states = {d["managementState"] for d in tenant.devices}
    assert {"wipePending", "retirePending", "managed"} <= states
    systems = {d["operatingSystem"] for d in tenant.devices}
    assert {"Windows", "iOS", "iPadOS", "macOS", "Android"} <= systems
    farid_plans = {
        p["servicePlanName"] for lic in tenant.licenses[DEMO_IDS.farid] for p in lic["servicePlans"]
    }
    assert "INTUNE_A" not in farid_plans
    reasons = {e["failureReason"] for e in tenant.troubleshooting_events}
    assert {"Device cap reached", "Enrollment authorization failed", "User not found or licensed"} <= reasons
    helpdesk = next(g for g in tenant.groups if g["id"] == DEMO_IDS.helpdesk_group)
    assert helpdesk["members"] == [DEMO_IDS.helene]


def test_times_are_relative_to_load(tenant: DemoTenant) -> None:
    now = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
    shifted = DemoTenant.load(now=now)
    iphone = Device.from_graph(next(d for d in shifted.devices if d["id"] == DEMO_IDS.alice_iphone))
    assert iphone.last_sync == now - timedelta(minutes=25)
    assert all(Device.from_graph(d).last_sync <= now for d in shifted.devices)


def test_caller_for_a_demo_user(tenant: DemoTenant) -> None:
    caller = tenant.caller("alice")
    assert (caller.aad_object_id, caller.tenant_id, caller.upn) == (
        DEMO_IDS.alice,
        DEMO_IDS.tenant,
        "alice@contoso.com",
    )


def test_app_protection_cases_exist(tenant: DemoTenant) -> None:
    alice = {(a["deviceName"], a["appIdentifier"]["bundleId"]) for a in tenant.app_registrations_of("alice")}
    assert ("Alice's iPhone", "com.microsoft.Office.Outlook") in alice
    assert {d for d, _ in alice} == {"Alice's iPhone", "Alice's iPad"}
    bob = tenant.app_registrations_of("bob")
    assert [a["flaggedReasons"] for a in bob if a["flaggedReasons"]] == [["rootedDevice"]]
    assert all("packageId" in a["appIdentifier"] for a in bob)
    assert len(tenant.app_registrations_of("david")) == 24
    assert tenant.app_registrations_of("farid") == []
    assert len({a["id"] for a in tenant.app_registrations}) == len(tenant.app_registrations)
    now = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
    shifted = DemoTenant.load(now=now)
    outlook = next(a for a in shifted.app_registrations_of("alice") if a["deviceName"] == "Alice's iPhone")
    assert outlook["lastSyncDateTime"] == "2030-01-15T11:30:00Z"
