"""The safety side of syncing: a pending wipe, retire or Fresh Start, and telling the owner when an agent syncs.

A sync makes the device check in, and a pending wipe or retire runs at that check-in: syncing is how the phone gets
erased now. End users are not offered a sync on such a device (told why, pointed to the helpdesk); agents see the
warning and must press a button that names the action. The rule itself is enforced by ``SyncService`` (card data is
never trusted); this module words it. When an agent syncs someone else's device, the owner hears it from the bot,
in their language, in their 1:1 chat.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext

from intune.errors import GraphError
from intune.graph_client import GraphClient
from intune.models import Caller, Device
from intune.sync_service import Confirmation, SyncOutcome
from presentation import cards
from presentation import device_health as view
from presentation.i18n import Translator, negotiate

log = logging.getLogger(__name__)


def action_name(t: Translator, kind: str | None) -> str:
    """"wipe" -> "wipe" / "réinitialisation" (the pending action, as a noun)."""
    return {
        "wipe": t("wipe"), "retire": t("retire"), "freshStart": t("Fresh Start"), "delete": t("deletion"),
    }.get(kind or "", kind or "")


def confirm_facts(t: Translator, device: Device) -> list[dict[str, str]]:
    """What a sync confirmation shows about the device, management state included."""
    return [
        {"title": t("Device"), "value": device.name},
        {"title": t("System"), "value": f"{device.operating_system} {device.os_version}".strip()},
        {"title": t("Owner"), "value": device.user_display_name or device.user_principal_name or "—"},
        {"title": t("Management"), "value": view.management_label(t, device.management_state)},
        {"title": t("Compliance"), "value": view.compliance_label(t, device.compliance_state)},
        {"title": t("Last check-in"), "value": t.relative(device.last_sync)},
    ]


def pending_confirm_card(t: Translator, confirmation: Confirmation) -> dict[str, Any]:
    """An agent's confirmation for a device with a pending wipe/retire: the warning, and a button naming it."""
    d = confirmation.device
    kind = confirmation.pending_action or ""
    data = {"action": "sync_confirm", "confirmation": confirmation.id, "acknowledge": kind}
    return cards.notice_card(
        t("Sync {name} now? A {action} is pending", name=d.name, action=action_name(t, kind)),
        view.pending_action_warning(t, d) + " " + t("Only continue if that is what you want."),
        color="Attention",
        facts=confirm_facts(t, d),
        actions=[
            cards.execute(t("Yes, sync and run the pending {action}", action=action_name(t, kind)), "syncConfirm",
                          data, style="destructive"),
            cards.execute(t("No"), "syncCancel", {"action": "sync_cancel", "confirmation": confirmation.id}),
        ],
    )


def pending_refusal_card(t: Translator, outcome: SyncOutcome, *, agent: bool = False) -> dict[str, Any]:
    """Why the bot won't sync this device: for an end user, with the way to the helpdesk."""
    d = outcome.device
    name = d.name if d else t("the device")
    warning = view.pending_action_warning(t, d) if d else ""
    if agent:
        return cards.notice_card(
            t("A {action} is pending on {name}", action=action_name(t, outcome.reason), name=name),
            warning + " " + t("Nothing was synced. To go ahead, use the button \"Yes, sync and run the pending "
                              "{action}\" on the confirmation card.", action=action_name(t, outcome.reason)),
            color="Attention")
    helpdesk = view.helpdesk_action(t)
    body = warning + " " + t("So I won't sync it. If this device should not be erased or removed, or you have "
                             "questions about it, contact your IT helpdesk now.")
    if helpdesk is None:
        body += " " + t("Your helpdesk can see what is planned for this device and stop it if it is a mistake.")
    return cards.notice_card(
        t("I won't sync {name}", name=name), body, color="Attention",
        facts=[{"title": t("Management"), "value": view.management_label(t, d.management_state)}] if d else [],
        actions=[helpdesk] if helpdesk else [])


async def owner_language(graph: GraphClient | None, device: Device) -> str:
    """The language to write to a device's owner in: their Entra preferred language, else English."""
    if graph is not None and device.user_id:
        try:
            user = await graph.get_user(device.user_id)
        except (GraphError, ValueError):
            return "en"
        return negotiate(user.preferred_language)
    return "en"


async def tell_owner(turn_context: TurnContext, messenger: Any, graph: GraphClient | None, caller: Caller,
                     outcome: SyncOutcome) -> bool:
    """"Hélène from the helpdesk synced your iPad": when an agent synced someone else's device. True when sent."""
    device = outcome.device
    if not outcome.ok or device is None or messenger is None or not device.user_id:
        return False
    if device.user_id.lower() == caller.aad_object_id.lower():
        return False
    t = Translator(await owner_language(graph, device))
    agent = (caller.name or caller.upn or t("Someone")).split(" ")[0]
    text = t("{agent} from the helpdesk synced your device {device}: it will check in with Intune in the next few "
             "minutes. Nothing else was changed on it.", agent=agent, device=device.name)
    sent = await messenger.to_user(turn_context, device.user_id, text)
    if not sent:
        log.info("could not tell the owner of %s about the sync", device.id)
    return sent
