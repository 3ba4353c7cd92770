"""Send what the knowledge base found: answer cards, unknown-code notices, did-you-mean lists."""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext

from dialogs.turn import turn_info
from knowledge import KnowledgeBase, LookupResult, to_hex
from knowledge.models import Entry, ErrorEntry
from presentation import cards

SYNC_HELPS_FAMILIES = frozenset({"sync"})
MAX_CARDS = 3


def sync_helps(entry: Entry) -> bool:
    """A sync button is offered where syncing is the fix: retryable sync codes, app-install states."""
    return isinstance(entry, ErrorEntry) and (
        (entry.family in SYNC_HELPS_FAMILIES and bool(entry.retryable)) or entry.family == "windows-app-status"
    )


async def send_entry(turn_context: TurnContext, entry: Entry, kb: KnowledgeBase) -> None:
    info = turn_info(turn_context)
    card = cards.entry_card(entry, kb, info.t, can_sync=sync_helps(entry) and info.caller is not None)
    await turn_context.send_activity(_with_feedback(MessageFactory.attachment(cards.attachment(card))))


async def send_result(turn_context: TurnContext, result: LookupResult, kb: KnowledgeBase) -> bool:
    """Reply to a lookup. Returns True when something definite was said (False: did-you-mean sent)."""
    info = turn_info(turn_context)
    t = info.t
    if info.truncated or result.truncated:
        await turn_context.send_activity(t("Your message was long: I read only its beginning."))
    unknown = [f"{to_hex(c)} ({c})" for c in result.unknown_codes] + list(result.unknown_subcodes)
    matches = list(result.matches)
    if matches:
        if len(matches) <= MAX_CARDS:
            for m in matches:
                await send_entry(turn_context, m.entry, kb)
        else:
            card = cards.compact_list_card([m.entry for m in matches], t,
                                           shared_message=not any(m.exact for m in matches))
            await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))
    if unknown:
        card = cards.unknown_code_card(unknown, t)
        await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))
    if matches or unknown:
        return True
    if result.suggestions:
        card = cards.did_you_mean_card([m.entry for m in result.suggestions], t)
        await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))
        return False
    await turn_context.send_activity(
        t("Sorry, I don't have an answer for that. Paste the exact error code or message, or type "
          "\"help\" to see what I can do.")
    )
    return True


def _with_feedback(activity):  # type: ignore[no-untyped-def]
    """Teams shows thumbs up/down on messages that enable its feedback loop."""
    activity.channel_data = {**(activity.channel_data or {}), "feedbackLoopEnabled": True}
    return activity
