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
    PrivateConversationState,
    TurnContext,
    UserState,
)
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, DeliveryModes

from bot import sdk_fixes
from bot.services import Services
from bot.settings import Settings
from bot.watches import Watches
from dialogs.context import STORE_TTL, Subject, subject_key
from dialogs.flows import build_flows
from dialogs.language import choose_language
from dialogs.messenger import Messenger
from dialogs.router import Router
from dialogs.sync_dialog import SyncDialog
from dialogs.troubleshoot import TroubleshootFlow
from dialogs.turn import TURN_INFO_KEY, TurnInfo
from intune.models import Caller, Device
from presentation import cards
from presentation.i18n import Translator, negotiate
from storage import ConcurrencyError

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]{0,200})?/?>")  # HTML only: IME logs' <![LOG[...]LOG]!> stay


class HelpdeskBot(ActivityHandler):
    def __init__(self, settings: Settings, services: Services, conversation_state: ConversationState,
                 user_state: UserState, adapter: Any, private_state: PrivateConversationState | None = None) -> None:
        self.settings = settings
        self.services = services
        self.conversation_state = conversation_state
        self.user_state = user_state
        # Each member of a group chat has their own pending questions and subject.
        self.private_state = private_state or PrivateConversationState(conversation_state._storage)
        self.adapter = adapter
        self.profile = user_state.create_property("Profile")
        self.messenger = Messenger(adapter, services.store, settings.app_id)
        services.messenger = self.messenger
        self.sync_dialog = SyncDialog(services.sync, services.store, self._notify_when_done, services=services)
        self.troubleshoot = TroubleshootFlow(services)
        self.router = Router(services, dialog_state=self.private_state.create_property("DialogState"),
                             profile=self.profile, sync_dialog=self.sync_dialog, troubleshoot=self.troubleshoot,
                             record_feedback=self._record_feedback, flows=build_flows(services))
        self._background: set[asyncio.Task[Any]] = set()
        self.watches = Watches(settings, services.store, services.sync, adapter,  # survive restarts (issue 16)
                               messenger=self.messenger)
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
        key = _subject_key(activity)
        stored = await self.services.store.get(key) if key else None
        subject = Subject.from_dict(stored.value if stored else None)
        before = subject.to_dict()
        subject.tick()
        text, truncated = self._clean_text(activity)
        log.info("%s activity (%s, %d chars)", activity.type, activity.conversation.conversation_type
                 if activity.conversation else "-", len(text))
        if self.settings.log_text:  # opt-in (LOG_MESSAGE_TEXT=1): users paste logs and names
            log.debug("text: %s", text)
        lang = choose_language(profile.get("lang"), text, subject.lang, activity.locale)
        info = TurnInfo(
            lang=lang, t=Translator(lang), caller=self._caller(activity), text=text, truncated=truncated,
            conversation_type=(activity.conversation.conversation_type if activity.conversation else None)
            or "personal", subject=subject, images=_image_count(activity),
        )
        info.set_language(lang)
        if activity.type == ActivityTypes.message and isinstance(activity.text, str):
            activity.text = text  # prompts read the activity: "@Helpdesk 2" is "2"
        turn_context.turn_state[TURN_INFO_KEY] = info
        await super().on_turn(turn_context)
        try:
            after = info.subject.to_dict()
            if key and (after != before or stored is None) and (after["set_turn"] or after["lang"]
                                                               or after["dialog"] or stored is not None):
                await self.services.store.put(key, after, ttl=STORE_TTL)
            await self.conversation_state.save_changes(turn_context)
            await self.private_state.save_changes(turn_context)
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
        """Mentions and markup out; codes are read in the whole message, words only in its start."""
        text = activity.text if isinstance(activity.text, str) else ""
        text = _MENTION.sub(" ", text)  # @mentions of the bot in group chats and channels
        text = _TAGS.sub(" ", text).replace("&nbsp;", " ")
        text = " ".join(text.split())
        limit = self.settings.max_paste_chars
        return (text[:limit], True) if len(text) > limit else (text, False)

    # -- messages and card buttons: one router -------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        if turn_context.activity.delivery_mode != DeliveryModes.expect_replies:
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        await self.router.on_message(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name or ""
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        if name == "adaptiveCard/action":
            return InvokeResponse(status=200, body=await self.router.on_invoke(turn_context))
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
        if any(m is not None and m.id == bot_id for m in members_added) or personal:
            card = cards.help_card(info.t, welcome=True)
            await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))

    async def on_message_reaction_activity(self, turn_context: TurnContext) -> None:
        for reaction in turn_context.activity.reactions_added or []:
            if reaction is None:  # "reactionsAdded": [null] from a malformed client: nothing to record
                continue
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
        """After a sync, watch the device's action state and tell the user when it completes (bot/watches.py)."""
        info: TurnInfo = turn_context.turn_state[TURN_INFO_KEY]
        # In a group chat or channel the notice goes to the asker's 1:1 chat, like the sync itself.
        private_to = info.caller.aad_object_id if info.is_shared and info.caller is not None else None
        await self.watches.start(turn_context, device, info.lang, private_to=private_to)

    async def shutdown(self) -> None:
        await self.watches.close()
        self._delivery.shutdown(wait=False, cancel_futures=True)
        self.messenger.close()
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _subject_key(activity: Activity) -> str | None:
    conversation = activity.conversation.id if activity.conversation else None
    sender = activity.from_property.id if activity.from_property else None
    if not conversation or not sender:
        return None
    return subject_key(activity.channel_id or "", conversation, sender)


def _image_count(activity: Activity) -> int:
    """Pictures attached to a message (screenshots): inline images, or files with an image extension."""
    count = 0
    for attachment in activity.attachments or []:
        kind = (getattr(attachment, "content_type", "") or "").lower()
        name = (getattr(attachment, "name", "") or "").lower()
        if kind.startswith("image/") or name.endswith((".png", ".jpg", ".jpeg", ".gif", ".bmp", ".heic", ".webp")):
            count += 1
        elif kind == "application/vnd.microsoft.teams.file.download.info":
            content = attachment.content if isinstance(attachment.content, dict) else {}
            if str(content.get("fileType", "")).lower() in ("png", "jpg", "jpeg", "gif", "bmp", "heic", "webp"):
                count += 1
    return count


def _tenant_id(activity: Activity) -> str | None:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    tid = tenant.get("id") or (getattr(activity.conversation, "tenant_id", None) if activity.conversation else None)
    return str(tid) if tid else None
