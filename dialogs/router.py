"""One router for every message, card button and Universal Action: which flow answers this turn.

Order, as a helpdesk colleague would read a message:
1. a card button (its data says which flow), whoever typed what;
2. an explicit language choice ("English please", "en français") — remembered for this user;
3. an answer to a question this member was asked (pick a device, confirm a sync, choose a suggestion), unless
   the message is clearly something new (a command, a code, "cancel");
4. what the message asks for: small talk, help, a command, a follow-up on the subject in play;
5. otherwise a lookup in the knowledge base, helped by the subject in play.
Each member of a group chat has their own pending questions and subject (private conversation state).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from botbuilder.core import MessageFactory, StatePropertyAccessor, TurnContext
from botbuilder.dialogs import DialogSet
from botbuilder.schema import Activity, ActivityTypes

from dialogs import followups, smalltalk
from dialogs.answers import answer_lookup, entry_from_key, send_entry
from dialogs.services import Services
from dialogs.sync_dialog import QUIET_KEY, REROUTE_KEY, SyncDialog
from dialogs.troubleshoot import TroubleshootFlow
from dialogs.turn import TurnInfo, turn_info
from dialogs.understanding import Intent, default_recognizer, parse_yes_no
from knowledge import find_codes
from presentation import cards

log = logging.getLogger(__name__)

# Intents that start something new: they interrupt a question the bot asked (a device pick, a confirmation).
_INTERRUPTING = frozenset({
    "help", "language_en", "language_fr", "language_menu", "cancel", "ask_code", "sync", "sync_all", "sync_status",
    "troubleshoot", "who_synced", "greeting", "identity", "frustration",
})
_DEVICE_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[A-Z0-9-]*\d[A-Z0-9-]*", re.IGNORECASE)
_ABOUT_THEM = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|il|elle|lui|ses|son|sa|leur)\b",
                         re.IGNORECASE)
_WHEN = re.compile(r"\b(?:when|deadline|until|how long|date|grace|quand|jusqu|combien de temps|delai|délai|"
                   r"date limite|avant quand)\b", re.IGNORECASE)
_SMALLTALK = frozenset({"greeting", "thanks", "goodbye", "ack", "identity", "frustration"})
_FOLLOWUPS = frozenset({"followup_platform", "followup_explain", "followup_still", "followup_self",
                        "followup_other", "followup_why"})


class Flow(Protocol):
    """A conversation flow the router hands intents, card actions and answers to its own questions."""

    name: str
    intents: frozenset[str]
    actions: frozenset[str]

    async def on_intent(self, turn_context: TurnContext, intent: Intent) -> None: ...

    async def on_action(self, turn_context: TurnContext, data: dict[str, str]) -> dict[str, Any] | None: ...

    async def on_pending(self, turn_context: TurnContext, pending: dict[str, Any]) -> bool: ...


FeedbackRecorder = Callable[[TurnContext, str, str], Awaitable[None]]


class Router:
    def __init__(self, services: Services, *, dialog_state: StatePropertyAccessor, profile: StatePropertyAccessor,
                 sync_dialog: SyncDialog, troubleshoot: TroubleshootFlow, record_feedback: FeedbackRecorder,
                 flows: list[Flow] | None = None) -> None:
        self.services = services
        self.profile = profile
        self.sync_dialog = sync_dialog
        self.troubleshoot = troubleshoot
        self.record_feedback = record_feedback
        self.dialogs = DialogSet(dialog_state)
        self.dialogs.add(sync_dialog)
        self.flows: list[Flow] = list(flows or [])
        self._by_intent = {i: f for f in self.flows for i in f.intents}
        self._by_action = {a: f for f in self.flows for a in f.actions}
        self._by_name = {f.name: f for f in self.flows}

    # -- messages -----------------------------------------------------------------------------------
    async def on_message(self, turn_context: TurnContext) -> None:
        info = turn_info(turn_context)
        activity = turn_context.activity
        turn_context.on_send_activities(_remember_refusal)
        # The dialog stack is read only when this member has a flow in progress (most turns have none).
        dc = await self.dialogs.create_context(turn_context) if info.subject.dialog else None
        if dc is not None and dc.active_dialog is None:
            info.subject.dialog, dc = False, None
        if isinstance(activity.value, dict) and activity.value.get("action"):
            if dc is not None:
                await dc.cancel_all_dialogs()
                info.subject.dialog = False
            info.subject.pending = None
            await self.on_action(turn_context, activity.value)
            return
        if not info.text:
            if info.images or activity.attachments:
                await smalltalk.image_reply(turn_context)
            else:
                await send_card(turn_context, cards.help_card(info.t))
            return
        intent = info.intent
        if intent.name.startswith("language_"):
            if dc is not None:
                await dc.cancel_all_dialogs()
                info.subject.dialog = False
            await self.set_language(turn_context, intent.slots.get("lang", "en") if intent.name != "language_menu"
                                    else None)
            return
        has_code = bool(find_codes(info.text[:32_000]))
        # 3. answers to this member's own pending question
        if dc is not None:
            if intent.name in _INTERRUPTING or has_code:
                await self._cancel_pending(turn_context, dc, quiet=intent.name != "cancel")
                if intent.name == "cancel":
                    return
            else:
                await dc.continue_dialog()
                info.subject.dialog = dc.active_dialog is not None
                rerouted = turn_context.turn_state.pop(REROUTE_KEY, False)
                if not rerouted:
                    return  # the flow took it (an answer, or the end of the flow)
        pending = info.subject.pending
        if pending:
            info.subject.pending = None
            if intent.name == "cancel":
                await turn_context.send_activity(info.t("OK, cancelled. What else can I do for you?"))
                return
            flow_name = pending.get("flow")
            if flow_name == "troubleshoot_user" and intent.name in ("lookup", "ack") and not has_code \
                    and len(info.text.split()) <= 4:
                await self.troubleshoot.run(turn_context, info.text.strip(" .!?"))
                return
            if flow_name == "lookup":
                if await self._choose_suggestion(turn_context, pending):
                    return
            elif (flow_name in self._by_name and intent.name not in _INTERRUPTING and not has_code
                  and await self._by_name[flow_name].on_pending(turn_context, pending)):
                return
        if has_code:
            await answer_lookup(turn_context, self.services)
            return
        if ((intent.name == "lookup" and info.subject.action == "sync" and _DEVICE_NAME.fullmatch(info.text.strip()))
                or (intent.name == "lookup" and info.subject.action == "sync"
                and _DEVICE_NAME.fullmatch(default_recognizer().core(info.text.lower()).upper()))):
            # "LAB-W11-060 then" right after a sync request: that device
            await self.start_sync(turn_context, _DEVICE_NAME.search(info.text.upper()).group(0))
            return
        if (intent.name == "lookup" and info.subject.flow == "troubleshoot" and info.subject.user_upn
                and _ABOUT_THEM.search(info.text) and len(info.text.split()) <= 12):
            # "why can't he enroll?" right after troubleshooting someone: their summary answers it.
            await self.troubleshoot.run(turn_context, info.subject.user_upn)
            return
        if intent.name in ("lookup", "ack") and (answer := parse_yes_no(info.text)) is not None:
            # A yes or no with no question of mine waiting for this member (someone else's, or an old one).
            await turn_context.send_activity(
                info.t("OK. I have no question waiting for your answer: what can I do for you?") if answer
                else info.t("OK, nothing to do then. What else can I do for you?"))
            return
        await self.on_intent(turn_context, intent)

    async def on_intent(self, turn_context: TurnContext, intent: Intent) -> None:
        info = turn_info(turn_context)
        t = info.t
        name = intent.name
        if name in self._by_intent:
            if intent.target and name not in _FOLLOWUPS:
                # "and her phone, compliant?": the pronoun is the user in play, never someone else by accident.
                resolved = followups.resolve_device_reference(info, intent.target)
                if resolved is None:
                    await turn_context.send_activity(t("Whose device? Tell me the user's name or email address."))
                    return
                intent = Intent(intent.name, resolved, intent.slots, intent.lang)
            await self._by_intent[name].on_intent(turn_context, intent)
            return
        if name == "help":
            await send_card(turn_context, cards.help_card(t))
        elif name == "cancel":
            await turn_context.send_activity(t("OK, nothing to cancel. What else can I do for you?"))
        elif name == "ask_code":
            await turn_context.send_activity(t(
                "Paste the error code or the error message you see, for example 0x87D1FDE8, -2016281112 or "
                "\"Profile not managed\", and I'll explain it."))
        elif name in _SMALLTALK:
            await smalltalk.reply(turn_context, name)
        elif name in ("sync", "sync_all"):
            await self.start_sync(turn_context, intent.target, bulk=name == "sync_all")
        elif name == "sync_status" and info.subject.action != "sync" and len(info.text.split()) <= 2:
            await smalltalk.reply(turn_context, "ack")  # "alors ?", "done?" with no sync in play
        elif name == "sync_status":
            await self.sync_dialog.report_status(turn_context)
        elif name == "troubleshoot":
            if intent.target:
                await self.troubleshoot.run(turn_context, followups.resolve_user_reference(info, intent.target))
            else:
                info.subject.pending = {"flow": "troubleshoot_user"}
                await turn_context.send_activity(t(
                    "Which user? Type their email address or name, for example \"alice@contoso.com\"."))
        elif name == "who_synced" and intent.target:
            await self.troubleshoot.who_synced(turn_context, followups.resolve_device_reference(info, intent.target))
        elif name in _FOLLOWUPS:
            await followups.handle(turn_context, intent, self)
        elif name == "empty":
            await send_card(turn_context, cards.help_card(t))
        elif await self._about_the_device_in_play(turn_context):
            return
        else:
            await answer_lookup(turn_context, self.services)

    async def _about_the_device_in_play(self, turn_context: TurnContext) -> bool:
        """A short question right after a device's status ("when is the deadline?", "what is failing?") is about
        that device, unless the knowledge base has a confident answer of its own."""
        info = turn_info(turn_context)
        subject = info.subject
        flow = self._by_name.get(subject.flow or "")
        if (flow is None or subject.flow != "device_health" or not subject.device_id
                or len(info.text.split()) > 8 or subject.turn - subject.set_turn > 2):
            return False
        if self.services.matcher.lookup(info.text).matches:
            return False
        if _WHEN.search(info.text) and hasattr(flow, "show_device"):
            await flow.show_device(turn_context, subject.device_id)
            return True
        on_followup = getattr(flow, "on_followup", None)
        return bool(on_followup is not None and await on_followup(turn_context, Intent("followup_explain")))

    async def start_sync(self, turn_context: TurnContext, target: str | None, *, bulk: bool = False,
                         device_id: str | None = None) -> None:
        info = turn_info(turn_context)
        dc = await self.dialogs.create_context(turn_context)
        await dc.cancel_all_dialogs()
        if target and target.strip().lower() in ("it", "this one", "that one", "that device", "ca", "ça", "le",
                                                  "la", "celui-la", "celui-là", "cet appareil", "this device"):
            target = info.subject.device_name or info.subject.action_target or None
        if target:
            target = followups.resolve_device_reference(info, target)
            if target is None:
                await turn_context.send_activity(info.t(
                    "Whose device? Tell me the user first, for example \"sync alice@contoso.com's iPhone\"."))
                return
        await dc.begin_dialog(SyncDialog.__name__, {"target": target, "device_id": device_id, "bulk": bulk})
        info.subject.dialog = dc.active_dialog is not None

    async def set_language(self, turn_context: TurnContext, lang: str | None) -> None:
        info = turn_info(turn_context)
        if lang is None:
            card = cards.notice_card(info.t("Language"), info.t("Which language would you like?"), actions=[
                cards.submit("English", {"action": "language", "lang": "en"}),
                cards.submit("Français", {"action": "language", "lang": "fr"})])
            await send_card(turn_context, card)
            return
        lang = lang if lang in ("en", "fr") else "en"
        profile = await self.profile.get(turn_context, dict)
        profile["lang"] = lang
        await self.profile.set(turn_context, profile)
        info.set_language(lang)
        await turn_context.send_activity(info.t("OK, I'll answer in English from now on."))
        entry = entry_from_key(self.services.kb, info.subject.entry)
        if entry is not None and info.subject.turn - info.subject.set_turn <= 2:
            await send_entry(turn_context, entry, self.services)  # the answer just given, in the new language

    async def _cancel_pending(self, turn_context: TurnContext, dc: Any, *, quiet: bool) -> None:
        """Drop this member's pending question; a pending sync confirmation is withdrawn, not left usable."""
        info = turn_info(turn_context)
        confirmation = info.subject.confirmation
        info.subject.confirmation = None
        await dc.cancel_all_dialogs()
        info.subject.dialog = False
        if confirmation and self.services.sync is not None and info.caller is not None:
            await self.services.sync.cancel(info.caller, confirmation)
        if not quiet:
            text = (info.t("OK, cancelled: nothing was synced on your device.") if confirmation
                    else info.t("OK, cancelled. What else can I do for you?"))
            await turn_context.send_activity(text)

    async def _choose_suggestion(self, turn_context: TurnContext, pending: dict[str, Any]) -> bool:
        """The answer to "did you mean": a number, "none", or (False) a new message."""
        info = turn_info(turn_context)
        suggestions = pending.get("suggestions") or []
        reply = info.text.strip().lower().rstrip(".!").removeprefix("#")
        if reply.isdigit() and 1 <= int(reply) <= len(suggestions):
            kind, entry_id = suggestions[int(reply) - 1]
            entry = self.services.kb.get(kind, entry_id)
            if entry is not None:
                await send_entry(turn_context, entry, self.services)
            return True
        if info.intent.name == "cancel" or parse_yes_no(info.text) is False or reply in (
                "none", "none of these", "none of them", "aucun", "aucune", "aucune de ces reponses",
                "aucune de ces réponses", "rien", "0"):
            await none_of_these(turn_context)
            return True
        return False

    # -- card buttons (stateless: ids in card data are re-checked on the server) -----------------------
    async def on_action(self, turn_context: TurnContext, data: dict[str, Any]) -> dict[str, Any] | None:
        """Run a button's action; returns a replacement card for Action.Execute where that makes sense."""
        info = turn_info(turn_context)
        t = info.t
        data = {k: v if isinstance(v, str) else "" for k, v in data.items() if isinstance(k, str)}
        action = data.get("action", "")
        if action in self._by_action:
            return await self._by_action[action].on_action(turn_context, data)
        if action == "show":
            entry = self.services.kb.get(str(data.get("kind", "")), str(data.get("id", "")))
            if entry is None:
                await turn_context.send_activity(t("That answer is no longer available. Please ask again."))
            else:
                await send_entry(turn_context, entry, self.services)
            return None
        if action == "none":
            await none_of_these(turn_context)
            return None
        if action == "help":
            await send_card(turn_context, cards.help_card(t))
            return None
        if action == "language":
            await self.set_language(turn_context, str(data.get("lang", "en")))
            return None
        if action == "feedback":
            await self.record_feedback(turn_context, str(data.get("answer", "")), str(data.get("reaction", "")))
            if data.get("reaction") == "dislike":
                await send_card(turn_context, cards.notice_card(
                    t("Thanks for telling me"),
                    t("Sorry this didn't help. Try rephrasing, or ask the helpdesk: a person will look at it."),
                    actions=cards.dead_end_actions(t)))
            else:
                await turn_context.send_activity(t("Thanks for your feedback!"))
            return None
        if action in ("sync_start", "sync_pick"):
            device_id = data.get("device_id") if action == "sync_pick" else None
            await self.start_sync(turn_context, data.get("target") or None, device_id=device_id or None)
            return None
        if action == "sync_bulk_confirm":
            return await self.sync_dialog.run_bulk(turn_context, str(data.get("confirmation", "")))
        if action == "ticket_start":  # no ticket flow installed: say how to reach a person
            await turn_context.send_activity(t("Please contact your IT helpdesk directly: I can't open tickets on "
                                               "this installation yet."))
            return None
        if action == "sync_confirm":
            return await self.sync_dialog.run_confirmed(turn_context, str(data.get("confirmation", "")),
                                                        acknowledge=str(data.get("acknowledge", "")) or None)
        if action == "sync_cancel":
            return await self.sync_dialog.cancel(turn_context, str(data.get("confirmation", "")))
        if action == "troubleshoot":
            await self.troubleshoot.run(turn_context, str(data.get("user", "")))
            return None
        await turn_context.send_activity(t("That button is out of date. Please ask again."))
        return None

    async def on_invoke(self, turn_context: TurnContext) -> dict[str, Any]:
        """An ``adaptiveCard/action`` invoke: the response body (a replacement card or a short message)."""
        info = turn_info(turn_context)
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        turn_context.turn_state[QUIET_KEY] = data.get("action") in ("sync_confirm", "sync_cancel",
                                                                   "sync_bulk_confirm") or (
            data.get("action") in self._by_action)
        card = await self.on_action(turn_context, data) if data.get("action") else None
        if card is not None:
            return {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card}
        return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": info.t("Done.")}


async def _remember_refusal(turn_context: TurnContext, activities: list[Activity], send: Any) -> Any:
    """Keep the reason of a warning or refusal card the bot sends, so "why?" / "pourquoi ?" can repeat it."""
    info = turn_context.turn_state.get("helpdesk.turn_info")
    if info is not None:
        for activity in activities:
            for attachment in activity.attachments or []:
                card = attachment.content if isinstance(attachment.content, dict) else {}
                blocks = card.get("body") or []
                if any(isinstance(b, dict) and b.get("color") in ("Attention", "Warning") for b in blocks):
                    texts = [b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "TextBlock"]
                    info.subject.refusal = "\n\n".join(x for x in texts if x)[:1500] or None
                    info.subject.refusal_turn = info.subject.turn
    return await send()


async def none_of_these(turn_context: TurnContext) -> None:
    t = turn_info(turn_context).t
    await send_card(turn_context, cards.notice_card(
        t("No problem"), t("Try rephrasing, paste the exact error code or message, or ask the helpdesk."),
        actions=cards.dead_end_actions(t)))


async def send_card(turn_context: TurnContext, card: dict[str, Any]) -> None:
    await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))


def typing() -> Activity:
    return Activity(type=ActivityTypes.typing)


__all__ = ["Flow", "Router", "TurnInfo", "none_of_these", "send_card"]
