"""The Contoso demo tenant: users, devices, groups, licenses, enrollment failures and app protection registrations
served by the fake Graph.

The data lives in ``intune/data/demo_tenant.json`` with times relative to "now" (``lastSyncMinutesAgo``...), so
check-ins always look recent whenever the demo runs. Object ids are fixed (see ``DEMO_IDS``): the local chat and
the tests act as a given user by using that user's id as the caller's aadObjectId.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from intune.models import Caller

__all__ = ["DEMO_IDS", "DemoIds", "DemoTenant"]


@dataclass(frozen=True, slots=True)
class DemoIds:
    """Well-known ids of the demo tenant (they match ``demo_tenant.json``; a test checks they agree)."""

    tenant: str = "c0a70500-0000-4000-8000-000000000000"
    helpdesk_group: str = "4e1bde5c-0000-4000-8000-000000000001"  # SG-Intune-Helpdesk, Hélène is a member
    it_staff_group: str = "17570ff0-0000-4000-8000-000000000002"  # contains the helpdesk group (nested)
    alice: str = (
        "a11ce000-0000-4000-8000-000000000001"  # alice@contoso.com, 3 devices (Windows, iPhone, iPad)
    )
    bob: str = (
        "b0b00000-0000-4000-8000-000000000002"  # bob@contoso.com, 3 devices incl. one wipePending, a rooted phone
    )
    chloe: str = (
        "c410e000-0000-4000-8000-000000000003"  # chloe@contoso.com, 3 devices incl. one retirePending
    )
    helene: str = "4e1e4e00-0000-4000-8000-000000000004"  # helpdesk@contoso.com, the help desk agent
    david: str = (
        "da71d000-0000-4000-8000-000000000005"  # david@contoso.com, 60 lab PCs, 24 lab iPad apps (paging)
    )
    emma: str = "e33a0000-0000-4000-8000-000000000006"  # emma@contoso.com, disabled account
    farid: str = "fa71d000-0000-4000-8000-000000000007"  # farid@contoso.com, no Intune license, no device
    grace: str = "67ace000-0000-4000-8000-000000000008"  # grace.o'brien@contoso.com, apostrophes everywhere
    alice_pc: str = "d0000001-0000-4000-8000-000000000001"  # DESKTOP-42QX7T1
    alice_iphone: str = "d0000002-0000-4000-8000-000000000002"  # Alice's iPhone
    alice_ipad: str = "d0000003-0000-4000-8000-000000000003"  # Alice's iPad
    bob_pc: str = "d0000004-0000-4000-8000-000000000004"  # DESKTOP-42B0B77
    bob_wipe_pending: str = "d0000006-0000-4000-8000-000000000006"  # Galaxy-S21-Bob
    chloe_iphone: str = "d0000007-0000-4000-8000-000000000007"  # iPhone de Chloé
    chloe_retire_pending: str = "d0000009-0000-4000-8000-000000000009"  # DESKTOP-42OLD01
    grace_iphone: str = "d0000012-0000-4000-8000-000000000012"  # Grace O'Brien's iPhone


DEMO_IDS = DemoIds()

_DEVICE_NAMESPACE = uuid.UUID("c0a70500-0000-4000-8000-00000000d00d")
_APP_NAMESPACE = uuid.UUID("c0a70500-0000-4000-8000-00000000a995")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class DemoTenant:
    """A tenant's directory and Intune data in Graph JSON shape, with absolute times.

    The fake Graph deep-copies what it serves, so one ``DemoTenant`` can back many fake servers.
    """

    tenant_id: str
    domain: str
    display_name: str
    helpdesk_group_id: str
    users: tuple[dict[str, Any], ...]
    devices: tuple[dict[str, Any], ...]
    groups: tuple[dict[str, Any], ...]
    licenses: dict[str, tuple[dict[str, Any], ...]]
    troubleshooting_events: tuple[dict[str, Any], ...]
    aliases: dict[str, str]
    app_registrations: tuple[dict[str, Any], ...] = ()  # managedAppRegistration objects (app protection)
    compliance_policies: tuple[dict[str, Any], ...] = ()  # deviceCompliancePolicy objects
    compliance_states: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    """Per managed device id: its deviceCompliancePolicyState objects, each with ``settingStates``."""

    @classmethod
    def load(cls, path: str | Path | None = None, *, now: datetime | None = None) -> DemoTenant:
        """Load the bundled demo tenant (or another file with the same layout)."""
        if path is None:
            text = resources.files("intune").joinpath("data/demo_tenant.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text), now=now)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, now: datetime | None = None) -> DemoTenant:
        """Build from the JSON layout, turning relative times into timestamps around ``now``."""
        now = now or datetime.now(UTC)
        users_by_id: dict[str, dict[str, Any]] = {}
        aliases: dict[str, str] = {}
        licenses: dict[str, tuple[dict[str, Any], ...]] = {}
        skus = data.get("skus", {})
        users = []
        for raw in data.get("users", []):
            user = {k: v for k, v in raw.items() if k not in {"alias", "licenses"}}
            users.append(user)
            users_by_id[user["id"]] = user
            if raw.get("alias"):
                aliases[raw["alias"]] = user["id"]
            licenses[user["id"]] = tuple(
                _license_detail(user["id"], part, skus[part])
                for part in raw.get("licenses", [])
                if part in skus
            )

        states_spec = {k: v for k, v in data.get("complianceStates", {}).items() if not k.startswith("_")}
        devices = [_device(raw, users_by_id, now, states_spec.get(raw["id"])) for raw in data.get("devices", [])]
        for spec in data.get("generatedDevices", []):
            devices.extend(_generated_devices(spec, users_by_id, now))

        events = []
        for raw in data.get("troubleshootingEvents", []):
            event = {k: v for k, v in raw.items() if k != "daysAgo"}
            event = {
                "@odata.type": "#microsoft.graph.enrollmentTroubleshootingEvent",
                "eventDateTime": _iso(now - timedelta(days=raw.get("daysAgo", 0), hours=2)),
                "managedDeviceIdentifier": "",
                "deviceId": "",
                **event,
            }
            events.append(event)

        apps = [
            app for raw in data.get("appRegistrations", []) for app in _app_registrations(raw, now)
        ]
        for spec in data.get("generatedAppRegistrations", []):
            for n in range(1, int(spec["count"]) + 1):
                raw = {k: v for k, v in spec.items() if k not in {"count", "deviceNamePrefix", "lastSyncStepMinutes"}}
                raw["deviceName"] = f"{spec['deviceNamePrefix']}{n:02d}"
                raw["lastSyncMinutesAgo"] = spec.get("lastSyncMinutesAgo", 60) + (n - 1) * spec.get(
                    "lastSyncStepMinutes", 0
                )
                apps.extend(_app_registrations(raw, now))

        policies = tuple(copy.deepcopy(data.get("compliancePolicies", [])))
        compliance_states = {
            d["id"]: _compliance_states(states_spec.get(d["id"]), policies, d) for d in devices
        }

        tenant = data.get("tenant", {})
        return cls(
            tenant_id=tenant["id"],
            domain=tenant.get("domain", ""),
            display_name=tenant.get("displayName", ""),
            helpdesk_group_id=data["helpdeskGroupId"],
            users=tuple(users),
            devices=tuple(devices),
            groups=tuple(copy.deepcopy(data.get("groups", []))),
            licenses=licenses,
            troubleshooting_events=tuple(events),
            aliases=aliases,
            app_registrations=tuple(apps),
            compliance_policies=policies,
            compliance_states=compliance_states,
        )

    def user(self, key: str) -> dict[str, Any]:
        """A user by alias ("alice"), object id or UPN (case-insensitive)."""
        wanted = self.aliases.get(key.lower(), key).lower()
        for user in self.users:
            if user["id"].lower() == wanted or user["userPrincipalName"].lower() == wanted:
                return user
        raise KeyError(key)

    def caller(self, key: str) -> Caller:
        """A ``Caller`` acting as this demo user (what the Teams layer would build from the activity)."""
        user = self.user(key)
        return Caller(
            aad_object_id=user["id"],
            tenant_id=self.tenant_id,
            name=user.get("displayName"),
            upn=user.get("userPrincipalName"),
        )

    def devices_of(self, key: str) -> list[dict[str, Any]]:
        """The devices whose primary user is this demo user."""
        user_id = self.user(key)["id"]
        return [d for d in self.devices if d.get("userId") == user_id]

    def app_registrations_of(self, key: str) -> list[dict[str, Any]]:
        """The app protection registrations of this demo user."""
        user_id = self.user(key)["id"]
        return [a for a in self.app_registrations if a.get("userId") == user_id]


def _license_detail(user_id: str, part: str, sku: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{user_id}_{sku['skuId']}",
        "skuId": sku["skuId"],
        "skuPartNumber": part,
        "servicePlans": [
            {"appliesTo": "User", "provisioningStatus": "Success", **plan}
            for plan in sku.get("servicePlans", [])
        ],
    }


def _device(
    raw: dict[str, Any],
    users: dict[str, dict[str, Any]],
    now: datetime,
    compliance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    relative = {"lastSyncMinutesAgo", "enrolledDaysAgo", "actions"}
    device: dict[str, Any] = {"@odata.type": "#microsoft.graph.managedDevice"}
    device.update({k: v for k, v in raw.items() if k not in relative})
    user = users.get(raw.get("userId", ""), {})
    device.setdefault("userPrincipalName", user.get("userPrincipalName", ""))
    device.setdefault("userDisplayName", user.get("displayName", ""))
    device.setdefault("emailAddress", user.get("mail", ""))
    device.setdefault("managementAgent", "mdm")
    device.setdefault("deviceEnrollmentType", "userEnrollment")
    device.setdefault("azureADDeviceId", str(uuid.uuid5(_DEVICE_NAMESPACE, "aad/" + raw["id"])))
    device["lastSyncDateTime"] = _iso(now - timedelta(minutes=raw.get("lastSyncMinutesAgo", 60)))
    device["enrolledDateTime"] = _iso(now - timedelta(days=raw.get("enrolledDaysAgo", 30)))
    grace_days = (compliance or {}).get("graceDaysLeft")
    # Graph reports "no grace period running" as the maximum DateTimeOffset.
    device["complianceGracePeriodExpirationDateTime"] = (
        _iso(now + timedelta(days=grace_days)) if grace_days is not None else NO_GRACE_PERIOD
    )
    device["deviceActionResults"] = [
        {
            "@odata.type": "microsoft.graph.deviceActionResult",
            "actionName": action["actionName"],
            "actionState": action["actionState"],
            "startDateTime": _iso(now - timedelta(minutes=action.get("startedMinutesAgo", 0))),
            "lastUpdatedDateTime": _iso(now - timedelta(minutes=action.get("updatedMinutesAgo", 0))),
        }
        for action in raw.get("actions", [])
    ]
    return device


NO_GRACE_PERIOD = "9999-12-31T23:59:59Z"
DEFAULT_POLICY_ID = "c0de0000-0000-4000-8000-000000000000"
_DEFAULT_POLICY_NAME = "Default Device Compliance Policy"
_DEFAULT_SETTINGS = ("RequireRemainContact", "RequireUserExistence", "RequireDeviceCompliancePolicyAssigned")
_PLATFORMS = {
    "iosCompliancePolicy": "iOS",
    "windows10CompliancePolicy": "windows10AndLater",
    "androidWorkProfileCompliancePolicy": "androidWorkProfile",
    "macOSCompliancePolicy": "macOS",
}


def _compliance_states(
    spec: dict[str, Any] | None, policies: tuple[dict[str, Any], ...], device: dict[str, Any]
) -> tuple[dict[str, Any], ...]:
    """A device's ``deviceCompliancePolicyState`` objects from the compact spec (default policy when absent).

    Settings are written ``[setting, state, currentValue]``; the fields Graph fills with the enrolled user come
    from the device.
    """
    by_id = {p["id"]: p for p in policies}
    if spec is None:
        spec = {
            "policies": [
                {
                    "policy": "default",
                    "state": "compliant",
                    "settings": [[f"DefaultDeviceCompliancePolicy.{name}", "compliant", ""] for name in _DEFAULT_SETTINGS],
                }
            ]
        }
    states = []
    for item in spec.get("policies", []):
        policy_id = DEFAULT_POLICY_ID if item["policy"] == "default" else item["policy"]
        policy = by_id.get(policy_id, {})
        kind = str(policy.get("@odata.type", "")).removeprefix("#microsoft.graph.")
        settings = [
            {
                "setting": setting,
                "settingName": None,  # Graph leaves it empty in practice; the bot reads ``setting``
                "instanceDisplayName": None,
                "state": state,
                "errorCode": 0,
                "errorDescription": None,
                "userId": device.get("userId"),
                "userName": device.get("userDisplayName"),
                "userEmail": device.get("emailAddress"),
                "userPrincipalName": device.get("userPrincipalName"),
                "sources": [{"id": policy_id, "displayName": policy.get("displayName", _DEFAULT_POLICY_NAME)}],
                "currentValue": current or None,
            }
            for setting, state, current in item.get("settings", [])
        ]
        states.append(
            {
                "@odata.type": "#microsoft.graph.deviceCompliancePolicyState",
                "id": policy_id,
                "displayName": policy.get("displayName", _DEFAULT_POLICY_NAME),
                "version": policy.get("version", 1),
                "platformType": _PLATFORMS.get(kind, "all"),
                "state": item.get("state", "compliant"),
                "settingCount": len(settings),
                "settingStates": settings,
            }
        )
    return tuple(states)


def _generated_devices(
    spec: dict[str, Any], users: dict[str, dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """A fleet of similar devices (the lab PCs that make a user's device list span several pages)."""
    fixed = {"count", "namePrefix", "serialPrefix", "lastSyncStepMinutes", "lastSyncMinutesAgo"}
    devices = []
    for n in range(1, int(spec["count"]) + 1):
        name = f"{spec['namePrefix']}{n:03d}"
        raw = {k: v for k, v in spec.items() if k not in fixed}
        raw.update(
            id=str(uuid.uuid5(_DEVICE_NAMESPACE, name)),
            deviceName=name,
            serialNumber=f"{spec.get('serialPrefix', 'SN')}{n:04d}",
            lastSyncMinutesAgo=spec.get("lastSyncMinutesAgo", 60)
            + (n - 1) * spec.get("lastSyncStepMinutes", 0),
        )
        devices.append(_device(raw, users, now))
    return devices


_APP_PLATFORMS = {
    "ios": ("#microsoft.graph.iosManagedAppRegistration", "#microsoft.graph.iosMobileAppIdentifier", "bundleId"),
    "android": (
        "#microsoft.graph.androidManagedAppRegistration",
        "#microsoft.graph.androidMobileAppIdentifier",
        "packageId",
    ),
}


def _app_registrations(raw: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """One device's protected apps as ``managedAppRegistration`` objects (the v1.0 shape, times around ``now``).

    ``raw`` names the device once (``userId``, ``deviceName``, ``deviceType``, ``platform``, ``platformVersion``,
    ``lastSyncMinutesAgo``, ``flaggedReasons``) and lists its ``apps`` (``app``, ``version``, optional overrides).
    """
    registration_type, identifier_type, id_key = _APP_PLATFORMS[raw["platform"]]
    registrations = []
    for app in raw["apps"]:
        synced = raw.get("lastSyncMinutesAgo", 60) + app.get("lastSyncMinutesAgo", 0)
        registrations.append(
            {
                "@odata.type": registration_type,
                "id": str(uuid.uuid5(_APP_NAMESPACE, f"{raw['userId']}/{raw['deviceName']}/{app['app']}")),
                "createdDateTime": _iso(now - timedelta(days=raw.get("createdDaysAgo", 60))),
                "lastSyncDateTime": _iso(now - timedelta(minutes=synced)),
                "applicationVersion": app["version"],
                "managementSdkVersion": app.get("sdkVersion", "19.6.0"),
                "platformVersion": raw["platformVersion"],
                "deviceType": raw["deviceType"],
                "deviceTag": raw.get("deviceTag", ""),
                "deviceName": raw["deviceName"],
                "flaggedReasons": list(app.get("flaggedReasons", raw.get("flaggedReasons", []))),
                "userId": raw["userId"],
                "appIdentifier": {"@odata.type": identifier_type, id_key: app["app"]},
                "version": app.get("etag", "1"),
            }
        )
    return registrations
