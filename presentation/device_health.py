"""The device status card ("why is my iPad not compliant?") and the device overview ("are my devices all ok?").

Words only: the decisions (which setting fails, who can fix it, the grace-period end) come from
``intune.device_health``. End users read what they can do and, where only IT can act, "your IT team must help";
agents also see the policy and setting names Intune shows in the admin center.
"""

from __future__ import annotations

from typing import Any

from intune.device_health import ComplianceIssue, DeviceHealth
from intune.models import Device
from presentation import cards
from presentation.i18n import Translator

SYNC_ACTION = "sync_pick"
"""Card data action that opens the sync confirmation for one device (``device_id``); the sync flow handles it."""
STATUS_ACTION = "device_status"
"""Card data action that shows one device's status card (``device_id``); the device health flow handles it."""
USER = "user"
AGENT = "agent"
MAX_LISTED = 10


def compliance_label(t: Translator, state: str) -> str:
    return {
        "compliant": t("compliant"), "noncompliant": t("not compliant"), "inGracePeriod": t("in grace period"),
        "conflict": t("conflict"), "error": t("compliance error"),
        "configManager": t("managed by Configuration Manager"),
    }.get(state, t("compliance unknown"))


def management_label(t: Translator, state: str) -> str:
    return {
        "managed": t("managed"), "retirePending": t("retire pending"), "retireIssued": t("retire pending"),
        "wipePending": t("wipe pending"), "wipeIssued": t("wipe pending"), "deletePending": t("deletion pending"),
        "retireFailed": t("retire failed"), "wipeFailed": t("wipe failed"), "unhealthy": t("unhealthy"),
        "discovered": t("discovered"),
    }.get(state, state or t("management state unknown"))


def pending_action_warning(t: Translator, device: Device) -> str:
    """Why syncing this device now would be harmful; empty when nothing destructive is pending."""
    kind = device.pending_action
    if kind == "wipe":
        return t("A wipe (factory reset) is pending on {name}: syncing it makes the device check in and be erased "
                 "now.", name=device.name)
    if kind == "retire":
        return t("A retire is pending on {name}: syncing it makes the device check in and lose its work data and "
                 "management now.", name=device.name)
    if kind == "freshStart":
        return t("A Fresh Start is pending on {name}: syncing it makes the PC check in and reinstall Windows now, "
                 "removing its apps.", name=device.name)
    if kind == "delete":
        return t("{name} is being removed from Intune: syncing it now would not help.", name=device.name)
    return ""


def _os_name(device: Device) -> str:
    return device.operating_system or "—"


def _settings_path(t: Translator, device: Device) -> str:
    os_ = device.operating_system.lower()
    if os_ in {"ios", "ipados"}:
        return t("Settings > General > Software Update")
    if os_.startswith("windows"):
        return t("Settings > Windows Update")
    if os_ == "android":
        return t("Settings > System > Software update")
    if os_ == "macos":
        return t("System Settings > General > Software Update")
    return ""


def _passcode_path(t: Translator, device: Device) -> str:
    os_ = device.operating_system.lower()
    if os_ in {"ios", "ipados"}:
        return t("Settings > Face ID & Passcode (or Touch ID & Passcode)")
    if os_ == "android":
        return t("Settings > Security > Screen lock")
    if os_.startswith("windows"):
        return t("Settings > Accounts > Sign-in options")
    return ""


def _with_path(t: Translator, text: str, where: str) -> str:
    if not where:
        return text
    return text + " " + t("Where: {path}.", path=where)


def issue_text(t: Translator, issue: ComplianceIssue, device: Device) -> str:
    """What to do about one failing setting, in plain words."""
    os_ = _os_name(device)
    mobile = device.operating_system.lower() in {"ios", "ipados", "android"}
    fix = issue.fix
    if fix == "update_os":
        where = _settings_path(t, device)
        text = (t("Update {os} to {version} or later.", os=os_, version=issue.required) if issue.required
                else t("Update {os} to the latest version.", os=os_))
        return _with_path(t, text, where)
    if fix == "set_passcode":
        where = _passcode_path(t, device)
        if issue.required:
            text = (t("Set a passcode of at least {n} digits to unlock the device.", n=issue.required) if mobile
                    else t("Set a sign-in password of at least {n} characters.", n=issue.required))
        else:
            text = (t("Set a passcode to unlock the device.") if mobile else t("Set a sign-in password."))
        return _with_path(t, text, where)
    if fix == "passcode_not_simple":
        return t("Choose a passcode that is not simple (no 1234 or 1111).")
    if fix == "auto_lock":
        return (t("Make the screen lock automatically after {n} minutes or less.", n=issue.required)
                if issue.required else t("Make the screen lock automatically after a few minutes."))
    if fix == "change_passcode":
        return t("Your passcode has expired: change it.")
    if fix == "encrypt":
        return t("Turn on encryption of the device's storage (on Android: Settings > Security > Encryption).")
    if fix == "threat":
        return t("Your threat protection app reports a risk on this device: open it and follow what it says.")
    if fix == "check_in":
        return t("The device has not checked in with Intune for a long time: turn it on, connect it to the "
                 "internet, and open Company Portal on it.")
    if fix == "bitlocker":
        return t("Turn on BitLocker drive encryption: your IT team must help.")
    if fix == "secure_boot":
        return t("Turn on Secure Boot in the PC's firmware: your IT team must help.")
    if fix == "code_integrity":
        return t("Windows code integrity is off: your IT team must help.")
    if fix == "tpm":
        return t("The PC needs its TPM security chip turned on: your IT team must help.")
    if fix == "sip":
        return t("System Integrity Protection is off on this Mac: your IT team must help.")
    if fix == "antivirus":
        return t("Microsoft Defender Antivirus must be on and up to date: your IT team must help.")
    if fix == "firewall":
        return t("The firewall must be on: your IT team must help.")
    if fix == "jailbroken":
        return t("The device looks jailbroken or rooted; it must run the manufacturer's software again: your IT "
                 "team must help.")
    if fix == "os_too_new":
        return t("This {os} version is newer than your organisation allows yet: your IT team must help.", os=os_)
    if fix == "user_gone":
        return t("The account that enrolled this device no longer exists or is disabled: your IT team must help.")
    if fix == "no_policy":
        return t("No compliance policy is assigned to this device: your IT team must fix this.")
    return t("A setting of the policy \"{policy}\" is not met: your IT team must help.", policy=issue.policy)


def _agent_detail(t: Translator, issue: ComplianceIssue) -> str:
    """The admin center's words for a failing setting, for help desk agents."""
    detail = t("Setting {setting} in \"{policy}\"", setting=issue.setting, policy=issue.policy)
    if issue.current:
        detail += " — " + t("device reports {value}", value=issue.current)
    if issue.required:
        detail += " — " + t("required {value}", value=issue.required)
    return detail


def _step_blocks(texts: list[str]) -> list[dict[str, Any]]:
    return [{"type": "TextBlock", "wrap": True, "text": f"• {text}", "spacing": "Small"} for text in texts]


def helpdesk_action(t: Translator) -> dict[str, Any] | None:
    """The "ask the helpdesk" button, when the tickets flow provides one."""
    make = getattr(cards, "ask_helpdesk_action", None)
    return make(t) if callable(make) else None


def status_line(t: Translator, health: DeviceHealth) -> tuple[str, str]:
    """(text, color) of the headline state."""
    state = health.state
    if state == "compliant":
        return t("Compliant"), "Good"
    if state == "inGracePeriod":
        if health.grace_until is not None:
            return (t("In grace period until {date} ({when})", date=t.date(health.grace_until),
                      when=t.relative(health.grace_until)), "Warning")
        return t("In grace period"), "Warning"
    if state == "noncompliant":
        return t("Not compliant"), "Attention"
    return compliance_label(t, state).capitalize(), "Warning"


def consequence_text(t: Translator, health: DeviceHealth) -> str:
    state = health.state
    if state == "compliant":
        return t("Nothing to do: this device meets your organisation's rules, so company email and apps stay "
                 "available.")
    if state == "inGracePeriod":
        date = t.date(health.grace_until) if health.grace_until else t("the end of the grace period")
        return t("Fix it before {date}: after that, the device is marked not compliant, and company email, "
                 "Teams and files protected by Conditional Access can be blocked on it.", date=date)
    if state == "noncompliant":
        return t("Until it is fixed, your organisation can block access to company email, Teams and files from "
                 "this device (Conditional Access).")
    return t("Intune has no clear compliance result for this device yet. Syncing it usually settles it.")


def device_health_card(t: Translator, health: DeviceHealth, *, audience: str = USER,
                       can_sync: bool = True) -> dict[str, Any]:
    """The status card of one device: state, grace-period end, last check-in, each failing setting and what to do.

    ``can_sync`` offers "Sync now" (re-evaluate after a fix); leave it False where a sync would be harmful for
    this caller (a wipe or retire is pending and the caller is not an agent).
    """
    d = health.device
    agent = audience == AGENT
    status, color = status_line(t, health)
    facts = [{"title": t("Compliance"), "value": compliance_label(t, health.state)}]
    if health.grace_until is not None and health.state != "compliant":
        facts.append({"title": t("Grace period ends"), "value": t.date(health.grace_until)})
    facts.append({"title": t("Last check-in"), "value": t.relative(health.last_check_in)})
    if d.management_state != "managed" or agent:
        facts.append({"title": t("Management"), "value": management_label(t, d.management_state)})
    if agent:
        facts.append({"title": t("Owner"), "value": d.user_display_name or d.user_principal_name or "—"})
    user_steps = [issue_text(t, i, d) for i in health.issues if i.self_service]
    it_steps = [issue_text(t, i, d) for i in health.issues if not i.self_service]
    if agent:
        user_steps = [f"{text} ({_agent_detail(t, i)})" for text, i in
                      zip(user_steps, [i for i in health.issues if i.self_service], strict=True)]
        it_steps = [f"{text} ({_agent_detail(t, i)})" for text, i in
                    zip(it_steps, [i for i in health.issues if not i.self_service], strict=True)]
    if not health.compliant and not health.details:
        note = t("I couldn't read which settings fail. On the device, open Company Portal, select it under "
                 "Devices, then Check status: it lists each one.")
    elif health.compliant:
        note = ""
    else:
        note = t("Once it's fixed, use Sync now (or Company Portal > Devices > Check status) so Intune checks the "
                 "device again; the status can take from a few minutes to a few hours to update.")
    actions: list[dict[str, Any]] = []
    warning = pending_action_warning(t, d)
    if can_sync and not health.compliant:
        actions.append(cards.submit(t("Sync now"), {"action": SYNC_ACTION, "device_id": d.id}))
    if it_steps and not agent:
        helpdesk = helpdesk_action(t)
        if helpdesk is not None:
            actions.append(helpdesk)
    subtitle = f"{d.operating_system} {d.os_version}".strip()
    if agent and (d.user_display_name or d.user_principal_name):
        subtitle += " · " + (d.user_display_name or d.user_principal_name)
    return cards.render(
        "device_health",
        kicker=t("Device status"),
        title=d.name,
        subtitle=subtitle,
        status=status,
        status_color=color,
        consequence=consequence_text(t, health),
        warning=warning,
        facts=facts,
        user_heading=(t("What the user can do") if agent else t("What you can do")) if user_steps else "",
        user_steps=_step_blocks(user_steps),
        it_heading=(t("What IT must do") if agent else t("What your IT team needs to do")) if it_steps else "",
        it_steps=_step_blocks(it_steps),
        note=note,
        actions=actions,
    )


def device_line(t: Translator, d: Device) -> str:
    """One device in a list: name, system, compliance, management state when it matters, last check-in."""
    line = t("{name} — {os} {version}, {compliance}, last check-in {when}", name=d.name, os=d.operating_system,
             version=d.os_version, compliance=compliance_label(t, d.compliance_state), when=t.relative(d.last_sync))
    if d.management_state != "managed":
        line += " — ⚠️ " + management_label(t, d.management_state)
    return line


def device_list_card(t: Translator, devices: list[Device], *, owner: str | None = None) -> dict[str, Any]:
    """"Are my devices all ok?": every device with its state, a button to open each one's status card."""
    bad = [d for d in devices if d.compliance_state != "compliant"]
    if not devices:
        summary = t("No device of yours is managed by Intune.") if owner is None else t(
            "{name} has no device managed by Intune.", name=owner)
    elif not bad:
        summary = t.plural("{n} device: compliant.", "{n} devices: all compliant.", len(devices))
    else:
        summary = t.plural("{n} device needs attention.", "{n} devices need attention.", len(bad))
    shown = sorted(devices, key=lambda d: (d.compliance_state == "compliant", d.name.lower()))[:MAX_LISTED]
    items = []
    for d in shown:
        color = "Good" if d.compliance_state == "compliant" else "Attention"
        if d.compliance_state == "inGracePeriod":
            color = "Warning"
        items.append({"type": "TextBlock", "wrap": True, "color": color, "text": "• " + device_line(t, d)})
    actions = [cards.submit(t("Details: {name}", name=d.name)[:60], {"action": STATUS_ACTION, "device_id": d.id})
               for d in shown if d.compliance_state != "compliant"][:5]
    more = len(devices) - len(shown)
    note = t.plural("({n} more not shown.)", "({n} more not shown.)", more) if more > 0 else ""
    return cards.render(
        "device_list",
        kicker=t("Device status"),
        title=t("Your devices") if owner is None else t("Devices of {name}", name=owner),
        summary=summary,
        devices=items,
        note=note,
        actions=actions,
    )
