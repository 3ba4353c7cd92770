"""Messages the bot sends on its own: to a user's 1:1 chat, into a stored conversation, as a new channel thread.

Private answers in group chats, ticket notifications and "your sync is done" all go through here. The SDK's
connector posts with blocking ``requests`` calls and sleeps between retries (sdk_fixes defect 6), so every send
runs on a small thread pool with its own event loop: a slow or dead serviceUrl never stalls other turns. A send
never raises: it logs and returns False / None, and the caller says so to the user where it matters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)

from storage import Store

log = logging.getLogger(__name__)

USER_REFERENCE = "convref/user/{aad}"
"""Where a user's 1:1 conversation reference is kept (written on each personal-chat turn)."""

Sendable = Activity | str


def _activity(message: Sendable) -> Activity:
    return MessageFactory.text(message) if isinstance(message, str) else message


def reference_of(turn_context: TurnContext) -> dict[str, Any]:
    """This conversation's reference as plain JSON, to store and use later."""
    reference = TurnContext.get_conversation_reference(turn_context.activity)
    return reference.serialize()


def _reference(data: dict[str, Any]) -> ConversationReference:
    return ConversationReference().deserialize(data)


class Messenger:
    """Proactive delivery for one app (one adapter, one store, one thread pool)."""

    def __init__(self, adapter: Any, store: Store, app_id: str = "", workers: int = 2) -> None:
        self.adapter = adapter
        self.store = store
        self.app_id = app_id or None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="proactive")
        self._known: dict[str, tuple[str, str]] = {}  # aad -> (conversation, service URL) stored by this process

    async def remember_user(self, turn_context: TurnContext) -> None:
        """Keep the 1:1 chat's reference of whoever writes to the bot in personal chat."""
        activity = turn_context.activity
        conv = activity.conversation
        sender = activity.from_property
        aad = getattr(sender, "aad_object_id", None) if sender else None
        if not aad or not conv or (conv.conversation_type or "personal") != "personal" or conv.is_group:
            return
        seen = (conv.id or "", activity.service_url or "")
        if self._known.get(aad.lower()) == seen:
            return  # already stored by this process: every personal turn would otherwise read the store
        key = USER_REFERENCE.format(aad=aad.lower())
        data = reference_of(turn_context)
        record = await self.store.get(key)
        if record is None or record.value != data:
            await self.store.put(key, data)
        if len(self._known) > 50_000:
            self._known.clear()
        self._known[aad.lower()] = seen

    async def to_user(self, turn_context: TurnContext | None, aad_object_id: str, message: Sendable, *,
                      user_id: str | None = None, reference: dict[str, Any] | None = None) -> bool:
        """Post into the user's 1:1 chat with the bot; create that chat when the bot has none yet.

        ``turn_context`` (any turn in the same tenant) gives the service URL, the bot and the tenant for a new
        chat; ``user_id`` is the user's Teams id when known (else their Entra object id, which Teams accepts).
        """
        stored = await self.store.get(USER_REFERENCE.format(aad=aad_object_id.lower()))
        if stored is not None:
            if await self.to_conversation(stored.value, message) is not None:
                return True
            # A stale chat (the app was reinstalled, the service URL moved): start the chat again below.
            log.info("the stored 1:1 chat did not take the message; creating the chat again")
        base = reference or (reference_of(turn_context) if turn_context is not None else None)
        if not base:
            log.warning("no conversation to start a 1:1 chat from")
            return False
        ref = _reference(base)
        tenant_id = (ref.conversation.tenant_id if ref.conversation else None) or _tenant_of(turn_context)
        member = ChannelAccount(id=user_id or aad_object_id, aad_object_id=aad_object_id)
        params = ConversationParameters(is_group=False, bot=ref.bot, members=[member], tenant_id=tenant_id,
                                        channel_data={"tenant": {"id": tenant_id}} if tenant_id else None)
        created: dict[str, Any] = {}

        async def send(context: TurnContext) -> None:
            conversation = context.activity.conversation
            created["reference"] = ConversationReference(
                activity_id=None, bot=ref.bot, channel_id=ref.channel_id, service_url=ref.service_url,
                conversation=ConversationAccount(id=conversation.id, conversation_type="personal",
                                                 tenant_id=tenant_id),
                user=member, locale=ref.locale).serialize()
            await context.send_activity(_activity(message))
            created["sent"] = True

        ok = await self._run(lambda: self.adapter.create_conversation(
            self.app_id, send, params, ref.channel_id, ref.service_url))
        ok = ok and bool(created.get("sent"))
        if ok and created.get("reference"):
            await self.store.put(USER_REFERENCE.format(aad=aad_object_id.lower()), created["reference"])
        return ok

    async def to_conversation(self, reference: dict[str, Any], message: Sendable) -> str | None:
        """Post into a conversation the bot is in; returns the new activity's id (None on failure)."""
        sent: dict[str, str | None] = {}

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(_activity(message))
            sent["id"] = response.id if response else None
            sent["ok"] = "yes"

        # The adapter hands a failure inside the callback to its turn-error handler instead of raising it:
        # only a callback that ran to its end counts as delivered.
        ok = await self._run(lambda: self.adapter.continue_conversation(_reference(reference), send, self.app_id))
        return (sent.get("id") or "") if ok and sent.get("ok") else None

    async def new_thread(self, channel_reference: dict[str, Any], message: Sendable) -> tuple[str, str] | None:
        """Start a new thread in the channel of ``channel_reference``: (conversation id, activity id)."""
        ref = _reference(channel_reference)
        conversation = ref.conversation
        channel_id = (conversation.id or "").split(";messageid=")[0] if conversation else ""
        tenant_id = conversation.tenant_id if conversation else None
        params = ConversationParameters(is_group=True, bot=ref.bot, tenant_id=tenant_id,
                                        activity=_activity(message),
                                        channel_data={"channel": {"id": channel_id},
                                                      **({"tenant": {"id": tenant_id}} if tenant_id else {})})
        created: dict[str, str] = {}

        async def note(context: TurnContext) -> None:
            created["conversation"] = context.activity.conversation.id
            created["activity"] = context.activity.id or ""

        ok = await self._run(lambda: self.adapter.create_conversation(
            self.app_id, note, params, ref.channel_id, ref.service_url))
        if not ok or "conversation" not in created:
            return None
        return created["conversation"], created["activity"]

    async def update(self, reference: dict[str, Any], activity_id: str, message: Sendable) -> bool:
        """Replace a message the bot sent earlier (a ticket card after an action)."""
        activity = _activity(message)
        activity.id = activity_id

        done: list[bool] = []

        async def replace(context: TurnContext) -> None:
            await context.update_activity(activity)
            done.append(True)

        ok = await self._run(lambda: self.adapter.continue_conversation(_reference(reference), replace,
                                                                        self.app_id))
        return ok and bool(done)

    async def _run(self, start: Callable[[], Awaitable[Any]]) -> bool:
        def deliver() -> None:
            asyncio.run(start())  # type: ignore[arg-type]

        try:
            await asyncio.get_running_loop().run_in_executor(self._pool, deliver)
            return True
        except Exception as exc:  # a dead serviceUrl, a refused token: say so in the log, not to the user
            log.warning("proactive delivery failed: %s", type(exc).__name__, exc_info=log.isEnabledFor(10))
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _tenant_of(turn_context: TurnContext | None) -> str | None:
    if turn_context is None:
        return None
    data = turn_context.activity.channel_data if isinstance(turn_context.activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    return tenant.get("id") or (turn_context.activity.conversation.tenant_id
                                if turn_context.activity.conversation else None)
