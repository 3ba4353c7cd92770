"""Sync a device: pick it, confirm, run syncDevice once, report; the card buttons do the same.

The dialog only carries the conversation; every rule (who may sync what, one call per
confirmation, cooldowns, audit) is enforced by intune.SyncService at execution time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ActivityTypes

from dialogs import sync_safety
from dialogs.privacy import send_private
from dialogs.turn import turn_info
from dialogs.understanding import default_recognizer, parse_yes_no
from intune.errors import GraphError, GraphForbidden, GraphNotFound, GraphThrottled, GraphTimeout
from intune.models import Device
from intune.sync_service import MAX_BULK, Confirmation, SyncOutcome, SyncService, SyncStatus
from intune.targets import device_matches, fold, parse_device_target
from presentation import cards
from presentation import device_health as health_view
from presentation.i18n import Translator
from storage import Store

log = logging.getLogger(__name__)

REROUTE_KEY = "helpdesk.reroute"
"""Set when a member's message was not an answer to the question asked: the router reads it as new."""
QUIET_KEY = "helpdesk.reply_in_invoke"
"""Set for Action.Execute invokes: the answer is the replacement card, not extra messages."""
PICK_PROMPT = "sync.pick"
CONFIRM_PROMPT = "sync.confirm"
Notifier = Callable[[TurnContext, Device], Awaitable[None]]
MAX_LISTED = 10


def graph_error_text(t: Translator, exc: GraphError) -> str:
    """A clear sentence for each Graph failure; never the raw error."""
    if isinstance(exc, GraphForbidden):
        return t("The bot is missing a Microsoft Graph permission ({permission}). Ask your Intune "
                 "administrator to grant it.",
                 permission=exc.permission or "DeviceManagementManagedDevices.PrivilegedOperations.All")
    if isinstance(exc, GraphNotFound):
        return t("That device or user no longer exists in Intune.")
    if isinstance(exc, GraphThrottled):
        return t("Intune is busy right now (throttled). Please try again in a minute.")
    if isinstance(exc, GraphTimeout):
        return t("Intune did not answer in time. Nothing was changed; please try again.")
    return t("Intune returned an error. Nothing was changed; please try again later.")


def device_line(t: Translator, d: Device) -> str:
    """One device in a list, with its management state when a wipe or retire is pending."""
    return health_view.device_line(t, d)


def compliance_label(t: Translator, state: str) -> str:
    return health_view.compliance_label(t, state)


def outcome_text(t: Translator, outcome: SyncOutcome) -> tuple[str, str]:
    """(title, body) for each way a sync request can end."""
    name = outcome.device.name if outcome.device else t("the device")
    s = outcome.status
    if s is SyncStatus.REQUESTED:
        return (t("Sync requested for {name}", name=name),
                t("Intune has asked {name} to check in. It usually takes a few minutes; the device must be on "
                  "and connected. I'll tell you when it's done, or ask me \"is it done?\".", name=name))
    if s is SyncStatus.COOLDOWN:
        when = t.relative(outcome.last_requested)
        return (t("{name} was synced recently", name=name),
                t("A sync was requested {when}. To avoid overloading the device, wait a few minutes before "
                  "asking again.", when=when))
    if s in (SyncStatus.ALREADY_USED, SyncStatus.EXPIRED):
        return (t("This confirmation is no longer valid"),
                t("It was already used or it expired, so nothing was done again. Say \"sync my device\" to start "
                  "over."))
    if s in (SyncStatus.NOT_YOURS, SyncStatus.FORBIDDEN):
        return (t("You can't sync this device"),
                t("You can sync only your own devices. Helpdesk agents can sync other users' devices."))
    if s is SyncStatus.DEVICE_GONE:
        return (t("Device not found"), t("That device no longer exists in Intune. Nothing was done."))
    if s is SyncStatus.THROTTLED:
        return (t("Intune is busy"), t("Intune is throttling requests right now. Nothing was done; try again in "
                                       "a minute."))
    if s is SyncStatus.TIMEOUT:
        return (t("Intune did not answer"), t("The request timed out. Nothing was done; please try again."))
    if s is SyncStatus.PENDING_ACTION:
        action = sync_safety.action_name(t, outcome.reason)
        return (t("A {action} is pending on {name}", action=action, name=name),
                (health_view.pending_action_warning(t, outcome.device) if outcome.device else "") + " "
                + t("Nothing was synced. To go ahead, use the button \"Yes, sync and run the pending {action}\" "
                    "on the confirmation card.", action=action))
    if s is SyncStatus.OUTCOME_UNKNOWN:
        return (t("The outcome is unknown for {name}", name=name),
                t("Intune did not confirm the sync request (it timed out or failed on Microsoft's side), so the "
                  "outcome is unknown: the device may or may not have been asked to check in. I'll tell you if it "
                  "checks in, or ask me \"is it done?\". To avoid a double sync, wait a few minutes before asking "
                  "again."))
    if s is SyncStatus.PERMISSION_MISSING:
        return (t("Permission missing"),
                t("The bot is missing the Microsoft Graph permission {permission}. Ask your Intune administrator "
                  "to grant it. Nothing was done.",
                  permission=outcome.reason or "DeviceManagementManagedDevices.PrivilegedOperations.All"))
    return (t("The sync failed"), t("Intune returned an error. Nothing was done; please try again later."))


def confirm_card(t: Translator, confirmation: Confirmation) -> dict[str, Any]:
    """"Sync X now?"; with a pending wipe/retire, the warning and a button that names the action."""
    if confirmation.pending_action:
        return sync_safety.pending_confirm_card(t, confirmation)
    d = confirmation.device
    facts = sync_safety.confirm_facts(t, d)
    data = {"action": "sync_confirm", "confirmation": confirmation.id}
    return cards.notice_card(
        t("Sync {name} now?", name=d.name),
        t("The device will check in with Intune and receive its pending policies and apps. Reply yes or no, "
          "or use the buttons."),
        facts=facts,
        actions=[cards.execute(t("Yes, sync it"), "syncConfirm", data, style="positive"),
                 cards.execute(t("No"), "syncCancel", {"action": "sync_cancel", "confirmation": confirmation.id})],
    )


def done_card(t: Translator, title: str, body: str, *, failed: bool = False) -> dict[str, Any]:
    """The replacement for a clicked confirmation card: no buttons left to click twice (a failed sync offers
    the helpdesk)."""
    return cards.notice_card(title, body, actions=[cards.ask_helpdesk_action(t)] if failed else None)


_FAILED = frozenset({SyncStatus.FORBIDDEN, SyncStatus.DEVICE_GONE, SyncStatus.THROTTLED, SyncStatus.TIMEOUT,
                     SyncStatus.GRAPH_ERROR, SyncStatus.PERMISSION_MISSING})
"""Outcomes where a person can help (not a cooldown, an expired or already used confirmation)."""


def failed(outcome: SyncOutcome) -> bool:
    return outcome.status in _FAILED


async def send_card(turn_context: TurnContext, card: dict[str, Any]) -> None:
    await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))


async def send_personal(turn_context: TurnContext, card: dict[str, Any], messenger: Any,
                        note: str | None = None) -> None:
    """Device lists, confirmations and outcomes are personal: the asker's 1:1 chat in a group or channel."""
    await send_private(turn_context, card, messenger, note=note)


class SyncDialog(ComponentDialog):
    def __init__(self, sync: SyncService | None, store: Store, notifier: Notifier, *, services: Any = None) -> None:
        super().__init__(SyncDialog.__name__)
        self.sync = sync
        self.store = store
        self.notifier = notifier
        self.services = services
        """dialogs.services.Services: the Messenger (private replies, telling an owner) and Graph."""
        self.add_dialog(TextPrompt(PICK_PROMPT))
        self.add_dialog(TextPrompt(CONFIRM_PROMPT))
        self.add_dialog(WaterfallDialog("sync.flow", [self.find_step, self.confirm_step, self.execute_step]))
        self.initial_dialog_id = "sync.flow"

    async def find_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        info = turn_info(step.context)
        t = info.t
        options = step.options or {}
        if self.sync is None:
            await step.context.send_activity(t("Device sync is not configured on this bot."))
            return await step.end_dialog()
        if info.caller is None:
            await step.context.send_activity(t("I can't tell who you are, so I can't act on a device. Please "
                                               "talk to me from Microsoft Teams."))
            return await step.end_dialog()
        info.subject.set_action("sync", options.get("target"), flow="sync")
        if options.get("device_id"):
            return await step.next(str(options["device_id"]))
        try:
            search = await self.sync.devices_for(info.caller, options.get("target"))
        except GraphError as exc:
            await step.context.send_activity(graph_error_text(t, exc))
            return await step.end_dialog()
        if search.refused is not None:
            await step.context.send_activity(
                t("You can sync only your own devices. Helpdesk agents can sync other users' devices.")
                if search.refused.value != "not_allowed_tenant"
                else t("Sorry, this bot is not available to your organisation."))
            return await step.end_dialog()
        if search.candidates:
            names = ", ".join(f"{u.display_name} ({u.upn})" for u in search.candidates[:5])
            await step.context.send_activity(t("Several people match: {names}. Please give the email address.",
                                               names=names))
            return await step.end_dialog()
        if search.unknown_user:
            await step.context.send_activity(t("I couldn't find a user called {name}.", name=search.unknown_user))
            return await step.end_dialog()
        devices = list(search.devices)
        target = options.get("target")
        words = (target or "").split()
        while not devices and search.user is None and search.refused is None and len(words) > 1:
            # "mon ordi stp c urgent", "my laptop urgent": the words after the device are not its name.
            words = words[:-1]
            try:
                search = await self.sync.devices_for(info.caller, " ".join(words))
            except GraphError:
                break
            devices = list(search.devices)
        if search.refused is not None:
            await step.context.send_activity(
                t("You can sync only your own devices. Helpdesk agents can sync other users' devices."))
            return await step.end_dialog()
        if search.user is not None:
            info.subject.set_user(search.user.upn, search.user.display_name)
        note = ""
        if not devices and target and search.user is None and _looks_like_a_name(target):
            await step.context.send_activity(t("I couldn't find a device named {name} in Intune.", name=target))
            return await step.end_dialog()
        if not devices and options.get("target") and search.user is None:
            # Nothing answers that name: show the caller's own devices rather than a dead end.
            try:
                devices = list((await self.sync.devices_for(info.caller, None)).devices)
            except GraphError:
                devices = []
            if devices:
                note = t("I couldn't find \"{target}\" among your devices.", target=options["target"]) + " "
        if not devices:
            await step.context.send_activity(t("I couldn't find any device managed by Intune for this request."))
            return await step.end_dialog()
        if options.get("bulk") and len(devices) > 1:
            return await self._bulk(step, devices, search)
        if len(devices) == 1:
            return await step.next(devices[0].id)
        shown = devices[:MAX_LISTED]
        # Numbers refer to the rows shown; names may name any of the devices found.
        _remember_listed(step, devices)
        items = [{"type": "TextBlock", "wrap": True, "text": f"{i}. {device_line(t, d)}"}
                 for i, d in enumerate(shown, start=1)]
        actions = [cards.submit(f"{i}. {d.name}", {"action": "sync_pick", "device_id": d.id})
                   for i, d in enumerate(shown, start=1)]
        warnings = [health_view.pending_action_warning(t, d) for d in shown if d.pending_removal]
        if any(warnings):  # "why?" about the list: what is pending on which device
            info.subject.refusal = "\n\n".join(w for w in warnings if w)
            info.subject.refusal_turn = info.subject.turn
        more = len(devices) - len(shown)
        hint = note + t("Which device? Pick one or type its number.")
        if more > 0:
            hint += " " + t.plural("({n} more not shown: type the device name.)",
                                   "({n} more not shown: type the device name.)", more)
        await send_personal(step.context, cards.render("choices", title=t("Your devices") if not search.user else
                                                       t("Devices of {name}", name=search.user.display_name),
                                                       hint=hint, items=items, actions=actions), self._messenger)
        return await step.prompt(PICK_PROMPT, PromptOptions(prompt=None))

    async def _bulk(self, step: WaterfallStepContext, devices: list[Device], search: Any) -> DialogTurnResult:
        """Several devices at once: one confirmation for up to MAX_BULK, or pick one."""
        info = turn_info(step.context)
        t = info.t
        shown = devices[:MAX_LISTED]
        chosen = devices[:MAX_BULK]
        bulk_id = await self.sync.request_bulk_confirmation(info.caller, [d.id for d in chosen])  # type: ignore[union-attr,arg-type]
        step.values["bulk_confirmation"] = bulk_id
        info.subject.confirmation = bulk_id
        _remember_listed(step, devices)
        items = [{"type": "TextBlock", "wrap": True, "text": f"{i}. {device_line(t, d)}"}
                 for i, d in enumerate(shown, start=1)]
        whose = search.user.display_name if search.user else None
        title = (t.plural("Sync {n} device of {name}?", "Sync all {n} devices of {name}?", len(chosen), name=whose)
                 if whose else t.plural("Sync {n} of your devices?", "Sync all {n} of your devices?", len(chosen)))
        hint = t("Each device gets its own sync request, and each is recorded in the audit log.")
        if len(devices) > len(chosen):
            hint += " " + t("I sync at most {max} devices at once: the first {max} of {n} would be synced now.",
                            max=len(chosen), n=len(devices))
        pending = [d.name for d in chosen if d.pending_action]
        if pending:
            # A sync would run their pending wipe or retire: the bulk sync leaves them out (SyncService too).
            hint += " " + t("Not synced: {names}, because a wipe or retire is pending on it.",
                            names=", ".join(pending))
        hint += " " + t("Reply yes or no, or pick one device by its number.")
        actions = [cards.execute(t.plural("Yes, sync {n} device", "Yes, sync all {n} devices", len(chosen)),
                                 "syncBulkConfirm", {"action": "sync_bulk_confirm", "confirmation": bulk_id},
                                 style="positive"),
                   cards.execute(t("No"), "syncCancel", {"action": "sync_cancel", "confirmation": bulk_id})]
        actions += [cards.submit(f"{i}. {d.name}"[:40], {"action": "sync_pick", "device_id": d.id})
                    for i, d in enumerate(shown[:5], start=1)]
        await send_personal(step.context, cards.render("choices", title=title, hint=hint, items=items,
                                                       actions=actions), self._messenger)
        return await step.prompt(PICK_PROMPT, PromptOptions(prompt=None))

    async def run_bulk(self, turn_context: TurnContext, bulk_id: str) -> dict[str, Any]:
        info = turn_info(turn_context)
        t = info.t
        if self.sync is None or info.caller is None:
            return done_card(t, *outcome_text(t, SyncOutcome(SyncStatus.FORBIDDEN)))
        outcomes = await self.sync.confirm_bulk(info.caller, bulk_id)
        done = [o for o in outcomes if o.ok]
        if not done and len(outcomes) == 1:
            title, body = outcome_text(t, outcomes[0])
        else:
            title = t.plural("Sync requested for {n} device", "Sync requested for {n} devices", len(done))
            lines = [f"{o.device.name if o.device else '—'}: {outcome_text(t, o)[0]}" for o in outcomes
                     if not o.ok][:10]
            body = t("Intune has asked each device to check in; they must be on and connected.")
            if lines:
                body += "\n\n" + t("Not synced:") + "\n\n" + "\n\n".join(lines)
        card = done_card(t, title, body)
        if not turn_context.turn_state.get(QUIET_KEY):
            await send_card(turn_context, cards.notice_card(title, body, color="Good" if done else "Warning"))
        return card

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        info = turn_info(step.context)
        t = info.t
        choice = str(step.result or "").strip()
        bulk_id = step.values.get("bulk_confirmation")
        if bulk_id:
            answer = parse_yes_no(choice)
            if answer is True:
                await self.run_bulk(step.context, bulk_id)
                return await step.end_dialog()
            if answer is False:
                await self.cancel(step.context, bulk_id)
                return await step.end_dialog()
            if self._resolve_choice(step, choice) is not None and self.sync is not None:
                await self.sync.cancel(info.caller, bulk_id)  # type: ignore[arg-type]
        device_id = self._resolve_choice(step, choice)
        if device_id is None:
            if step.values.get("device_ids"):
                # Not a device of the list: a new message, which the router reads as such.
                step.context.turn_state[REROUTE_KEY] = True
            return await step.end_dialog()
        try:
            confirmation = await self.sync.request_confirmation(info.caller, device_id)  # type: ignore[union-attr,arg-type]
        except GraphError as exc:
            await step.context.send_activity(graph_error_text(t, exc))
            return await step.end_dialog()
        if isinstance(confirmation, SyncOutcome):
            if confirmation.status is SyncStatus.PENDING_ACTION:
                # A wipe or retire waits for the next check-in: never offered to an end user.
                await send_personal(step.context, sync_safety.pending_refusal_card(t, confirmation),
                                    self._messenger)
                return await step.end_dialog()
            title, body = outcome_text(t, confirmation)
            await send_personal(step.context, cards.notice_card(
                title, body, color="Warning", actions=[cards.ask_helpdesk_action(t)] if failed(confirmation) else None),
                self._messenger)
            return await step.end_dialog()
        step.values["confirmation"] = confirmation.id
        step.values["pending_action"] = confirmation.pending_action
        info.subject.confirmation = confirmation.id
        await send_personal(step.context, confirm_card(t, confirmation), self._messenger)
        return await step.prompt(CONFIRM_PROMPT, PromptOptions(prompt=None))

    async def execute_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        text = str(step.result or "")
        answer = parse_yes_no(text)
        confirmation_id = step.values.get("confirmation", "")
        pending = step.values.get("pending_action")
        if pending:
            # A wipe/retire is pending: only a yes that names it goes ahead ("yes, run the wipe"); the service
            # checks again that the caller is an agent.
            named = default_recognizer().recognize(text)
            if named.name == "confirm_pending_action" and pending in named.slots:
                await self.run_confirmed(step.context, confirmation_id, acknowledge=pending)
                return await step.end_dialog()
        if answer is None:
            step.context.turn_state[REROUTE_KEY] = True  # not a yes or no: read it as a new message
            return await step.end_dialog()
        if answer is False:
            await self.cancel(step.context, confirmation_id)
            return await step.end_dialog()
        await self.run_confirmed(step.context, confirmation_id)
        return await step.end_dialog()

    def _resolve_choice(self, step: WaterfallStepContext, choice: str) -> str | None:
        """A number, a name, part of a name, or an everyday name ("le pixel", "the ipad", "mon pc")."""
        ids = step.values.get("device_ids")
        if not ids:
            return choice or None  # came from options or a single device
        choice = default_recognizer().core(fold(choice)) or choice.strip().rstrip(".!?")
        number = choice.lstrip("#").removeprefix("n°").strip()
        for prefix in ("number ", "numero ", "numéro ", "le ", "la ", "the "):
            if number.lower().startswith(prefix) and number[len(prefix):].strip().isdigit():
                number = number[len(prefix):].strip()
        if number.isdigit() and 1 <= int(number) <= min(len(ids), MAX_LISTED):
            return ids[int(number) - 1]
        names = step.values.get("device_names", [])
        details = step.values.get("device_details") or [{} for _ in ids]
        lowered = fold(choice)
        exact = [ids[i] for i, n in enumerate(names) if lowered and lowered == fold(n)]
        if len(exact) == 1:
            return exact[0]
        _, hint = parse_device_target(choice)
        if not hint:
            return None
        hits = [ids[i] for i, n in enumerate(names)
                if device_matches(_row_device(ids[i], n, details[i]), hint)]
        return hits[0] if len(hits) == 1 else None

    # -- shared with the card buttons (stateless, safe on stale or repeated clicks) -----------------
    @property
    def _messenger(self) -> Any:
        return getattr(self.services, "messenger", None)

    async def run_confirmed(self, turn_context: TurnContext, confirmation_id: str,
                            acknowledge: str | None = None) -> dict[str, Any]:
        """Run the sync for a confirmation; returns the card that replaces the confirmation card.

        ``acknowledge`` comes from the button that names a pending wipe/retire (agents only; re-checked by
        ``SyncService``); typed "yes" never carries it.
        """
        info = turn_info(turn_context)
        t = info.t
        if self.sync is None or info.caller is None:
            card = done_card(t, *outcome_text(t, SyncOutcome(SyncStatus.FORBIDDEN)))
            await send_card(turn_context, card)
            return card
        quiet = bool(turn_context.turn_state.get(QUIET_KEY))
        if not quiet:
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        info.subject.confirmation = None
        outcome = await self.sync.confirm(info.caller, confirmation_id, acknowledge=acknowledge or None)
        title, body = outcome_text(t, outcome)
        card = done_card(t, title, body, failed=failed(outcome))
        if outcome.status is SyncStatus.PENDING_ACTION and outcome.device is not None and not await self._agent(
                info.caller):
            card = sync_safety.pending_refusal_card(t, outcome)
            title, body = card_title_body(card)
        if not quiet:
            await send_personal(turn_context, card if outcome.status is SyncStatus.PENDING_ACTION else
                                cards.notice_card(title, body, color="Good" if outcome.ok else "Warning",
                                                  actions=[cards.ask_helpdesk_action(t)] if failed(outcome) else None),
                                self._messenger)
        if outcome.ok and self.services is not None:
            await sync_safety.tell_owner(turn_context, self._messenger, getattr(self.services, "graph", None),
                                         info.caller, outcome)
        if outcome.device is not None:
            info.subject.set_device(outcome.device.id, outcome.device.name)
            info.subject.set_action("sync", outcome.device.name, flow="sync")
        # An unknown outcome (timeout, 5xx) may still be a sync Intune queued: watch it and let "is it done?" answer.
        if (outcome.ok or outcome.status is SyncStatus.OUTCOME_UNKNOWN) and outcome.device is not None:
            await self.store.put(_last_key(turn_context, info.caller.aad_object_id), outcome.device.id,
                                 ttl=7 * 24 * 3600)
            try:
                await self.notifier(turn_context, outcome.device)
            except Exception:
                log.warning("could not schedule the completion notice", exc_info=True)
        return card

    async def _agent(self, caller: Any) -> bool:
        authz = getattr(self.services, "authz", None)
        return bool(authz is not None and caller is not None and await authz.is_agent(caller))

    async def cancel(self, turn_context: TurnContext, confirmation_id: str) -> dict[str, Any]:
        info = turn_info(turn_context)
        info.subject.confirmation = None
        if self.sync is not None and info.caller is not None:
            await self.sync.cancel(info.caller, confirmation_id)
        card = done_card(info.t, info.t("Sync cancelled"), info.t("OK, nothing was synced."))
        if not turn_context.turn_state.get(QUIET_KEY):
            await turn_context.send_activity(info.t("OK, nothing was synced."))
        return card

    async def report_status(self, turn_context: TurnContext) -> None:
        """'Is it done?': the state of the last sync this user asked for in this conversation."""
        info = turn_info(turn_context)
        t = info.t
        sync = self.sync
        record = await self.store.get(_last_key(turn_context, info.caller.aad_object_id)) if info.caller else None
        device_id = record.value if record else None
        if sync is None or info.caller is None or not device_id:
            await turn_context.send_activity(t("I don't have a recent sync for you in this conversation. Say "
                                               "\"sync my device\" to start one."))
            return
        try:
            status = await sync.status(info.caller, device_id)
        except PermissionError:
            await turn_context.send_activity(t("You can sync only your own devices. Helpdesk agents can sync other "
                                               "users' devices."))
            return
        except GraphError as exc:
            await turn_context.send_activity(graph_error_text(t, exc))
            return
        if status is None:
            await turn_context.send_activity(t("Intune has no sync recorded for this device yet."))
            return
        name = info.subject.device_name if info.subject.device_id == device_id else None
        await turn_context.send_activity(t("Sync of {name}: {state} (updated {when}).",
                                           name=name or t("your device"), state=state_label(t, status.state),
                                           when=t.relative(status.updated)))


def _remember_listed(step: WaterfallStepContext, devices: list[Device]) -> None:
    """What a typed pick is matched against: numbers refer to the rows shown, names to any device found."""
    step.values["device_ids"] = [d.id for d in devices]
    step.values["device_names"] = [d.name for d in devices]
    step.values["device_details"] = [{"os": d.operating_system, "model": d.model, "maker": d.manufacturer}
                                     for d in devices]


def _looks_like_a_name(text: str) -> bool:
    """"LAB-W11-999", "DESKTOP-42": a device name, not words ("my laptop urgent")."""
    return len(text.split()) == 1 and (any(c.isdigit() for c in text) or "-" in text)


def card_title_body(card: dict[str, Any]) -> tuple[str, str]:
    """The title and first text of a notice card (to repeat it as a message)."""
    texts = [b.get("text", "") for b in card.get("body", []) if b.get("type") == "TextBlock"]
    return (texts[0] if texts else "", texts[1] if len(texts) > 1 else "")


def _row_device(device_id: str, name: str, details: dict[str, str]) -> Device:
    """Enough of a device to match everyday names against a listed row."""
    return Device(id=device_id, name=name, operating_system=details.get("os", ""), os_version="",
                  compliance_state="", management_state="", owner_type="", last_sync=None, user_id="",
                  user_principal_name="", user_display_name="", model=details.get("model", ""),
                  manufacturer=details.get("maker", ""), serial_number="", enrolled=None)


def _last_key(turn_context: TurnContext, caller_id: str) -> str:
    return f"lastsync/{turn_context.activity.conversation.id}/{caller_id}"


def state_label(t: Translator, state: str) -> str:
    return {
        "pending": t("pending: waiting for the device to check in"), "active": t("in progress"),
        "done": t("done: the device has checked in"), "failed": t("failed"), "canceled": t("cancelled"),
        "notSupported": t("not supported on this device"), "none": t("no state yet"),
    }.get(state, state)
