"""Graph JSON -> models (the docs' example body), and the domain's independence from the Bot Framework."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import intune
from intune import ActionStatus, Device, EnrollmentFailure, LicenseDetail, User
from intune.models import AppRegistration, app_display_name, parse_graph_datetime

# Trimmed from the v1.0 managedDevice GET example of the Graph docs (see graph-examples in the shared reference).
DOC_EXAMPLE = {
    "value": {
        "@odata.type": "#microsoft.graph.managedDevice",
        "id": "705c034c-034c-705c-4c03-5c704c035c70",
        "userId": "User Id value",
        "deviceName": "Device Name value",
        "managedDeviceOwnerType": "company",
        "deviceActionResults": [
            {
                "@odata.type": "microsoft.graph.deviceActionResult",
                "actionName": "Action Name value",
                "actionState": "pending",
                "startDateTime": "2016-12-31T23:58:46.7156189-08:00",
                "lastUpdatedDateTime": "2017-01-01T00:00:56.8321556-08:00",
            }
        ],
        "enrolledDateTime": "2016-12-31T23:59:43.797191-08:00",
        "lastSyncDateTime": "2017-01-01T00:02:49.3205976-08:00",
        "operatingSystem": "Operating System value",
        "complianceState": "compliant",
        "osVersion": "Os Version value",
        "userPrincipalName": "User Principal Name value",
        "model": "Model value",
        "manufacturer": "Manufacturer value",
        "serialNumber": "Serial Number value",
        "userDisplayName": "User Display Name value",
    }
}


def test_device_from_the_docs_example() -> None:
    device = Device.from_graph(DOC_EXAMPLE["value"])
    assert device.id == "705c034c-034c-705c-4c03-5c704c035c70"
    assert device.owner_type == "company" and device.compliance_state == "compliant"
    assert device.management_state == "managed"  # absent in the docs example: Graph's default
    assert device.last_sync == datetime(2017, 1, 1, 8, 2, 49, 320597, tzinfo=UTC)
    assert device.action_results == (
        ActionStatus(
            "Action Name value",
            "pending",
            datetime(2017, 1, 1, 7, 58, 46, 715618, tzinfo=UTC),
            datetime(2017, 1, 1, 8, 0, 56, 832155, tzinfo=UTC),
        ),
    )
    assert device.sync_status is None  # not a syncDevice action


def test_graph_never_and_garbage_dates_are_none() -> None:
    assert parse_graph_datetime("0001-01-01T00:00:00Z") is None
    assert parse_graph_datetime("not a date") is None
    assert parse_graph_datetime(None) is None
    assert parse_graph_datetime("2024-05-01T10:00:00").tzinfo is UTC


def test_other_models() -> None:
    user = User.from_graph(
        {"id": "1", "displayName": "A", "userPrincipalName": "a@x", "accountEnabled": False}
    )
    assert user.account_enabled is False and user.mail is None
    lic = LicenseDetail.from_graph(
        {"skuId": "s", "skuPartNumber": "EMS", "servicePlans": [{"servicePlanName": "INTUNE_A"}]}
    )
    assert lic.includes_intune
    disabled = LicenseDetail.from_graph(
        {
            "skuPartNumber": "EMS",
            "servicePlans": [{"servicePlanName": "INTUNE_A", "provisioningStatus": "Disabled"}],
        }
    )
    assert not disabled.includes_intune
    event = EnrollmentFailure.from_graph({"id": "e", "failureReason": "Device cap reached"})
    assert event.failure_reason == "Device cap reached" and event.event_datetime is None


def test_app_registration_from_the_docs_shape() -> None:
    ios = AppRegistration.from_graph(
        {
            "@odata.type": "#microsoft.graph.iosManagedAppRegistration",
            "id": "2fd9d1d7-d1d7-2fd9-d7d1-d92fd7d1d92f",
            "lastSyncDateTime": "2016-12-31T23:59:25.6052401-08:00",
            "applicationVersion": "Application Version value",
            "platformVersion": "Platform Version value",
            "deviceType": "Device Type value",
            "deviceName": "Device Name value",
            "flaggedReasons": ["rootedDevice"],
            "userId": "User Id value",
            "appIdentifier": {"@odata.type": "microsoft.graph.iosMobileAppIdentifier", "bundleId": "Bundle Id value"},
        }
    )
    assert ios.app_id == "Bundle Id value" and ios.app_name == "Bundle Id value" and ios.platform == "iOS"
    assert ios.flagged and ios.flagged_reasons == ("rootedDevice",)
    assert ios.last_sync == datetime(2017, 1, 1, 7, 59, 25, 605240, tzinfo=UTC)
    android = AppRegistration.from_graph(
        {
            "id": "x",
            "flaggedReasons": ["none"],
            "appIdentifier": {
                "@odata.type": "#microsoft.graph.androidMobileAppIdentifier",
                "packageId": "com.microsoft.emmx",
            },
        }
    )
    assert (android.platform, android.app_name, android.flagged) == ("Android", "Microsoft Edge", False)
    bare = AppRegistration.from_graph({"id": "y"})
    assert (bare.app_id, bare.platform, bare.last_sync, bare.flagged_reasons) == ("", "", None, ())
    assert app_display_name("com.microsoft.Office.Outlook") == "Microsoft Outlook"
    assert app_display_name("com.microsoft.skype.teams") == app_display_name("com.microsoft.teams")


def test_public_api_is_exported() -> None:
    for name in intune.__all__:
        assert hasattr(intune, name), name


def test_no_bot_framework_in_the_domain() -> None:
    root = Path(intune.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in {"botbuilder", "botframework", "bot", "dialogs"}, (
                    f"{path.name} imports {name}"
                )
