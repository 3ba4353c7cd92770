"""Personal details go to the asker only: in a group chat or a channel, they are sent to the asker's 1:1 chat.

Device lists, compliance status, troubleshooting cards, audit and "who synced" answers, sync confirmations: anyone
in a channel could read them there. Every flow sends such replies through ``send_private``; in a personal chat it
is a plain send, elsewhere the details go to the asker's 1:1 chat (proactively, through the Messenger) and a short
note says so where they asked. If the 1:1 chat cannot be reached, the details are not posted at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity

from dialogs.turn import turn_info
from presentation import cards

log = logging.getLogger(__name__)

Private = Activity | dict[str, Any] | str
"""A message with personal details: an activity, an Adaptive Card (dict) or text."""


def _activity(message: Private) -> Activity:
    if isinstance(message, Activity):
        return message
    if isinstance(message, dict):
        return MessageFactory.attachment(cards.attachment(message))
    return MessageFactory.text(message)


def is_shared(turn_context: TurnContext) -> bool:
    """True in group chats and channels, where other people read the bot's replies."""
    return turn_info(turn_context).is_shared


async def send_private(turn_context: TurnContext, messages: Private | Sequence[Private], messenger: Any, *,
                       note: str | None = None) -> bool:
    """Send ``messages`` to the asker alone; True when they reached them.

    In a personal chat they are sent here. In a group chat or channel they go to the asker's 1:1 chat, and
    ``note`` (default: "I've sent you the details in our 1:1 chat.") is posted where they asked; the details
    themselves never appear in the shared conversation, even when the 1:1 chat fails.
    """
    items = [messages] if isinstance(messages, Activity | dict | str) else list(messages)
    activities = [_activity(m) for m in items]
    info = turn_info(turn_context)
    if not info.is_shared:
        for activity in activities:
            await turn_context.send_activity(activity)
        return True
    t = info.t
    caller = info.caller
    sender = turn_context.activity.from_property
    delivered = False
    if caller is not None and messenger is not None:
        delivered = True
        for activity in activities:
            if not await messenger.to_user(turn_context, caller.aad_object_id, activity,
                                           user_id=getattr(sender, "id", None) or None):
                delivered = False
                break
    if delivered:
        await turn_context.send_activity(note or t("I've sent you the details in our 1:1 chat."))
    else:
        log.info("private reply not delivered: no 1:1 chat with the asker")
        await turn_context.send_activity(t(
            "These details are personal, so I don't post them here, and I couldn't reach you in a 1:1 chat. "
            "Open a chat with me and ask again there."))
    return delivered
