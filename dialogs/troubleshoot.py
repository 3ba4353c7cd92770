"""Agent tools in chat: who synced a device (audit log) and the troubleshooting summary of a user.

The summary card shows the account, the Intune license, the devices (worst first), the groups, the apps under
app protection (flagged devices first; "unavailable" when Graph refused only that area) and recent enrollment
failures, under Teams' message size cap.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from dialogs.privacy import send_private
from dialogs.sync_dialog import compliance_label, graph_error_text
from dialogs.turn import turn_info
from intune.errors import GraphError, GraphForbidden
from intune.models import AppRegistration, Device, User
from intune.troubleshoot import Candidates, Refusal, RefusalReason, TroubleshootService, UserSummary
from knowledge.text import fold
from presentation import cards
from presentation.i18n import Translator

if TYPE_CHECKING:
    from dialogs.services import Services

log = logging.getLogger(__name__)

MAX_DEVICE_ROWS = 8
MAX_GROUP_NAMES = 10
MAX_FAILURE_ROWS = 5
MAX_APP_ROWS = 5
APPS_PERMISSION = "DeviceManagementApps.Read.All"
MAX_SYNC_BUTTONS = 8
PRIMARY_SYNC_BUTTONS = 3
MAX_CARD_BYTES = 27_000  # Teams refuses messages over ~28 KB
PENDING_FAQ = "wipe-pending-forever"
OFFLINE_FAQ = "wipe-offline-device"
FAILURES_FAQ = "enrollment-failures"


class TroubleshootFlow:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._service: TroubleshootService | None = None

    def _troubleshooter(self) -> TroubleshootService | None:
        services = self.services
        if services.graph is None or services.authz is None:
            return None
        if self._service is None:
            # The tenant allow-list (authz) binds callers to the tenant the Graph client serves.
            self._service = TroubleshootService(services.graph, services.authz, self._enrollment_entry_id,
                                                tenant_id=services.graph_tenant_id)
        return self._service

    def _enrollment_entry_id(self, reason: str) -> str | None:
        """The knowledge base's enrollment entry for a Graph failure reason: by name, else by the matcher."""
        kb = self.services.kb
        wanted = fold(reason)
        for entry in kb.enrollment.values():
            if any(fold(text.name) == wanted for text in entry.texts.values()):
                return entry.id
        result = self.services.matcher.lookup(reason)
        for match in result.matches:
            if match.entry.kind == "enrollment":
                return match.entry.id
        return None

    async def _is_agent(self, turn_context: TurnContext) -> bool:
        info = turn_info(turn_context)
        authz = self.services.authz
        return bool(info.caller and authz and await authz.is_agent(info.caller))

    async def who_synced(self, turn_context: TurnContext, target: str) -> None:
        """Who synced a device, by its name or its owner ("le pc d'alice"); never a false "nobody"."""
        info = turn_info(turn_context)
        t = info.t
        sync = self.services.sync
        if sync is None or info.caller is None or not await self._is_agent(turn_context):
            await turn_context.send_activity(t("Only helpdesk agents can read the sync audit log."))
            return
        try:
            search = await sync.devices_for(info.caller, target)
        except GraphError as exc:
            await turn_context.send_activity(graph_error_text(t, exc))
            return
        devices = list(search.devices)
        info.subject.set_action("who_synced", target, flow="who_synced")
        if search.user is not None:
            info.subject.set_user(search.user.upn, search.user.display_name)
        if not devices:
            entries = await sync.who_synced(target)
            if not entries:
                who = search.user.display_name if search.user else target
                await turn_context.send_activity(t("I found no device matching \"{target}\" for {who}.",
                                                   target=target, who=who) if search.user else
                                                 t("I found no device matching \"{target}\".", target=target))
                return
            lines = [self._audit_line(t, e, e.device_name or target) for e in entries[:5]]
            await send_private(turn_context, "\n\n".join(lines), self.services.messenger)
            return
        if len(devices) > 8:
            await turn_context.send_activity(t("{n} devices match \"{target}\": which one? Give me its name.",
                                               n=len(devices), target=target))
            return
        lines = []
        for device in devices:
            entries = await sync.who_synced(device.name)
            if entries:
                lines += [self._audit_line(t, e, device.name) for e in entries[:3]]
            else:
                lines.append(t("{name} ({owner}): no sync requested through me; Intune's last check-in was {when}.",
                               name=device.name, owner=device.user_display_name or device.user_principal_name,
                               when=t.relative(device.last_sync)))
        if len(devices) == 1:
            info.subject.set_device(devices[0].id, devices[0].name)
        await send_private(turn_context, "\n\n".join(lines), self.services.messenger)

    @staticmethod
    def _audit_line(t: Translator, e: Any, name: str) -> str:
        return t("{who} synced {name} {when}.", who=e.caller_name or e.caller_upn or e.caller_id, name=name,
                 when=t.relative(e.at))

    async def run(self, turn_context: TurnContext, target: str) -> None:
        info = turn_info(turn_context)
        t = info.t
        service = self._troubleshooter()
        if service is None or info.caller is None:
            await turn_context.send_activity(t("Only helpdesk agents can troubleshoot other users."))
            return
        try:
            result = await service.summary(info.caller, target)
        except GraphError as exc:
            log.warning("troubleshooting summary failed: %s", exc)
            await turn_context.send_activity(graph_error_text(t, exc))
            return
        if isinstance(result, Refusal):
            if result.reason is RefusalReason.NOT_AGENT:
                await turn_context.send_activity(t("Only helpdesk agents can troubleshoot other users."))
            else:
                await turn_context.send_activity(
                    t("I found no user matching {query} in your organization.", query=target.strip()))
            return
        if isinstance(result, Candidates):
            card = candidates_card(result, t)
        else:
            card = summary_card(result, self.services.kb, t)
            info.subject.set_user(result.user.upn, result.user.display_name)
            info.subject.set_action("troubleshoot", result.user.upn, flow="troubleshoot")
        # A user's account, devices, apps and enrollment failures: the asker's 1:1 chat when asked in a channel.
        await send_private(turn_context, card, self.services.messenger)


# -- cards ----------------------------------------------------------------------------------------


def candidates_card(found: Candidates, t: Translator) -> dict[str, Any]:
    items = [{"type": "TextBlock", "wrap": True, "text": f"{i}. {u.display_name} ({u.upn})"}
             for i, u in enumerate(found.users, start=1)]
    actions = [cards.submit(f"{u.display_name} ({u.upn})", {"action": "troubleshoot", "user": u.upn})
               for u in found.users[:6]]
    return cards.render("choices", title=t("Several users match \"{query}\"", query=found.query),
                        hint=t("Pick the user to troubleshoot."), items=items, actions=actions)


def management_label(t: Translator, state: str) -> str:
    labels = {
        "managed": t("managed"), "retirePending": t("retire pending"), "retireIssued": t("retire pending"),
        "wipePending": t("wipe pending"), "wipeIssued": t("wipe pending"), "deletePending": t("deletion pending"),
        "retireFailed": t("retire failed"), "wipeFailed": t("wipe failed"), "unhealthy": t("unhealthy"),
        "discovered": t("discovered"),
    }
    return labels.get(state, state or t("management state unknown"))


def ownership_label(t: Translator, owner_type: str) -> str:
    return {"company": t("corporate"), "personal": t("personal")}.get(owner_type, t("ownership unknown"))


def _user_label(user: User) -> str:
    return user.display_name or user.upn


def _device_row(d: Device, t: Translator) -> dict[str, Any]:
    flag = "⚠️ " if d.pending_removal or d.compliance_state == "noncompliant" else ""
    os_text = " ".join(x for x in (d.operating_system, d.os_version) if x) or t("unknown OS")
    details = t("{ownership} · {compliance} · {management} · last check-in {when}",
                ownership=ownership_label(t, d.owner_type), compliance=compliance_label(t, d.compliance_state),
                management=management_label(t, d.management_state), when=t.relative(d.last_sync))
    return {"type": "Container", "spacing": "Small", "items": [
        {"type": "TextBlock", "wrap": True, "text": f"{flag}**{d.name}** — {os_text}",
         **({"color": "Attention"} if d.pending_removal else {})},
        {"type": "TextBlock", "wrap": True, "isSubtle": True, "size": "Small", "spacing": "None", "text": details},
    ]}


def flagged_label(t: Translator, reason: str) -> str:
    """Why Intune flagged the device an app runs on (managedAppFlaggedReason)."""
    labels = {
        "rootedDevice": t("rooted/jailbroken device"),
        "androidBootloaderUnlocked": t("bootloader unlocked"),
        "androidFactoryRomModified": t("factory ROM modified"),
    }
    return labels.get(reason, reason)


def apps_unavailable_text(t: Translator, exc: GraphError) -> str:
    if isinstance(exc, GraphForbidden):
        return t("Apps unavailable: the bot is missing the {permission} Microsoft Graph permission.",
                 permission=exc.permission or APPS_PERMISSION)
    return t("Apps unavailable: Intune did not answer. Try again in a minute.")


def _app_row(a: AppRegistration, t: Translator) -> dict[str, Any]:
    name = a.app_name or t("Unknown app")
    device = a.device_name or a.device_type or t("unknown device")
    os_text = " ".join(x for x in (a.platform, a.platform_version) if x) or t("unknown OS")
    details = t("{os} · version {version} · last sync {when}", os=os_text, version=a.application_version or "—",
                when=t.relative(a.last_sync))
    items: list[dict[str, Any]] = [
        {"type": "TextBlock", "wrap": True, "text": f"{'⚠️ ' if a.flagged else ''}**{name}** — {device}"},
        {"type": "TextBlock", "wrap": True, "isSubtle": True, "size": "Small", "spacing": "None", "text": details},
    ]
    if a.flagged:
        reasons = ", ".join(flagged_label(t, r) for r in a.flagged_reasons)
        items.append({"type": "TextBlock", "wrap": True, "size": "Small", "spacing": "None", "color": "Attention",
                      "text": t("Flagged by Intune: {reasons}", reasons=reasons)})
    return {"type": "Container", "spacing": "Small", "items": items}


def compliance_count(t: Translator, state: str, n: int) -> str:
    """"2 compliant" / « 2 conformes »: a number of devices in one compliance state, in agreement."""
    labels = {
        "compliant": t.plural("{n} compliant", "{n} compliant", n),
        "noncompliant": t.plural("{n} not compliant", "{n} not compliant", n),
        "inGracePeriod": t.plural("{n} in grace period", "{n} in grace period", n),
        "conflict": t.plural("{n} in conflict", "{n} in conflict", n),
        "error": t.plural("{n} with a compliance error", "{n} with a compliance error", n),
        "configManager": t.plural("{n} managed by Configuration Manager", "{n} managed by Configuration Manager", n),
    }
    return labels.get(state) or t.plural("{n} with compliance unknown", "{n} with compliance unknown", n)


def more_text(t: Translator, n: int) -> str:
    return t.plural("and {n} more", "and {n} more", n)


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n", 1)[0].strip()


def summary_card(s: UserSummary, kb: Any, t: Translator) -> dict[str, Any]:
    lang = t.lang
    user = s.user
    facts = []
    if user.account_enabled is None:
        account = t("unknown")
    else:
        account = t("enabled") if user.account_enabled else t("disabled")
    facts.append({"title": t("Account"), "value": account})
    if s.intune_licensed:
        skus = ", ".join(lic.sku_part_number for lic in s.licenses if lic.includes_intune)
        license_text = t("licensed ({skus})", skus=skus)
    else:
        license_text = t("no Intune license")
    facts.append({"title": t("Intune license"), "value": license_text})
    if s.device_count:
        parts = ", ".join(compliance_count(t, state, n) for state, n in s.compliance_counts)
        devices_text = t("{n} ({details})", n=s.device_count, details=parts)
    else:
        devices_text = t("none")
    facts.append({"title": t("Devices"), "value": devices_text})
    if s.pending_removal:
        facts.append({"title": t("Pending retire/wipe"), "value": str(len(s.pending_removal))})
    if s.group_count:
        names = ", ".join(g.display_name for g in s.groups)
        extra = s.group_count - len(s.groups)
        if extra > 0:
            names = t.plural("{names} and {n} more", "{names} and {n} more", extra, names=names)
        facts.append({"title": t.plural("Group ({n})", "Groups ({n})", s.group_count), "value": names})
    else:
        facts.append({"title": t("Groups"), "value": t("none")})
    if s.apps_error is not None:
        apps_text = t("unavailable")
    elif not s.app_count:
        apps_text = t("no protected app")
    elif s.flagged_apps:
        apps_text = t("{n}, including {flagged} on a flagged device", n=s.app_count, flagged=len(s.flagged_apps))
    else:
        apps_text = str(s.app_count)
    facts.append({"title": t("Apps (app protection)"), "value": apps_text})

    warnings = []
    if user.account_enabled is False:
        warnings.append(t("This account is disabled: the user cannot sign in or enroll devices."))
    if not s.intune_licensed:
        warnings.append(t("This user has no Intune license: enrollment fails with \"User not found or licensed\"."))

    shown = s.devices[:MAX_DEVICE_ROWS]
    rows = [_device_row(d, t) for d in shown]
    more = s.device_count - len(shown)

    app_rows = [_app_row(a, t) for a in s.apps[:MAX_APP_ROWS]]
    apps_more = s.app_count - len(app_rows)

    pending_note = ""
    faq_ids: list[str] = []
    if s.pending_removal:
        faq = kb.faq.get(PENDING_FAQ)
        if faq is not None:
            pending_note = t.prose(_first_paragraph(faq.texts[lang].answer))
            faq_ids.append(PENDING_FAQ)
        if OFFLINE_FAQ in kb.faq:
            faq_ids.append(OFFLINE_FAQ)

    failure_items = []
    for f in s.failures[:MAX_FAILURE_ROWS]:
        failure = f.failure
        entry = kb.enrollment.get(f.entry_id) if f.entry_id else None
        name = t.prose(entry.texts[lang].name) if entry else failure.failure_reason or t("Unknown failure")
        when = t.relative(failure.event_datetime)
        os_text = " ".join(x for x in (failure.operating_system, failure.os_version) if x)
        items: list[dict[str, Any]] = [
            {"type": "TextBlock", "wrap": True, "text": f"**{name}** — {os_text}, {when}" if os_text
             else f"**{name}** — {when}"},
        ]
        if entry:
            text = entry.texts[lang]
            items.append({"type": "TextBlock", "wrap": True, "size": "Small", "spacing": "None",
                          "text": cards.clip(t.prose(text.details))})
            items.append({"type": "TextBlock", "wrap": True, "size": "Small", "spacing": "None",
                          "text": cards.clip(t("**What to do:** {remediation}", remediation=t.prose(text.remediation)))})
        failure_items.append({"type": "Container", "spacing": "Small", "items": items})
    if len(s.failures) > MAX_FAILURE_ROWS:
        failure_items.append({"type": "TextBlock", "wrap": True, "isSubtle": True, "size": "Small",
                              "text": more_text(t, len(s.failures) - MAX_FAILURE_ROWS)})
    if s.failures and FAILURES_FAQ in kb.faq:
        faq_ids.append(FAILURES_FAQ)

    actions: list[dict[str, Any]] = []
    for fid in faq_ids[:2]:
        actions.append(cards.submit(t.prose(kb.faq[fid].texts[lang].question), {"action": "show", "kind": "faq", "id": fid}))
    for i, d in enumerate(shown[:MAX_SYNC_BUTTONS]):
        button = cards.submit(t("Sync {name}", name=d.name), {"action": "sync_pick", "device_id": d.id})
        if i >= PRIMARY_SYNC_BUTTONS:
            button["mode"] = "secondary"
        actions.append(button)

    card = cards.render(
        "troubleshoot",
        kicker=t("Troubleshooting"),
        title=_user_label(user),
        subtitle=user.upn,
        warning="\n\n".join(warnings),
        facts=facts,
        devices_heading=t("Devices, worst first") if s.device_count else "",
        devices=rows,
        devices_more=more_text(t, more) if more > 0 else "",
        pending_heading=t("About pending retire/wipe") if pending_note else "",
        pending_note=pending_note,
        apps_heading=t("Apps (app protection)") if s.app_count or s.apps_error is not None else "",
        apps_note=apps_unavailable_text(t, s.apps_error) if s.apps_error is not None else "",
        apps=app_rows,
        apps_more=more_text(t, apps_more) if apps_more > 0 else "",
        failures_heading=t.plural("Enrollment failure in the last 30 days ({n})",
                                  "Enrollment failures in the last 30 days ({n})", len(s.failures)) if s.failures
        else t("No enrollment failures in the last 30 days"),
        failures=failure_items,
        note=t("Generated {when}.", when=t.datetime(s.generated)),
        actions=actions,
    )
    # Too large for Teams: drop the enrollment failure details first, then the app rows (their counts stay).
    for what, items in (("enrollment failure details", failure_items), ("app rows", app_rows)):
        if _card_bytes(card) <= MAX_CARD_BYTES:
            break
        log.warning("troubleshooting card too large; dropping %s", what)
        card["body"] = [b for b in card["body"] if b.get("type") != "Container" or b.get("items") != items]
    return card


def _card_bytes(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
