"""Device health: "why is my laptop not compliant?", "check my device", "mes appareils", "are my devices all ok?".

End users get their own devices; help desk agents may ask about anyone's ("pourquoi l'ipad d'alice est non
conforme ?"). One device: its status card (state, grace-period end, last check-in, each failing setting and what
to do, Sync now). Several: an overview with a button per device that needs attention. Follow-ups lean on the
device in play: "what can I do to fix it myself?", "how do I check again?", "et mes autres appareils ?".
Everything here is personal, so it goes through ``send_private`` (1:1 chat when asked in a group or channel).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from botbuilder.core import TurnContext

from dialogs.privacy import send_private
from dialogs.services import Services
from dialogs.sync_dialog import graph_error_text
from dialogs.turn import turn_info
from dialogs.understanding import Intent
from intune.device_health import DeviceHealth, HealthRefused
from intune.errors import GraphError, GraphForbidden, GraphNotFound
from intune.models import Device
from intune.sync_service import DeviceSearch
from intune.targets import fold
from presentation import device_health as view
from presentation.i18n import Translator

log = logging.getLogger(__name__)

FLOW_NAME = "device_health"
_OTHERS = re.compile(r"\b(?:other|others|autres?|rest|reste)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"^(?:his|her|their|son|sa|ses|leur|leurs)\s+(?P<rest>.+)$", re.IGNORECASE)
_OWN_DEVICES = re.compile(
    r"^(?:(?:my|mon|ma|mes|all my|tous mes)\s+)?(?:other\s+|autres?\s+)?(?:device|devices|appareil|appareils|"
    r"machines?|stuff|affaires)?$", re.IGNORECASE)


def _graph_error_text(t: Translator, exc: GraphError) -> str:
    """A missing permission or a deleted device is said as such; anything else is "try again"."""
    if isinstance(exc, GraphForbidden | GraphNotFound):
        return graph_error_text(t, exc)
    return t("I couldn't read the device's status from Intune right now. Please try again in a minute.")


class DeviceHealthFlow:
    """The device status and overview answers (see the module docstring)."""

    name = FLOW_NAME
    intents = frozenset({"device_status", "device_list"})
    actions = frozenset({view.STATUS_ACTION})

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- router entry points -------------------------------------------------------------------
    async def on_intent(self, turn_context: TurnContext, intent: Intent) -> None:
        target = (intent.target or "").strip() or None
        if intent.name == "device_list":
            if target:
                await self.show(turn_context, f"{target}'s devices" if "'s" not in target else target, listing=True)
            else:
                await self.show(turn_context, None, listing=True)
            return
        await self.show(turn_context, target)

    async def on_action(self, turn_context: TurnContext, data: dict[str, str]) -> dict[str, Any] | None:
        device_id = data.get("device_id", "")
        if device_id:
            await self.show_device(turn_context, device_id)
        return None

    async def on_pending(self, turn_context: TurnContext, pending: dict[str, Any]) -> bool:
        return False

    async def on_followup(self, turn_context: TurnContext, intent: Intent) -> bool:
        """Follow-ups on the device in play; False leaves them to the generic follow-up handling."""
        info = turn_info(turn_context)
        subject = info.subject
        if intent.name == "followup_other":
            target = (intent.target or "").strip()
            if not target or _OTHERS.search(target) or _OWN_DEVICES.match(target):
                await self.show(turn_context, self._owner_target(subject), listing=True,
                                exclude=subject.device_id)
                return True
            pronoun = _PRONOUN.match(target)
            if pronoun and subject.user_upn:
                target = f"{subject.user_upn}'s {pronoun.group('rest')}"
            await self.show(turn_context, target)
            return True
        if intent.name in ("followup_self", "followup_still", "followup_explain"):
            await self.what_to_do(turn_context)
            return True
        return False

    # -- answers -------------------------------------------------------------------------------
    @staticmethod
    def _owner_target(subject: Any) -> str | None:
        """The devices of the user in play (an agent asking about someone), else the caller's own."""
        return f"{subject.user_upn}'s devices" if subject.user_upn else None

    async def show(self, turn_context: TurnContext, target: str | None, *, listing: bool = False,
                   exclude: str | None = None) -> None:
        """The status card of the one device ``target`` names, or an overview when it names several."""
        info = turn_info(turn_context)
        t = info.t
        sync = self.services.sync
        if self.services.health is None or sync is None:
            await turn_context.send_activity(t("Device status is not available on this installation."))
            return
        if info.caller is None:
            await turn_context.send_activity(t("I can't tell who you are, so I can't look at your devices. Please "
                                               "talk to me from Microsoft Teams."))
            return
        try:
            search = await sync.devices_for(info.caller, target)
        except GraphError as exc:
            await turn_context.send_activity(_graph_error_text(t, exc))
            return
        if not await self._search_usable(turn_context, search, target):
            return
        devices = [d for d in search.devices if d.id != exclude]
        owner = search.user.display_name if search.user else None
        if not devices:
            text = (t("You have no other device managed by Intune.") if exclude and owner is None
                    else t("You have no device managed by Intune.") if not target and owner is None
                    else t("I couldn't find that device among the devices managed by Intune."))
            if target and not exclude and owner is None and not search.as_agent:
                own = await sync.devices_for(info.caller, None)
                if own.devices:
                    await send_private(turn_context, view.device_list_card(t, list(own.devices)),
                                       self.services.messenger, note=t("I couldn't find that device. I've sent you "
                                                                       "the list of your devices in our 1:1 chat."))
                    return
            await turn_context.send_activity(text)
            return
        attention = [d for d in devices if d.compliance_state != "compliant"]
        if len(devices) == 1 and not (listing and exclude):
            await self.show_device(turn_context, devices[0].id)
            return
        generic = not target or bool(_OWN_DEVICES.match(fold(target)))
        if not listing and not generic and len(attention) == 1:
            # "why is my phone not compliant?" with two phones: the one that is not.
            await self.show_device(turn_context, attention[0].id)
            return
        subject = info.subject
        subject.set_action("device_status", target, flow=FLOW_NAME)
        # The one device that needs attention is what "what can I do?" will be about.
        only = attention[0] if len(attention) == 1 else None
        subject.set_device(only.id if only else None, only.name if only else None)
        if search.user is not None:
            subject.set_user(search.user.upn, search.user.display_name)
        await send_private(turn_context, view.device_list_card(t, devices, owner=owner), self.services.messenger)

    async def _search_usable(self, turn_context: TurnContext, search: DeviceSearch, target: str | None) -> bool:
        t = turn_info(turn_context).t
        if search.refused is not None:
            await turn_context.send_activity(
                t("Sorry, this bot is not available to your organisation.") if search.refused.value ==
                "not_allowed_tenant" else t("You can see only your own devices. Helpdesk agents can look at other "
                                            "users' devices."))
            return False
        if search.candidates:
            names = ", ".join(f"{u.display_name} ({u.upn})" for u in search.candidates[:5])
            await turn_context.send_activity(t("Several people match: {names}. Please give the email address.",
                                               names=names))
            return False
        if search.unknown_user:
            await turn_context.send_activity(t("I couldn't find a user called {name}.", name=search.unknown_user))
            return False
        return True

    async def show_device(self, turn_context: TurnContext, device_id: str) -> None:
        """One device's status card, after checking (from Graph) that the caller may see it."""
        info = turn_info(turn_context)
        t = info.t
        health = await self._health(turn_context, device_id)
        if health is None:
            return
        agent = await self._is_agent(turn_context)
        card = view.device_health_card(t, health, audience=view.AGENT if agent else view.USER,
                                       can_sync=agent or health.device.pending_action is None)
        self._remember(turn_context, health.device)
        await send_private(turn_context, card, self.services.messenger)

    async def what_to_do(self, turn_context: TurnContext) -> None:
        """"What can I do myself?" / "how do I check again?": the steps for the device in play, then how to
        re-check; without a device in play, how to re-check any device."""
        info = turn_info(turn_context)
        t = info.t
        device_id = info.subject.device_id
        health = await self._health(turn_context, device_id, quiet=True) if device_id else None
        recheck = t("Once it's done, open Company Portal on the device, select it under Devices and choose Check "
                    "status (or ask me to sync it): Intune checks it again, and the status can take from a few "
                    "minutes to a few hours to update.")
        if health is None:
            await turn_context.send_activity(recheck)
            return
        d = health.device
        mine = [view.issue_text(t, i, d) for i in health.issues if i.self_service]
        theirs = [view.issue_text(t, i, d) for i in health.issues if not i.self_service]
        lines: list[str] = []
        if health.compliant:
            lines.append(t("{name} is compliant: there is nothing to fix. To check it again at any time, open "
                           "Company Portal on the device, select it under Devices and choose Check status.",
                           name=d.name))
        elif mine:
            lines.append(t("On {name}, you can do this yourself:", name=d.name))
            lines += [f"- {step}" for step in mine]
        elif not theirs:
            lines.append(t("I can't see which setting fails on {name}. Open Company Portal on it, select it under "
                           "Devices, then Check status: it lists each one.", name=d.name))
        if theirs:
            lines.append(t("Your IT team needs to do this:"))
            lines += [f"- {step}" for step in theirs]
        if not health.compliant:
            lines.append(recheck)
        self._remember(turn_context, d)
        await send_private(turn_context, "\n\n".join(lines), self.services.messenger)

    # -- helpers -------------------------------------------------------------------------------
    async def _health(self, turn_context: TurnContext, device_id: str, *, quiet: bool = False) -> DeviceHealth | None:
        info = turn_info(turn_context)
        t = info.t
        service = self.services.health
        if service is None or info.caller is None:
            if not quiet:
                await turn_context.send_activity(t("Device status is not available on this installation."))
            return None
        try:
            return await service.health(info.caller, device_id)
        except HealthRefused as refused:
            if not quiet:
                await turn_context.send_activity(
                    t("Sorry, this bot is not available to your organisation.")
                    if refused.reason.value == "not_allowed_tenant"
                    else t("You can see only your own devices. Helpdesk agents can look at other users' devices."))
        except GraphError as exc:
            log.info("device health unavailable: %s", type(exc).__name__)
            if not quiet:
                await turn_context.send_activity(_graph_error_text(t, exc))
        return None

    async def _is_agent(self, turn_context: TurnContext) -> bool:
        info = turn_info(turn_context)
        authz = self.services.authz
        if authz is None or info.caller is None:
            return False
        return await authz.is_agent(info.caller)

    @staticmethod
    def _remember(turn_context: TurnContext, device: Device) -> None:
        info = turn_info(turn_context)
        subject = info.subject
        subject.set_action("device_status", device.name, flow=FLOW_NAME)
        subject.set_device(device.id, device.name)
        if info.caller is not None and fold(device.user_id) != fold(info.caller.aad_object_id):
            subject.set_user(device.user_principal_name, device.user_display_name)
