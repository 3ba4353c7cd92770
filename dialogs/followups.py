"""Follow-ups: messages that lean on the subject in play ("and on Android?", "what does that mean?", "sync his
phone", "et son iPhone ?"). When a follow-up has nothing to lean on, the reply says so in context."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from botbuilder.core import MessageFactory, TurnContext

from dialogs.answers import answer_lookup, entry_from_key, send_entry
from dialogs.turn import TurnInfo, turn_info
from dialogs.understanding import Intent
from knowledge.answers import explanation
from knowledge.models import EnrollmentEntry, Entry, ErrorEntry, FaqEntry
from presentation import cards
from presentation.i18n import Translator

if TYPE_CHECKING:
    from dialogs.router import Router

_PRONOUN = re.compile(r"^(?:his|her|their|son|sa|ses|leur|leurs)\s+(?P<rest>.+)$", re.IGNORECASE)
_PLATFORM_WORDS = {
    "android": ("android", "samsung", "galaxy", "pixel"),
    "ios": ("ios", "iphone", "ipados", "ipad", "apple"),
    "macos": ("mac", "macos", "macbook"),
    "windows": ("windows", "pc", "ordi", "ordinateur", "laptop", "windows 10", "windows 11", "portable"),
}


_DEVICE_ACTIONS = frozenset({"sync", "who_synced", "device_status", "device_list", "troubleshoot"})
_AND = re.compile(r"^\s*(?:and|et|what about|how about|and for|et pour|et du|et de|et sur|and on)\s+", re.IGNORECASE)


def _after_and(text: str) -> str:
    """"et mon iphone ?" -> "mon iphone"."""
    return _AND.sub("", text).strip(" ?!.")


def platform_of(word: str) -> str:
    word = word.lower()
    for platform, words in _PLATFORM_WORDS.items():
        if any(word == w or word.startswith(w) for w in words):
            return platform
    return word


def resolve_user_reference(info: TurnInfo, target: str) -> str:
    """"him", "her", "lui" -> the user in play; anything else as typed."""
    if target.strip().lower() in ("him", "her", "them", "lui", "elle", "eux") and info.subject.user_upn:
        return info.subject.user_upn
    return target


def resolve_device_reference(info: TurnInfo, target: str) -> str | None:
    """"his phone" / "son téléphone" -> the phone of the user in play; None when nobody is in play (never another
    user's device by accident); other targets as typed."""
    m = _PRONOUN.match(target.strip())
    if not m:
        return target
    if not info.subject.user_upn:
        return None
    return f"{info.subject.user_upn}'s {m.group('rest')}"


async def handle(turn_context: TurnContext, intent: Intent, router: Router) -> None:
    info = turn_info(turn_context)
    name = intent.name
    subject = info.subject
    # A long message that reads as a real question is answered as one ("my iPhone says X, what do I do?").
    if name != "followup_other" and len(info.text.split()) > 7:
        result = router.services.matcher.lookup(info.text)
        if result.matches or result.unknown_codes:
            await answer_lookup(turn_context, router.services)
            return
    flow = router._by_name.get(subject.flow or "")
    on_followup = getattr(flow, "on_followup", None)
    if on_followup is not None and await on_followup(turn_context, intent):
        return
    if name == "followup_other" or (name == "followup_platform" and subject.action in _DEVICE_ACTIONS):
        # "et mon iphone ?" after a device status or a sync: the same action for that device
        if intent.target is None:
            intent = Intent("followup_other", _after_and(info.text), intent.slots, intent.lang)
        await _other(turn_context, intent, router)
        return
    if subject.refusal and (name == "followup_why" or (name in ("followup_self", "followup_still")
                            and subject.turn - subject.set_turn <= 2)):
        # "why not?", "so what do I do?" right after I refused or warned: the reason, and a person to ask.
        t = info.t
        await _send(turn_context, cards.notice_card(t("Here is why"), subject.refusal,
                                                    actions=[cards.ask_helpdesk_action(t)]))
        return
    if name == "followup_still" and subject.action == "sync" and subject.flow == "sync":
        await router.sync_dialog.report_status(turn_context)
        return
    entry = entry_from_key(router.services.kb, subject.entry)
    if entry is None and name == "followup_platform" and subject.unanswered:
        await _platform_of_question(turn_context, subject.unanswered,
                                    platform_of(intent.slots.get("platform", "")), router)
        return
    if entry is None:
        await _nothing_in_play(turn_context, router)
        return
    if name == "followup_why":
        await _explain(turn_context, entry, router.services.kb)
    elif name == "followup_platform":
        await _platform(turn_context, entry, platform_of(intent.slots.get("platform", "")), router)
    elif name == "followup_explain":
        await _explain(turn_context, entry, router.services.kb)
    elif name == "followup_still":
        await _still(turn_context, entry)
    elif name == "followup_self":
        await _self(turn_context, entry, router)


async def _nothing_in_play(turn_context: TurnContext, router: Router) -> None:
    info = turn_info(turn_context)
    result = router.services.matcher.lookup(info.text)
    if result.matches:
        await answer_lookup(turn_context, router.services)
        return
    t = info.t
    await _send(turn_context, cards.notice_card(
        t("What are we talking about?"),
        t("I'm not sure what this refers to. Tell me the error code or message you see, or what you are trying "
          "to do, and I'll help. You can also ask the helpdesk."),
        actions=cards.dead_end_actions(t)))


async def _platform(turn_context: TurnContext, entry: Entry, platform: str, router: Router) -> None:
    """The same question for another platform: the answer closest to the last one that is about it."""
    info = turn_info(turn_context)
    kb = router.services.kb
    words = _PLATFORM_WORDS.get(platform, (platform,))
    question = f"{entry.title(info.lang)} {words[0]}"
    candidates = [m.entry for m in router.services.matcher.rank(question, limit=15)]
    if isinstance(entry, FaqEntry):
        candidates = [kb.faq[r] for r in entry.related if r in kb.faq] + candidates
    for candidate in candidates:
        if candidate is entry:
            continue
        text = _all_text(candidate, info.lang).lower()
        if any(re.search(rf"\b{re.escape(w)}", text) for w in words):
            await send_entry(turn_context, candidate, router.services)
            info.subject.platform = platform
            return
    t = info.t
    await _send(turn_context, cards.notice_card(
        t("Nothing specific for {platform}", platform=words[0].capitalize()),
        t("I have no answer about \"{topic}\" specific to {platform}. The answer above is what I know; the "
          "helpdesk can check your case.", topic=t.prose(entry.title(info.lang)), platform=words[0].capitalize()),
        actions=cards.dead_end_actions(t)))


async def _platform_of_question(turn_context: TurnContext, question: str, platform: str, router: Router) -> None:
    """The question just asked (that had no single answer), asked again about another platform."""
    info = turn_info(turn_context)
    words = _PLATFORM_WORDS.get(platform, (platform,))
    others = [w for p, ws in _PLATFORM_WORDS.items() if p != platform for w in ws]
    stripped = " ".join(w for w in question.split() if w.lower().strip("?,.!") not in others)
    query = f"{stripped} {words[0]}"
    result = router.services.matcher.lookup(query)
    if result.matches:
        await send_entry(turn_context, result.matches[0].entry, router.services)
        return
    for match in router.services.matcher.rank(query, limit=10):
        text = _all_text(match.entry, info.lang).lower()
        if any(re.search(rf"\b{re.escape(w)}", text) for w in words):
            await send_entry(turn_context, match.entry, router.services)
            return
    await answer_lookup(turn_context, router.services, query)


def _all_text(entry: Entry, lang: str) -> str:
    if isinstance(entry, FaqEntry):
        text = entry.texts[lang]
        return " ".join([text.question, *text.phrasings, text.answer])
    if isinstance(entry, ErrorEntry):
        return entry.texts[lang].message + " " + (entry.texts[lang].what_to_do or "")
    if isinstance(entry, EnrollmentEntry):
        text = entry.texts[lang]
        return " ".join([text.name, text.details, text.remediation])
    return ""


def plain_steps(entry: Entry, lang: str, kb: Any) -> str:
    """What the person can do about an entry, in plain words (the end-user text where the data has one; "your IT
    team needs to do this" where the docs give only admin steps)."""
    steps = cards.user_steps(entry, kb, lang)
    if steps:
        return steps
    if isinstance(entry, ErrorEntry | EnrollmentEntry) or getattr(entry, "audience", "both") == "admin":
        return cards.it_team_text(Translator(lang))
    try:
        from knowledge.answers import user_explanation  # added with the audience data
    except ImportError:  # pragma: no cover - older knowledge package
        user_explanation = None
    if user_explanation is not None:
        text = user_explanation(entry, lang, kb)
        if text:
            return text
    if isinstance(entry, FaqEntry):
        return entry.texts[lang].answer.split("\n\n")[0]
    if isinstance(entry, EnrollmentEntry):
        return entry.texts[lang].remediation
    return explanation(entry, lang, kb)


async def _explain(turn_context: TurnContext, entry: Entry, kb: Any) -> None:
    info = turn_info(turn_context)
    t = info.t
    title = t.prose(entry.title(info.lang))
    if isinstance(entry, ErrorEntry):
        body = t("**{reported}** is what Intune reported. In plain words, here is what you can do:",
                 reported=title) + "\n\n" + t.prose(plain_steps(entry, info.lang, kb))
    else:
        body = t.prose(plain_steps(entry, info.lang, kb))
    await _send(turn_context, cards.notice_card(t("In plain words"), cards.clip(body),
                                                actions=[cards.ask_helpdesk_action(t)]))


async def _still(turn_context: TurnContext, entry: Entry) -> None:
    info = turn_info(turn_context)
    t = info.t
    actions = []
    if isinstance(entry, ErrorEntry) and info.caller is not None:
        actions.append(cards.submit(t("Sync my device"), {"action": "sync_start"}))
    actions.append(cards.ask_helpdesk_action(t))
    await _send(turn_context, cards.notice_card(
        t("Still not working?"),
        t("Restart the device, make sure it is connected to the internet, then sync it and try again. If it still "
          "fails, ask the helpdesk: a person will look at it, with what you told me."),
        actions=actions))


async def _self(turn_context: TurnContext, entry: Entry, router: Router) -> None:
    info = turn_info(turn_context)
    t = info.t
    admin_only = (isinstance(entry, FaqEntry) and entry.topic in ("troubleshooting-portal",)) or (
        isinstance(entry, FaqEntry) and getattr(entry, "audience", "") == "admin")
    is_agent = bool(info.caller and router.services.authz and await router.services.authz.is_agent(info.caller))
    if admin_only and not is_agent:
        await _send(turn_context, cards.notice_card(
            t("That's for your IT team"),
            t("No: this is done in the Intune admin center by helpdesk agents or administrators with an Intune "
              "role. Ask the helpdesk and they will do it for you."),
            actions=[cards.ask_helpdesk_action(t)]))
        return
    if is_agent and not isinstance(entry, FaqEntry):
        # An agent asking "how do I fix it?" gets what IT does, not the end user's steps.
        await send_entry(turn_context, entry, router.services)
        return
    await _explain(turn_context, entry, router.services.kb)


async def _other(turn_context: TurnContext, intent: Intent, router: Router) -> None:
    """"and her iPhone?": the last action again, for another device or user."""
    info = turn_info(turn_context)
    target = intent.target or ""
    action = info.subject.action
    if action == "who_synced":
        resolved = resolve_device_reference(info, target)
        if resolved is None:
            await turn_context.send_activity(info.t("Whose device? Tell me the user's name or email address."))
            return
        await router.troubleshoot.who_synced(turn_context, resolved)
    elif action == "sync":
        await router.start_sync(turn_context, target)
    elif action == "troubleshoot":
        await router.troubleshoot.run(turn_context, target)
    elif action in router._by_intent and hasattr(router._by_intent[action], "on_intent"):
        await router._by_intent[action].on_intent(turn_context, Intent(action, target))
    else:
        await answer_lookup(turn_context, router.services)


async def _send(turn_context: TurnContext, card: dict[str, Any]) -> None:
    await turn_context.send_activity(MessageFactory.attachment(cards.attachment(card)))
