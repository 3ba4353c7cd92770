"""The Intune domain: Graph client, authorization, device sync with confirmations, cooldowns and audit.

No Bot Framework types here: plain dataclasses in and out, so the Teams layer, the CLI and the tests share it.
"""

from intune.authorization import AuthorizationPolicy, Decision, MemberGroupChecker, Reason
from intune.demo_tenant import DEMO_IDS, DemoIds, DemoTenant
from intune.device_health import ComplianceIssue, DeviceHealth, DeviceHealthService, HealthRefused
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
from intune.graph_client import (
    DEFAULT_GRAPH_URL,
    CertificateCredential,
    GraphClient,
    MsalTokenProvider,
    RetryPolicy,
    StaticTokenProvider,
    TokenProvider,
    odata_string,
    path_segment,
)
from intune.models import (
    ActionStatus,
    AppRegistration,
    Caller,
    Device,
    EnrollmentFailure,
    Group,
    LicenseDetail,
    User,
)
from intune.sync_service import (
    AuditEntry,
    Confirmation,
    DeviceSearch,
    NotAuthorized,
    SyncOutcome,
    SyncService,
    SyncStatus,
)
from intune.targets import device_matches, parse_device_target

__all__ = [
    "DEFAULT_GRAPH_URL",
    "DEMO_IDS",
    "SYNC_PERMISSION",
    "ActionStatus",
    "AppRegistration",
    "AuditEntry",
    "AuthorizationPolicy",
    "Caller",
    "CertificateCredential",
    "ComplianceIssue",
    "Confirmation",
    "Decision",
    "DemoIds",
    "DemoTenant",
    "Device",
    "DeviceHealth",
    "DeviceHealthService",
    "DeviceSearch",
    "EnrollmentFailure",
    "GraphAuthError",
    "GraphClient",
    "GraphError",
    "GraphForbidden",
    "GraphNotFound",
    "GraphThrottled",
    "GraphTimeout",
    "GraphUnavailable",
    "Group",
    "HealthRefused",
    "LicenseDetail",
    "MemberGroupChecker",
    "MsalTokenProvider",
    "NotAuthorized",
    "Reason",
    "RetryPolicy",
    "StaticTokenProvider",
    "SyncOutcome",
    "SyncService",
    "SyncStatus",
    "TokenProvider",
    "User",
    "device_matches",
    "odata_string",
    "parse_device_target",
    "path_segment",
]
