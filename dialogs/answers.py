"""Answer from the knowledge base: answer cards, unknown-code notices, did-you-mean lists, and never a dead end.

The subject in play helps: a short question that finds nothing on its own ("and what if it is switched off?") is
read again together with the answer just given, and the answers related to it come first.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory, TurnContext

from dialogs.services import Services
from dialogs.turn import turn_info
from knowledge import KnowledgeBase, LookupResult, to_hex
from knowledge.models import Entry, ErrorEntry, FaqEntry
from presentation import cards

SYNC_HELPS_FAMILIES = frozenset({"sync"})
MAX_CARDS = 3
_CONTEXT_LEAD = 5.0
"""A follow-up read with the last answer is answered alone when its best related entry leads the next by this."""
CODE_SCAN_CHARS = 32_000
"""Codes are looked for in the whole message up to Teams' size limit (~28 KB); the words only in its start."""


def sync_helps(entry: Entry) -> bool:
    """A sync button is offered where syncing is the fix: retryable sync codes, app-install states."""
    return isinstance(entry, ErrorEntry) and (
        (entry.family in SYNC_HELPS_FAMILIES and bool(entry.retryable)) or entry.family == "windows-app-status"
    )


def entry_key(entry: Entry) -> str:
    return f"{entry.kind}:{entry.id}"


def entry_from_key(kb: KnowledgeBase, key: str | None) -> Entry | None:
    if not key or ":" not in key:
        return None
    kind, entry_id = key.split(":", 1)
    return kb.get(kind, entry_id)


async def audience(turn_context: TurnContext, services: Services | KnowledgeBase) -> str:
    """Who is asking: ``cards.AGENT`` for helpdesk agents (group membership, cached by the policy), else
    ``cards.USER``. Without Graph the bot cannot tell, and shows the agent's card, which has the user's steps too."""
    info = turn_info(turn_context)
    authz = None if isinstance(services, KnowledgeBase) else services.authz
    if authz is None:
        return cards.AGENT
    if info.caller is None:
        return cards.USER
    return cards.AGENT if await authz.is_agent(info.caller) else cards.USER


async def send_entry(turn_context: TurnContext, entry: Entry, services: Services | KnowledgeBase) -> None:
    info = turn_info(turn_context)
    kb = services if isinstance(services, KnowledgeBase) else services.kb
    card = cards.entry_card(entry, kb, info.t, can_sync=sync_helps(entry) and info.caller is not None,
                            audience=await audience(turn_context, services))
    await turn_context.send_activity(_with_feedback(MessageFactory.attachment(cards.attachment(card))))
    info.subject.set_answer(entry_key(entry), entry.title(info.lang),
                            codes=[entry.code] if isinstance(entry, ErrorEntry) and entry.code is not None else [])


def lookup(services: Services, text: str) -> LookupResult:
    """Codes anywhere in the message (up to Teams' limit), words from its start."""
    return services.matcher.lookup(text[:CODE_SCAN_CHARS])


async def answer_lookup(turn_context: TurnContext, services: Services, text: str | None = None) -> bool:
    """Answer a question or a paste; True when something definite was said."""
    info = turn_info(turn_context)
    text = info.text if text is None else text
    result = lookup(services, text)
    if not (result.matches or result.unknown_codes or result.unknown_subcodes):
        result = _with_subject(services, info, text, result)
    return await send_result(turn_context, result, services)


def _with_subject(services: Services, info: Any, text: str, result: LookupResult) -> LookupResult:
    """Read a question that found nothing confident together with the answer just given, if there is one."""
    previous = entry_from_key(services.kb, info.subject.entry)
    if previous is None or len(text.split()) > 25:
        return result
    context = f"{text} {previous.title(info.lang)}"
    again = services.matcher.lookup(context)
    linked = set(previous.related) if isinstance(previous, FaqEntry) else set()
    same_topic = ({e.id for e in services.kb.faq.values() if e.topic == previous.topic}
                  if isinstance(previous, FaqEntry) else set())

    def closeness(entry_id: str) -> int:  # 0: linked to the answer just given, 1: same topic, 2: other
        return 0 if entry_id in linked else 1 if entry_id in same_topic else 2

    if again.matches and again.matches[0].entry.id != previous.id:
        return LookupResult(text, again.matches[:1], (), truncated=result.truncated)
    # Otherwise the entries close to the answer just given, ranked by how well they read with it.
    seen: set[str] = {previous.id}
    pool = []
    for m in [*result.suggestions, *again.suggestions, *services.matcher.rank(context, limit=10)]:
        if m.entry.id not in seen:
            seen.add(m.entry.id)
            pool.append(m)
    close = sorted((m for m in pool if closeness(m.entry.id) < 2), key=lambda m: -m.score)
    if close and (len(close) == 1 or close[0].score - close[1].score >= _CONTEXT_LEAD):
        return LookupResult(text, (close[0],), (), truncated=result.truncated)
    if close:
        return LookupResult(text, (), tuple(close[:3]), truncated=result.truncated)
    suggested = [m for m in (*result.suggestions, *again.suggestions) if m.entry.id != previous.id]
    return LookupResult(text, (), tuple(dict((m.entry.id, m) for m in suggested).values())[:3],
                        truncated=result.truncated)


async def send_result(turn_context: TurnContext, result: LookupResult, services: Services | KnowledgeBase) -> bool:
    """Reply to a lookup. Returns True when something definite was said (False: did-you-mean or no answer)."""
    info = turn_info(turn_context)
    t = info.t
    kb = services if isinstance(services, KnowledgeBase) else services.kb
    unknown = [f"{to_hex(c)} ({c})" for c in result.unknown_codes] + list(result.unknown_subcodes)
    matches = list(result.matches)
    if info.images and not matches and not unknown:
        await turn_context.send_activity(t(
            "I can't read images. Please type the error code or the message shown on the screen, for example "
            "0x87D1FDE8 or \"Profile not managed\"."))
        info.subject.unanswered = info.text
        return True
    if info.truncated or (result.truncated and not matches and not unknown):
        await turn_context.send_activity(t("Your message was long: I read only its beginning."))
    if matches:
        if len(matches) <= MAX_CARDS:
            for m in matches:
                await send_entry(turn_context, m.entry, services)
        else:
            card = cards.compact_list_card([m.entry for m in matches], t,
                                           shared_message=not any(m.exact for m in matches), kb=kb)
            await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))
            info.subject.set_answer(None, codes=[m.entry.code for m in matches
                                                 if isinstance(m.entry, ErrorEntry) and m.entry.code is not None])
    if unknown:
        card = cards.unknown_code_card(unknown, t)
        await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))
        info.subject.codes = [*info.subject.codes, *result.unknown_codes]
        info.subject.unanswered = info.text[:500]
        info.subject.touch()
    if matches or unknown:
        return True
    if result.suggestions:
        card = cards.did_you_mean_card([m.entry for m in result.suggestions], t, kb)
        await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))
        info.subject.pending = {"flow": "lookup", "suggestions": [[m.entry.kind, m.entry.id]
                                                                   for m in result.suggestions]}
        info.subject.unanswered = info.text[:500]
        return False
    info.subject.unanswered = info.text[:500]
    info.subject.touch()
    await turn_context.send_activity(MessageFactory.attachment(cards.attachment(cards.notice_card(
        t("I don't have an answer for that"),
        t("Sorry, I don't have an answer for that. Paste the exact error code or message, rephrase your question, "
          "or ask the helpdesk: a person will look at it."),
        actions=cards.dead_end_actions(t)))))
    return False


def _with_feedback(activity):  # type: ignore[no-untyped-def]
    """Teams shows thumbs up/down on messages that enable its feedback loop."""
    activity.channel_data = {**(activity.channel_data or {}), "feedbackLoopEnabled": True}
    return activity
