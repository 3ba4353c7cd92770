"""The Teams activity handler: who is speaking, in which language, and which flow gets the turn."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botbuilder.core import (
    ActivityHandler,
    ConversationState,
    InvokeResponse,
    MessageFactory,
    TurnContext,
    UserState,
)
from botbuilder.dialogs import DialogSet, DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, DeliveryModes

from bot import sdk_fixes
from bot.services import Services
from bot.settings import Settings
from dialogs.answers import send_entry
from dialogs.intents import Intent
from dialogs.main_dialog import MainDialog
from dialogs.messenger import Messenger
from dialogs.sync_dialog import QUIET_KEY, SyncDialog, state_label
from dialogs.troubleshoot import TroubleshootFlow
from dialogs.turn import TURN_INFO_KEY, TurnInfo
from intune.models import Caller, Device
from knowledge import find_codes
from presentation import cards
from presentation.i18n import Translator, negotiate
from storage import ConcurrencyError

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]{1,200}>")
_INTERRUPTING = {"help", "language_en", "language_fr", "language_menu", "cancel", "ask_code", "sync", "sync_status",
                 "troubleshoot", "who_synced"}


class HelpdeskBot(ActivityHandler):
    def __init__(self, settings: Settings, services: Services, conversation_state: ConversationState,
                 user_state: UserState, adapter: Any) -> None:
        self.settings = settings
        self.services = services
        self.conversation_state = conversation_state
        self.user_state = user_state
        self.adapter = adapter
        self.dialog_state = conversation_state.create_property("DialogState")
        self.profile = user_state.create_property("Profile")
        self.sync_dialog = SyncDialog(services.sync, services.store, self._notify_when_done)
        self.troubleshoot = TroubleshootFlow(services)
        self.main_dialog = MainDialog(services.kb, services.matcher, self.sync_dialog, self.troubleshoot)
        self.messenger = Messenger(adapter, services.store, settings.app_id)
        services.messenger = self.messenger
        self.dialogs = DialogSet(self.dialog_state)
        self.dialogs.add(self.main_dialog)
        self._background: set[asyncio.Task[Any]] = set()
        # The SDK posts proactive messages with blocking `requests` calls and sleeps between retries
        # (defect 6): they run on their own threads so a slow or dead serviceUrl never stalls other turns.
        self._delivery = ThreadPoolExecutor(max_workers=2, thread_name_prefix="proactive")

    # -- turn set-up -------------------------------------------------------------------------
    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not self._tenant_allowed(activity):
            if activity.type == ActivityTypes.message:
                lang = negotiate(activity.locale)
                await turn_context.send_activity(Translator(lang)(
                    "Sorry, this bot is not available to your organisation."))
            return
        turn_context.turn_state[sdk_fixes.DIALOG_STATE_CONFIGURATION_KEY] = sdk_fixes.dialog_state_configuration()
        if activity.type == ActivityTypes.message:
            try:
                await self.messenger.remember_user(turn_context)
            except Exception:
                log.warning("could not remember the user's 1:1 chat", exc_info=True)
        profile = await self.profile.get(turn_context, dict)
        lang = profile.get("lang") or negotiate(activity.locale)
        text, truncated = self._clean_text(activity)
        log.info("%s activity (%s, %d chars)", activity.type, activity.conversation.conversation_type
                 if activity.conversation else "-", len(text))
        if self.settings.log_text:  # opt-in (LOG_MESSAGE_TEXT=1): users paste logs and names
            log.debug("text: %s", text)
        turn_context.turn_state[TURN_INFO_KEY] = TurnInfo(
            lang=lang, t=Translator(lang), caller=self._caller(activity), text=text, truncated=truncated,
            conversation_type=(activity.conversation.conversation_type if activity.conversation else None)
            or "personal",
        )
        await super().on_turn(turn_context)
        try:
            await self.conversation_state.save_changes(turn_context)
            await self.user_state.save_changes(turn_context)
        except ConcurrencyError:
            # Two turns of one conversation at once (a double click delivered twice): the other turn's
            # state stands. Every action is idempotent on the server, so nothing is lost or done twice.
            log.info("conversation state changed by a concurrent turn; this turn's state changes dropped")

    def _tenant_allowed(self, activity: Activity) -> bool:
        allowed = self.settings.allowed_tenant_ids
        return not allowed or (_tenant_id(activity) or "").lower() in allowed

    def _caller(self, activity: Activity) -> Caller | None:
        sender: ChannelAccount | None = activity.from_property
        aad = getattr(sender, "aad_object_id", None) if sender else None
        if not aad:
            return None
        return Caller(aad_object_id=str(aad), tenant_id=_tenant_id(activity) or "",
                      name=getattr(sender, "name", None))

    def _clean_text(self, activity: Activity) -> tuple[str, bool]:
        text = activity.text if isinstance(activity.text, str) else ""
        text = _MENTION.sub(" ", text)  # @mentions of the bot in group chats and channels
        text = _TAGS.sub(" ", text).replace("&nbsp;", " ")
        text = " ".join(text.split())
        limit = self.settings.max_text_chars
        return (text[:limit], True) if len(text) > limit else (text, False)

    # -- messages ----------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        info: TurnInfo = turn_context.turn_state[TURN_INFO_KEY]
        activity = turn_context.activity
        if activity.delivery_mode != DeliveryModes.expect_replies:
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        dc = await self.dialogs.create_context(turn_context)
        if isinstance(activity.value, dict) and activity.value.get("action"):
            await dc.cancel_all_dialogs()
            await self.handle_card_action(turn_context, activity.value)
            return
        if not info.text:
            if activity.attachments:
                await turn_context.send_activity(info.t(
                    "I can only read text. Please type or paste the error message or code."))
            else:
                await turn_context.send_activity(MessageFactory.attachment(cards.attachment(cards.help_card(info.t))))
            return
        intent = info.intent
        if dc.active_dialog is not None and (intent.name in _INTERRUPTING or find_codes(info.text)):
            await dc.cancel_all_dialogs()
        if intent.name in ("help", "language_en", "language_fr", "language_menu", "cancel"):
            await self._simple_intent(turn_context, intent)
            return
        result = await dc.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dc.begin_dialog(MainDialog.__name__)

    async def _simple_intent(self, turn_context: TurnContext, intent: Intent) -> None:
        info: TurnInfo = turn_context.turn_state[TURN_INFO_KEY]
        if intent.name == "help":
            await turn_context.send_activity(MessageFactory.attachment(cards.attachment(cards.help_card(info.t))))
        elif intent.name == "cancel":
            await turn_context.send_activity(info.t("OK, cancelled. What else can I do for you?"))
        elif intent.name.startswith("language"):
            if intent.name == "language_menu":
                card = cards.notice_card(info.t("Language"), info.t("Which language would you like?"), actions=[
                    cards.submit("English", {"action": "language", "lang": "en"}),
                    cards.submit("Français", {"action": "language", "lang": "fr"})])
                await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))
            else:
                await self._set_language(turn_context, intent.slots["lang"])

    async def _set_language(self, turn_context: TurnContext, lang: str) -> None:
        lang = lang if lang in ("en", "fr") else "en"
        profile = await self.profile.get(turn_context, dict)
        profile["lang"] = lang
        await self.profile.set(turn_context, profile)
        info: TurnInfo = turn_context.turn_state[TURN_INFO_KEY]
        info.lang, info.t = lang, Translator(lang)
        await turn_context.send_activity(info.t("OK, I'll answer in English from now on."))

    # -- card buttons (stateless: every id in card data is re-checked on the server) -----------
    async def handle_card_action(self, turn_context: TurnContext, data: dict[str, Any]) -> dict[str, Any] | None:
        """Runs a button's action; returns a replacement card for Action.Execute where that makes sense."""
        info: TurnInfo = turn_context.turn_state[TURN_INFO_KEY]
        t = info.t
        # Card data comes back from the client: keep only plain strings, whatever was sent.
        data = {k: v if isinstance(v, str) else "" for k, v in data.items() if isinstance(k, str)}
        action = data.get("action", "")
        if action == "show":
            entry = self.services.kb.get(str(data.get("kind", "")), str(data.get("id", "")))
            if entry is None:
                await turn_context.send_activity(t("That answer is no longer available. Please ask again."))
            else:
                await send_entry(turn_context, entry, self.services.kb)
            return None
        if action == "none":
            await turn_context.send_activity(t(
                "OK. Try rephrasing, paste the exact error code or message, or type \"help\"."))
            return None
        if action == "language":
            await self._set_language(turn_context, str(data.get("lang", "en")))
            return None
        if action == "feedback":
            await self._record_feedback(turn_context, str(data.get("answer", "")), str(data.get("reaction", "")))
            await turn_context.send_activity(t("Thanks for your feedback!"))
            return None
        if action in ("sync_start", "sync_pick"):
            dc = await self.dialogs.create_context(turn_context)
            device_id = data.get("device_id") if action == "sync_pick" else None
            await dc.begin_dialog(MainDialog.__name__, {"intent": "sync", "device_id": device_id or None,
                                                        "target": data.get("target") or None})
            return None
        if action == "sync_confirm":
            return await self.sync_dialog.run_confirmed(turn_context, str(data.get("confirmation", "")))
        if action == "sync_cancel":
            return await self.sync_dialog.cancel(turn_context, str(data.get("confirmation", "")))
        if action == "troubleshoot":
            await self.troubleshoot.run(turn_context, str(data.get("user", "")))
            return None
        await turn_context.send_activity(t("That button is out of date. Please ask again."))
        return None

    # -- invokes -----------------------------------------------------------------------------
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name or ""
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        if name == "adaptiveCard/action":
            action = value.get("action") if isinstance(value.get("action"), dict) else {}
            data = action.get("data") if isinstance(action.get("data"), dict) else {}
            turn_context.turn_state[QUIET_KEY] = data.get("action") in ("sync_confirm", "sync_cancel")
            card = await self.handle_card_action(turn_context, data) if data.get("action") else None
            if card is not None:
                body = {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card}
            else:
                body = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                        "value": turn_context.turn_state[TURN_INFO_KEY].t("Done.")}
            return InvokeResponse(status=200, body=body)
        if name == "message/submitAction" and value.get("actionName") == "feedback":
            action_value = value.get("actionValue") if isinstance(value.get("actionValue"), dict) else {}
            reaction = str(action_value.get("reaction", ""))
            await self._record_feedback(turn_context, f"reply:{turn_context.activity.reply_to_id or ''}", reaction)
            return InvokeResponse(status=200, body={})
        return InvokeResponse(status=200, body={})

    async def _record_feedback(self, turn_context: TurnContext, answer: str, reaction: str) -> None:
        if reaction not in ("like", "dislike"):
            return
        info: TurnInfo = turn_context.turn_state[TURN_INFO_KEY]
        await self.services.store.append("feedback", {
            "at": time.time(), "answer": answer[:200], "reaction": reaction,
            "user": info.caller.aad_object_id if info.caller else None,
            "conversation": turn_context.activity.conversation.id if turn_context.activity.conversation else None,
            "lang": info.lang,
        })

    # -- conversation updates and the rest -----------------------------------------------------
    async def on_members_added_activity(self, members_added: list[ChannelAccount],
                                        turn_context: TurnContext) -> None:
        info: TurnInfo = turn_context.turn_state[TURN_INFO_KEY]
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        personal = info.conversation_type == "personal"
        if any(m.id == bot_id for m in members_added) or personal:
            card = cards.help_card(info.t, welcome=True)
            await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))

    async def on_message_reaction_activity(self, turn_context: TurnContext) -> None:
        for reaction in turn_context.activity.reactions_added or []:
            kind = {"like": "like", "heart": "like", "sad": "dislike", "angry": "dislike"}.get(reaction.type or "")
            if kind:
                await self._record_feedback(turn_context, f"reply:{turn_context.activity.reply_to_id or ''}", kind)

    async def on_unrecognized_activity_type(self, turn_context: TurnContext) -> None:
        return None  # typing, endOfConversation, unknown types: nothing to say, HTTP 200

    # -- errors and background work ------------------------------------------------------------
    async def on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        """Log the failure with its trace; tell the user plainly; never show the trace."""
        log.error("turn failed: %s", type(error).__name__, exc_info=error)
        info = turn_context.turn_state.get(TURN_INFO_KEY)
        t = info.t if info else Translator(negotiate(turn_context.activity.locale))
        try:
            await self.conversation_state.load(turn_context)
            await self.conversation_state.delete(turn_context)
        except Exception:
            log.warning("could not reset the conversation state after an error", exc_info=True)
        if turn_context.activity.type == ActivityTypes.message:
            await turn_context.send_activity(t("Sorry, something went wrong on my side. Please try again."))

    async def _notify_when_done(self, turn_context: TurnContext, device: Device) -> None:
        """After a sync, watch the device's action state and tell the user when it completes."""
        if self.services.sync is None:
            return
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        info: TurnInfo = turn_context.turn_state[TURN_INFO_KEY]
        lang = info.lang
        await self.services.store.put(f"convref/{reference.conversation.id}",
                                      reference.serialize() if hasattr(reference, "serialize") else {})
        task = asyncio.create_task(self._watch(reference, device, lang))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _watch(self, reference: Any, device: Device, lang: str) -> None:
        t = Translator(lang)
        try:
            status = await self.services.sync.wait_for_completion(  # type: ignore[union-attr]
                device.id, timeout=self.settings.completion_watch_s, interval=self.settings.completion_poll_s)
        except Exception:
            log.warning("watching the sync of a device failed", exc_info=True)
            return
        if status is None or status.state not in status.TERMINAL_STATES:
            return
        text = t("Update: {name} — sync {state}.", name=device.name, state=state_label(t, status.state))

        async def send(turn_context: TurnContext) -> None:
            await turn_context.send_activity(text)

        def deliver() -> None:
            asyncio.run(self.adapter.continue_conversation(reference, send, self.settings.app_id or None))

        try:
            await asyncio.get_running_loop().run_in_executor(self._delivery, deliver)
        except Exception:
            log.warning("could not deliver the completion notice", exc_info=True)

    async def shutdown(self) -> None:
        self._delivery.shutdown(wait=False, cancel_futures=True)
        self.messenger.close()
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _tenant_id(activity: Activity) -> str | None:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    tid = tenant.get("id") or (getattr(activity.conversation, "tenant_id", None) if activity.conversation else None)
    return str(tid) if tid else None
