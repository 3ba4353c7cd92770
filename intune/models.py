"""Plain values the Intune domain takes and returns.

Frozen dataclasses only: the Teams layer renders them, the CLI prints them, tests compare them.
Each ``from_graph`` reads the Graph JSON shape (see ``/work/shared/reference/graph-examples``) so
the mapping from Graph field names lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ActionStatus",
    "AppRegistration",
    "Caller",
    "CompliancePolicy",
    "CompliancePolicyState",
    "ComplianceSettingState",
    "Device",
    "EnrollmentFailure",
    "Group",
    "LicenseDetail",
    "User",
    "app_display_name",
    "parse_graph_datetime",
]

# Graph reports "never" as the minimum DateTimeOffset rather than null.
_GRAPH_NEVER_YEAR = 1

# Service plans that carry Intune device management (Intune Plan 1 appears in Intune, EMS and M365 SKUs).
_INTUNE_SERVICE_PLANS = frozenset({"INTUNE_A", "INTUNE_A_VL", "INTUNE_EDU", "INTUNE_SMBIZ", "INTUNE_O365"})


def parse_graph_datetime(value: Any) -> datetime | None:
    """Parse a Graph DateTimeOffset; ``None`` for missing values and Graph's ``0001-01-01`` "never"."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.year == _GRAPH_NEVER_YEAR:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _grace_end(value: Any) -> datetime | None:
    """The grace period's end; ``None`` when none runs (Graph then says 9999-12-31, or nothing)."""
    parsed = parse_graph_datetime(value)
    return None if parsed is None or parsed.year >= 9999 else parsed


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the Teams user's Entra object id and tenant, as the channel vouched for them."""

    aad_object_id: str
    tenant_id: str
    name: str | None = None
    upn: str | None = None


@dataclass(frozen=True, slots=True)
class ActionStatus:
    """One entry of a managed device's ``deviceActionResults`` (e.g. the state of the last syncDevice)."""

    action: str
    state: str
    started: datetime | None
    updated: datetime | None

    TERMINAL_STATES = frozenset({"done", "failed", "canceled", "notSupported"})

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> ActionStatus:
        return cls(
            action=_str(data, "actionName"),
            state=_str(data, "actionState") or "none",
            started=parse_graph_datetime(data.get("startDateTime")),
            updated=parse_graph_datetime(data.get("lastUpdatedDateTime")),
        )

    @property
    def is_sync(self) -> bool:
        """True for the sync action (Graph spells it ``syncDevice``; be lenient about case)."""
        return self.action.lower() in {"syncdevice", "sync"}

    @property
    def finished(self) -> bool:
        """True once the action reached a state that will not change any more."""
        return self.state in self.TERMINAL_STATES


@dataclass(frozen=True, slots=True)
class Device:
    """An Intune managed device, reduced to what the helpdesk shows and authorizes on."""

    id: str
    name: str
    operating_system: str
    os_version: str
    compliance_state: str
    management_state: str
    owner_type: str
    last_sync: datetime | None
    user_id: str
    user_principal_name: str
    user_display_name: str
    model: str
    manufacturer: str
    serial_number: str
    enrolled: datetime | None
    action_results: tuple[ActionStatus, ...] = field(default=(), compare=False)
    grace_period_until: datetime | None = None

    # Graph property names this class reads; the client asks for exactly these with $select.
    GRAPH_FIELDS = (
        "id",
        "deviceName",
        "operatingSystem",
        "osVersion",
        "complianceState",
        "managementState",
        "managedDeviceOwnerType",
        "lastSyncDateTime",
        "userId",
        "userPrincipalName",
        "userDisplayName",
        "model",
        "manufacturer",
        "serialNumber",
        "enrolledDateTime",
        "complianceGracePeriodExpirationDateTime",
    )

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Device:
        """Build from a Graph ``managedDevice`` object (list item or single GET)."""
        return cls(
            id=_str(data, "id"),
            name=_str(data, "deviceName"),
            operating_system=_str(data, "operatingSystem"),
            os_version=_str(data, "osVersion"),
            compliance_state=_str(data, "complianceState") or "unknown",
            management_state=_str(data, "managementState") or "managed",
            owner_type=_str(data, "managedDeviceOwnerType") or "unknown",
            last_sync=parse_graph_datetime(data.get("lastSyncDateTime")),
            user_id=_str(data, "userId"),
            user_principal_name=_str(data, "userPrincipalName"),
            user_display_name=_str(data, "userDisplayName"),
            model=_str(data, "model"),
            manufacturer=_str(data, "manufacturer"),
            serial_number=_str(data, "serialNumber"),
            enrolled=parse_graph_datetime(data.get("enrolledDateTime")),
            grace_period_until=_grace_end(data.get("complianceGracePeriodExpirationDateTime")),
            action_results=tuple(
                ActionStatus.from_graph(item)
                for item in data.get("deviceActionResults") or ()
                if isinstance(item, dict)
            ),
        )

    @property
    def sync_status(self) -> ActionStatus | None:
        """The last syncDevice action Graph reported for this device, if any."""
        syncs = [a for a in self.action_results if a.is_sync]
        return syncs[-1] if syncs else None

    @property
    def pending_removal(self) -> bool:
        """True when a wipe/retire/delete is pending: syncing such a device is usually not what anyone wants."""
        return self.pending_action is not None

    @property
    def pending_action(self) -> str | None:
        """The destructive action waiting for the device's next check-in: "wipe", "retire", "delete" or
        "freshStart"; ``None`` when there is none.

        A sync makes the device check in, and the pending action runs then: syncing is how it gets erased now.
        Read from ``managementState`` and, when fetched, from ``deviceActionResults`` (Fresh Start is the
        ``cleanWindowsDevice`` action; it has no management state of its own).
        """
        state = _PENDING_STATES.get(self.management_state)
        if state:
            return state
        for action in self.action_results:
            kind = _PENDING_ACTIONS.get(action.action.lower())
            if kind and action.state in {"pending", "active"}:
                return kind
        return None


_PENDING_STATES = {
    "wipePending": "wipe",
    "wipeIssued": "wipe",
    "retirePending": "retire",
    "retireIssued": "retire",
    "deletePending": "delete",
}
_PENDING_ACTIONS = {
    "wipe": "wipe",
    "factoryreset": "wipe",
    "retire": "retire",
    "delete": "delete",
    "cleanwindowsdevice": "freshStart",
    "freshstart": "freshStart",
}


@dataclass(frozen=True, slots=True)
class ComplianceSettingState:
    """One setting of a compliance policy as evaluated on one device (Graph ``deviceCompliancePolicySettingState``).

    ``setting`` is "<policy class>.<property>", e.g. ``IosCompliancePolicy.osMinimumVersion``; ``current_value``
    is what the device reported (often empty).
    """

    setting: str
    setting_name: str
    state: str
    current_value: str
    error_code: int
    error_description: str

    FAILING_STATES = frozenset({"nonCompliant", "error", "conflict"})

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> ComplianceSettingState:
        code = data.get("errorCode")
        return cls(
            setting=_str(data, "setting"),
            setting_name=_str(data, "settingName"),
            state=_str(data, "state") or "unknown",
            current_value=_str(data, "currentValue"),
            error_code=int(code) if isinstance(code, int | float) else 0,
            error_description=_str(data, "errorDescription"),
        )

    @property
    def key(self) -> str:
        """The setting's property name without the policy class ("osMinimumVersion")."""
        return self.setting.rsplit(".", 1)[-1]

    @property
    def failing(self) -> bool:
        return self.state in self.FAILING_STATES


@dataclass(frozen=True, slots=True)
class CompliancePolicyState:
    """A compliance policy's state on one device (Graph ``deviceCompliancePolicyState``), with its settings.

    ``id`` is the compliance policy's id, which reads the policy's requirements (``CompliancePolicy``).
    """

    id: str
    display_name: str
    state: str
    platform: str
    version: int
    settings: tuple[ComplianceSettingState, ...]

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> CompliancePolicyState:
        version = data.get("version")
        return cls(
            id=_str(data, "id"),
            display_name=_str(data, "displayName"),
            state=_str(data, "state") or "unknown",
            platform=_str(data, "platformType"),
            version=int(version) if isinstance(version, int | float) else 0,
            settings=tuple(
                ComplianceSettingState.from_graph(item)
                for item in data.get("settingStates") or ()
                if isinstance(item, dict)
            ),
        )

    @property
    def failing(self) -> bool:
        return self.state in ComplianceSettingState.FAILING_STATES


@dataclass(frozen=True, slots=True)
class CompliancePolicy:
    """A compliance policy's requirements (``deviceCompliancePolicy`` and its platform subtypes), as raw values.

    ``requirements`` keeps every scalar property ("osMinimumVersion": "17.6", "passcodeMinimumLength": 6), so the
    advice can quote the value the organisation asks for.
    """

    id: str
    display_name: str
    kind: str
    requirements: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> CompliancePolicy:
        return cls(
            id=_str(data, "id"),
            display_name=_str(data, "displayName"),
            kind=_str(data, "@odata.type").removeprefix("#microsoft.graph."),
            requirements={
                k: v
                for k, v in data.items()
                if not k.startswith("@") and isinstance(v, str | int | float | bool) and v is not None
            },
        )


@dataclass(frozen=True, slots=True)
class User:
    """An Entra user as the helpdesk needs it."""

    id: str
    display_name: str
    upn: str
    mail: str | None
    account_enabled: bool | None
    preferred_language: str | None = None  # "fr-FR": the language to write to them in when they have not chosen

    GRAPH_FIELDS = ("id", "displayName", "userPrincipalName", "mail", "accountEnabled", "preferredLanguage")

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> User:
        enabled = data.get("accountEnabled")
        return cls(
            id=_str(data, "id"),
            display_name=_str(data, "displayName"),
            upn=_str(data, "userPrincipalName"),
            mail=data.get("mail") or None,
            account_enabled=enabled if isinstance(enabled, bool) else None,
            preferred_language=data.get("preferredLanguage") or None,
        )


@dataclass(frozen=True, slots=True)
class LicenseDetail:
    """One license (SKU) assigned to a user, with the names of its service plans."""

    sku_id: str
    sku_part_number: str
    service_plans: tuple[str, ...]

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> LicenseDetail:
        plans = tuple(
            _str(p, "servicePlanName")
            for p in data.get("servicePlans") or ()
            if isinstance(p, dict) and p.get("provisioningStatus", "Success") != "Disabled"
        )
        return cls(
            sku_id=_str(data, "skuId"), sku_part_number=_str(data, "skuPartNumber"), service_plans=plans
        )

    @property
    def includes_intune(self) -> bool:
        """True when this SKU lets the user enroll devices in Intune ("User not found or licensed" otherwise)."""
        return bool(_INTUNE_SERVICE_PLANS.intersection(self.service_plans))


@dataclass(frozen=True, slots=True)
class Group:
    """An Entra group the user belongs to (directly or transitively)."""

    id: str
    display_name: str

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Group:
        return cls(id=_str(data, "id"), display_name=_str(data, "displayName"))


@dataclass(frozen=True, slots=True)
class EnrollmentFailure:
    """An ``enrollmentTroubleshootingEvent``: one failed enrollment attempt, as the troubleshooting pane lists it."""

    id: str
    event_datetime: datetime | None
    correlation_id: str
    managed_device_identifier: str
    operating_system: str
    os_version: str
    user_id: str
    device_id: str
    enrollment_type: str
    failure_category: str
    failure_reason: str

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> EnrollmentFailure:
        return cls(
            id=_str(data, "id"),
            event_datetime=parse_graph_datetime(data.get("eventDateTime")),
            correlation_id=_str(data, "correlationId"),
            managed_device_identifier=_str(data, "managedDeviceIdentifier"),
            operating_system=_str(data, "operatingSystem"),
            os_version=_str(data, "osVersion"),
            user_id=_str(data, "userId"),
            device_id=_str(data, "deviceId"),
            enrollment_type=_str(data, "enrollmentType"),
            failure_category=_str(data, "failureCategory"),
            failure_reason=_str(data, "failureReason"),
        )


# Bundle ids (iOS/iPadOS) and package ids (Android) of common Microsoft apps that support app protection
# policies, folded to lower case, with the name the Intune admin center and Company Portal show.
_MICROSOFT_APPS = {
    "com.microsoft.office.outlook": "Microsoft Outlook",  # iOS com.microsoft.Office.Outlook, Android the same
    "com.microsoft.skype.teams": "Microsoft Teams",
    "com.microsoft.teams": "Microsoft Teams",
    "com.microsoft.msedge": "Microsoft Edge",
    "com.microsoft.emmx": "Microsoft Edge",
    "com.microsoft.office.word": "Microsoft Word",
    "com.microsoft.office.excel": "Microsoft Excel",
    "com.microsoft.office.powerpoint": "Microsoft PowerPoint",
    "com.microsoft.skydrive": "Microsoft OneDrive",
    "com.microsoft.sharepoint": "Microsoft SharePoint",
    "com.microsoft.onenote": "Microsoft OneNote",
    "com.microsoft.office.onenote": "Microsoft OneNote",
    "com.microsoft.officemobile": "Microsoft 365 Copilot",
    "com.microsoft.office.officehubrow": "Microsoft 365 Copilot",
    "com.microsoft.to-do": "Microsoft To Do",
    "com.microsoft.todos": "Microsoft To Do",
    "com.microsoft.plannermobile": "Microsoft Planner",
    "com.microsoft.planner": "Microsoft Planner",
    "com.microsoft.azureauthenticator": "Microsoft Authenticator",
    "com.azure.authenticator": "Microsoft Authenticator",
    "com.microsoft.companyportal": "Company Portal",
    "com.microsoft.windowsintune.companyportal": "Company Portal",
}


def app_display_name(app_id: str) -> str:
    """A friendly name for a bundle/package id of a common Microsoft app; otherwise the id itself."""
    return _MICROSOFT_APPS.get(app_id.strip().lower(), app_id)


@dataclass(frozen=True, slots=True)
class AppRegistration:
    """A ``managedAppRegistration``: one app protected by an app protection (MAM) policy on one device.

    The troubleshooting portal's "App protection status" rows: app, device name and type, last sync. Graph
    returns ``iosManagedAppRegistration`` / ``androidManagedAppRegistration``; the app is identified by its
    ``appIdentifier`` (an ``iosMobileAppIdentifier`` with ``bundleId`` or ``androidMobileAppIdentifier`` with
    ``packageId``). The device need not be enrolled in Intune (app protection without enrollment).
    """

    id: str
    app_id: str  # bundle id (iOS/iPadOS) or package id (Android)
    platform: str  # "iOS", "Android" or "" when Graph does not say
    device_name: str
    device_type: str
    platform_version: str
    application_version: str
    last_sync: datetime | None
    flagged_reasons: tuple[str, ...]  # managedAppFlaggedReason values, "none" left out
    user_id: str

    GRAPH_FIELDS = (
        "id",
        "appIdentifier",
        "deviceName",
        "deviceType",
        "platformVersion",
        "applicationVersion",
        "lastSyncDateTime",
        "flaggedReasons",
        "userId",
    )

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> AppRegistration:
        ident = data.get("appIdentifier")
        ident = ident if isinstance(ident, dict) else {}
        app_id = _str(ident, "bundleId") or _str(ident, "packageId") or _str(ident, "windowsAppId")
        kind = (_str(ident, "@odata.type") or _str(data, "@odata.type")).lower()
        if "ios" in kind or ident.get("bundleId"):
            platform = "iOS"
        elif "android" in kind or ident.get("packageId"):
            platform = "Android"
        elif "windows" in kind:
            platform = "Windows"
        else:
            platform = ""
        reasons = data.get("flaggedReasons")
        if isinstance(reasons, str):  # tolerate a single enum value
            reasons = [reasons]
        flagged = tuple(str(r) for r in reasons or () if r and str(r) != "none")
        return cls(
            id=_str(data, "id"),
            app_id=app_id,
            platform=platform,
            device_name=_str(data, "deviceName"),
            device_type=_str(data, "deviceType"),
            platform_version=_str(data, "platformVersion"),
            application_version=_str(data, "applicationVersion"),
            last_sync=parse_graph_datetime(data.get("lastSyncDateTime")),
            flagged_reasons=flagged,
            user_id=_str(data, "userId"),
        )

    @property
    def app_name(self) -> str:
        return app_display_name(self.app_id) if self.app_id else ""

    @property
    def flagged(self) -> bool:
        """True when Intune flagged the device (rooted/jailbroken, unlocked bootloader, modified ROM)."""
        return bool(self.flagged_reasons)


def utc_now() -> datetime:
    """Current time, timezone-aware (kept here so every module formats time the same way)."""
    return datetime.now(UTC)
