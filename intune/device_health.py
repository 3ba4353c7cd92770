"""Why is this device not compliant, and what can its user do about it: Company Portal's "Check status", from Graph.

For one device: its compliance state, grace-period end and last check-in (the managedDevice), each failing
compliance setting (``managedDevices/{id}/deviceCompliancePolicyStates`` and their ``settingStates``), and, for
each, a fix id and who can apply it (``intune/data/compliance_settings.yaml``), quoting the value the policy asks
for (``deviceCompliancePolicies/{id}``) when the bot may read it. End users see their own devices; help desk agents
any user's. Plain dataclasses out; the Teams layer words them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import yaml

from intune.authorization import AuthorizationPolicy, Reason
from intune.errors import GraphError, GraphForbidden, GraphNotFound
from intune.graph_client import GraphClient
from intune.models import Caller, CompliancePolicy, CompliancePolicyState, Device

__all__ = [
    "ComplianceIssue",
    "DeviceHealth",
    "DeviceHealthService",
    "HealthRefused",
    "SettingRule",
    "load_setting_rules",
]

logger = logging.getLogger(__name__)

USER = "user"
IT = "it"
_POLICY_CACHE_TTL = 300.0


@dataclass(frozen=True, slots=True)
class SettingRule:
    """What a failing setting asks for (``fix``), who can fix it (``who``: "user" or "it"), which policy value to
    quote (``value``)."""

    fix: str
    who: str
    value: str | None = None


def load_setting_rules(text: str | None = None) -> tuple[dict[str, SettingRule], SettingRule]:
    """The setting rules from ``compliance_settings.yaml`` (or ``text``); raises ``ValueError`` on a bad file."""
    if text is None:
        text = resources.files("intune").joinpath("data/compliance_settings.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or set(data) != {"settings", "default"}:
        raise ValueError("compliance_settings.yaml needs exactly 'settings' and 'default'")

    def rule(name: str, raw: Any) -> SettingRule:
        if not isinstance(raw, dict) or set(raw) - {"fix", "who", "value"} or not raw.get("fix"):
            raise ValueError(f"compliance setting {name}: needs fix, who, optional value")
        if raw.get("who") not in (USER, IT):
            raise ValueError(f"compliance setting {name}: who must be 'user' or 'it'")
        return SettingRule(str(raw["fix"]), str(raw["who"]), str(raw["value"]) if raw.get("value") else None)

    rules = {str(k): rule(str(k), v) for k, v in (data["settings"] or {}).items()}
    return rules, rule("default", data["default"])


@dataclass(frozen=True, slots=True)
class ComplianceIssue:
    """One failing setting, ready to word: ``fix`` id, whether the user can fix it alone, the value asked for."""

    setting: str  # the property name, e.g. "osMinimumVersion"
    fix: str
    self_service: bool
    required: str | None  # what the policy asks for ("17.6", "6"), when the bot could read the policy
    current: str | None  # what the device reported
    policy: str  # the policy's display name
    state: str  # nonCompliant, error or conflict


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """A device's compliance as its user would want it explained.

    ``details`` is False when the per-setting states could not be read (then ``issues`` is empty even for a
    non-compliant device, and the card says to open Company Portal or ask the help desk).
    """

    device: Device
    issues: tuple[ComplianceIssue, ...]
    policies: tuple[CompliancePolicyState, ...] = ()
    details: bool = True
    as_agent: bool = False

    @property
    def state(self) -> str:
        return self.device.compliance_state

    @property
    def compliant(self) -> bool:
        return self.device.compliance_state == "compliant"

    @property
    def grace_until(self) -> datetime | None:
        """When the grace period ends (access is blocked after it), if one runs."""
        return self.device.grace_period_until

    @property
    def last_check_in(self) -> datetime | None:
        return self.device.last_sync

    @property
    def user_can_fix_all(self) -> bool:
        return bool(self.issues) and all(i.self_service for i in self.issues)

    @property
    def needs_it(self) -> bool:
        return any(not i.self_service for i in self.issues)


class HealthRefused(PermissionError):
    """The caller may not see this device (not theirs and not an agent, or another tenant)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class DeviceHealthService:
    """Compliance status of a device for its user or a help desk agent, read live from Graph."""

    def __init__(
        self,
        graph: GraphClient,
        authz: AuthorizationPolicy,
        *,
        rules: tuple[dict[str, SettingRule], SettingRule] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._graph = graph
        self._authz = authz
        self._rules, self._default = rules or load_setting_rules()
        self._clock = clock
        self._policies: dict[str, tuple[CompliancePolicy | None, float]] = {}

    def rule(self, setting_key: str) -> SettingRule:
        return self._rules.get(setting_key, self._default)

    async def health(self, caller: Caller, device_id: str) -> DeviceHealth:
        """The device's compliance explained; raises ``HealthRefused`` or ``GraphError`` (device read failed)."""
        tenant = self._authz.tenant_decision(caller)
        if not tenant:
            raise HealthRefused(tenant.reason)
        try:
            device = await self._graph.get_device(device_id, with_actions=True)
        except ValueError:
            raise GraphNotFound("invalid device id") from None
        decision = await self._authz.can_act_on(caller, device)
        if not decision:
            raise HealthRefused(decision.reason)
        return await self.explain(device, as_agent=decision.as_agent)

    async def explain(self, device: Device, *, as_agent: bool = False) -> DeviceHealth:
        """Read the setting states of an (already authorized) device and turn the failing ones into issues."""
        try:
            states = await self._graph.device_compliance_policy_states(device.id)
        except GraphError as exc:
            logger.warning("compliance states unavailable for %s: %s", device.id, type(exc).__name__)
            return DeviceHealth(device, (), details=False, as_agent=as_agent)
        issues: list[ComplianceIssue] = []
        seen: set[str] = set()
        for policy_state in states:
            failing = [s for s in policy_state.settings if s.failing]
            if not failing:
                continue
            policy = await self._policy(policy_state.id)
            for setting in failing:
                rule = self.rule(setting.key)
                required = None
                if rule.value and policy is not None:
                    raw = policy.requirements.get(rule.value)
                    required = None if raw in (None, "", 0, False) else str(raw)
                # One line per fix: "passcode required" and "passcode length" are one thing to do.
                if rule.fix in seen and rule.fix != "other":
                    continue
                seen.add(rule.fix)
                issues.append(
                    ComplianceIssue(
                        setting=setting.key,
                        fix=rule.fix,
                        self_service=rule.who == USER,
                        required=required,
                        current=setting.current_value or None,
                        policy=policy_state.display_name,
                        state=setting.state,
                    )
                )
        issues.sort(key=lambda i: (not i.self_service, i.fix))
        return DeviceHealth(device, tuple(issues), tuple(states), details=True, as_agent=as_agent)

    async def _policy(self, policy_id: str) -> CompliancePolicy | None:
        """The policy's requirements, cached a few minutes; ``None`` when the bot may not read it or it is built in."""
        now = self._clock()
        cached = self._policies.get(policy_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            policy: CompliancePolicy | None = await self._graph.get_compliance_policy(policy_id)
        except (GraphForbidden, GraphNotFound):
            policy = None  # no DeviceManagementConfiguration.Read.All, or the built-in default policy
        except (GraphError, ValueError) as exc:
            logger.info("compliance policy %s unavailable: %s", policy_id, type(exc).__name__)
            return None
        if len(self._policies) > 1000:
            self._policies.clear()
        self._policies[policy_id] = (policy, now + _POLICY_CACHE_TTL)
        return policy
