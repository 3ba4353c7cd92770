"""Adaptive Cards (1.5, what Teams renders) built from the JSON templates in presentation/cards/.

One renderer fills ``${name}`` placeholders: a string that is exactly ``${name}`` takes any JSON
value (lists of facts or actions), a placeholder inside a longer string takes text. Every word a
user reads comes from the gettext catalogs through the Translator passed in.
"""

from __future__ import annotations

import json
import re
import weakref
from functools import cache
from importlib import resources
from typing import Any

from botbuilder.core import CardFactory
from botbuilder.schema import Attachment

from knowledge import KnowledgeBase
from knowledge.answers import explanation
from knowledge.models import EnrollmentEntry, Entry, ErrorEntry, FaqEntry
from presentation.i18n import Translator

_PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")
MAX_TEXT = 3500  # keep each card well under Teams' ~28 KB message limit


class CardError(ValueError):
    """A template was rendered with a placeholder left unfilled."""


@cache
def _template(name: str) -> dict[str, Any]:
    text = (resources.files("presentation") / "cards" / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


# A template compiled once into nodes, so a reply does not scan every string for placeholders.
# ``_Value``: a string that is exactly ``${name}``; ``_Text``: a string with placeholders inside.
class _Value(str):
    pass


class _Text(tuple):  # type: ignore[type-arg]
    """Literal parts and placeholder names, alternating (even: literal, odd: name)."""


def _compile(node: Any) -> Any:
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole:
            return _Value(whole.group(1))
        parts = _PLACEHOLDER.split(node)
        return _Text(parts) if len(parts) > 1 else node
    if isinstance(node, list):
        return [_compile(x) for x in node]
    if isinstance(node, dict):
        return {k: _compile(v) for k, v in node.items()}
    return node


@cache
def _compiled(name: str) -> dict[str, Any]:
    return _compile(_template(name))


def render(name: str, **values: Any) -> dict[str, Any]:
    """Fill a template; empty TextBlocks and FactSets are dropped so cards stay tidy.

    Values are placed as given, not copied: pass objects built for this card.
    """

    def value(key: str) -> Any:
        if key not in values:
            raise CardError(f"{name}: no value for {key}")
        return values[key]

    def fill(node: Any) -> Any:
        kind = type(node)
        if kind is dict:
            return {k: fill(v) for k, v in node.items()}
        if kind is list:
            out = [fill(x) for x in node]
            return [x for x in out if not _empty_block(x)]
        if kind is _Value:
            return value(node)
        if kind is _Text:
            return "".join(part if i % 2 == 0 else str(value(part)) for i, part in enumerate(node))
        return node

    card = fill(_compiled(name))
    if not card.get("actions"):
        card.pop("actions", None)
    return card


def _empty_block(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if node.get("type") == "TextBlock":
        return not str(node.get("text", "")).strip()
    if node.get("type") == "FactSet":
        return not node.get("facts")
    if node.get("type") == "Container":
        return not node.get("items")
    return False


class SharedCardAttachment(Attachment):
    """An Adaptive Card attachment whose content is shared, not copied, when the SDK deep-copies the
    outgoing activity (TurnContext.send_activities): a rendered card is never changed afterwards, and
    copying it cost ~0.5 ms per reply. The content stays a plain dict, so serialization is unchanged."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedCardAttachment:
        return SharedCardAttachment(content_type=self.content_type, content=self.content, name=self.name,
                                    content_url=self.content_url, thumbnail_url=self.thumbnail_url)


def attachment(card: dict[str, Any]) -> Attachment:
    return SharedCardAttachment(content_type=CardFactory.content_types.adaptive_card, content=card)


def clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _collapse(text: str) -> str:
    """Runs of ordinary white space as one space; the typography's no-break spaces stay."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


BUTTON_MAX = 60  # characters; Teams shows about this much of a button title in a narrow pane


def button_title(text: str, limit: int = BUTTON_MAX) -> str:
    """A button title of at most ``limit`` characters: a longer one is cut at a word boundary and ends
    with "…" (docs/style-guide.md). Every button of every card goes through it (``submit``, ``execute``)."""
    text = _collapse(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.!?\u00a0\u202f—-") + "…"


TITLE_MAX = 90  # characters; a longer official message is shown whole under a short title
FAQ_TITLE_MAX = 160  # a FAQ's title is its question, kept whole


def card_title(text: str, limit: int = TITLE_MAX) -> tuple[str, str]:
    """A card title in sentence case, with no final period, of at most ``limit`` characters, and the
    full text when the title had to be shortened (shown in the card's body), else "".

    A long message keeps its first sentence when that is short enough, else it is cut at a word boundary
    with "…" (docs/style-guide.md)."""
    full = _collapse(text)
    title = full
    if len(title) > limit:
        first = re.split(r"(?<=[.!?])\s", title, maxsplit=1)[0]
        title = first if len(first) <= limit else button_title(title, limit)
    if title.endswith(".") and not title.endswith("..."):
        title = title[:-1].rstrip()
    title = title[:1].upper() + title[1:]
    shortened = title.rstrip("…").rstrip().casefold() != full.rstrip(".").rstrip().casefold()
    return title, (full if shortened else "")


def submit(title: str, data: dict[str, Any], *, limit: int = BUTTON_MAX) -> dict[str, Any]:
    """A button whose click comes back as a message with ``value`` (and, in Teams, as text)."""
    return {"type": "Action.Submit", "title": button_title(title, limit), "data": data}


def execute(title: str, verb: str, data: dict[str, Any], style: str | None = None) -> dict[str, Any]:
    """A Universal Action: Teams sends an ``adaptiveCard/action`` invoke and can replace the card."""
    action: dict[str, Any] = {"type": "Action.Execute", "title": button_title(title), "verb": verb, "data": data}
    if style:
        action["style"] = style
    return action


def feedback_actions(t: Translator, answer_ref: str) -> list[dict[str, Any]]:
    return [
        submit("👍 " + t("Helpful"), {"action": "feedback", "reaction": "like", "answer": answer_ref}),
        submit("👎 " + t("Not helpful"), {"action": "feedback", "reaction": "dislike", "answer": answer_ref}),
    ]


def answer_ref(entry: Entry) -> str:
    return f"{entry.kind}:{entry.id}"


def source_and_feedback(entry: Entry, t: Translator) -> list[dict[str, Any]]:
    """The buttons every answer ends with: its official page, then thumbs up / down."""
    actions: list[dict[str, Any]] = []
    if entry.doc:
        actions.append({"type": "Action.OpenUrl", "title": button_title(t("Official documentation")), "url": entry.doc})
    return actions + feedback_actions(t, answer_ref(entry))


def subcode_label(subcode: str) -> str:
    """The detail code as the protocol spells it: "Syncml(404)" in the docs is SyncML(404)."""
    return re.sub(r"(?i)^syncml", "SyncML", subcode)


# -- answers --------------------------------------------------------------------------------


USER = "user"
AGENT = "agent"
AUDIENCES = (USER, AGENT)
"""Who reads an answer: an end user gets what they can do themselves; a helpdesk agent the admin steps, and the
user's steps too where the data has them (issue 14: answers for who is asking)."""


def user_steps(entry: Entry, kb: KnowledgeBase, lang: str) -> str | None:
    """What an end user can do themselves about ``entry``; ``None`` where the docs give only admin steps.

    Reads the knowledge data's end-user texts: an error's own ``user_what_to_do``, else its family's
    ``user_advice``; an enrollment failure's ``user_remediation``; a FAQ entry's ``user_answer``, or its answer
    when the entry is not written for admins only.
    """
    if isinstance(entry, ErrorEntry):
        own = getattr(entry.texts[lang], "user_what_to_do", None)
        if own:
            return str(own)
        family = kb.family(entry.family, lang)
        advice = getattr(family, "user_advice", None) if family else None
        return str(advice) if advice else None
    if isinstance(entry, EnrollmentEntry):
        remediation = getattr(entry.texts[lang], "user_remediation", None)
        return str(remediation) if remediation else None
    if isinstance(entry, FaqEntry):
        answer = getattr(entry.texts[lang], "user_answer", None)
        if answer:
            return str(answer)
        return None if getattr(entry, "audience", "both") == "admin" else entry.texts[lang].answer
    return None


def it_team_text(t: Translator) -> str:
    """For an end user, where only the admin center can fix it."""
    return t("Your IT team needs to do this: it is fixed in the Intune admin center, not on your device. Ask the "
             "helpdesk and mention what you saw here.")


def error_card(entry: ErrorEntry, kb: KnowledgeBase, t: Translator, *, can_sync: bool,
               audience: str = AGENT) -> dict[str, Any]:
    lang = t.lang
    facts = []
    if entry.code is not None:
        facts.append({"title": t("Code"), "value": str(entry.code)})
    if entry.hex:
        facts.append({"title": t("Hex"), "value": entry.hex})
    if entry.subcode:
        facts.append({"title": t("Detail code"), "value": subcode_label(entry.subcode)})
    if entry.symbol:
        facts.append({"title": t("Status"), "value": entry.symbol})
    if entry.http_status:
        facts.append({"title": t("HTTP status"), "value": str(entry.http_status)})
    family = kb.family(entry.family, lang)
    if family:
        facts.append({"title": t("Type"), "value": t.prose(family.title)})
    if entry.retryable is not None:
        facts.append({"title": t("Does retrying help?"),
                      "value": t("Yes: sync the device and try again") if entry.retryable
                      else t("No: the app becomes available again after seven days")})
    actions = []
    if can_sync:
        actions.append(submit(t("Sync my device"), {"action": "sync_start"}))
    steps = user_steps(entry, kb, lang)
    if audience == USER:
        if steps is None:
            actions.append(ask_helpdesk_action(t))
        heading, body, note = t("What to do"), steps or it_team_text(t), ""
        if steps is not None:
            note = t("Still failing? Ask the helpdesk: they can see more in the Intune admin center.")
    else:
        heading, body = t("What to do"), explanation(entry, lang, kb)
        note = t("What the user can do: {steps}", steps=steps) if steps else ""
    actions += source_and_feedback(entry, t)
    title, message = card_title(t.prose(entry.texts[lang].message))
    return render(
        "answer",
        kicker=t("Intune error"),
        title=title,
        message=clip(message),
        facts=facts,
        body_heading=heading,
        body=clip(t.prose(body)),
        note=clip(t.prose(note)),
        actions=actions,
    )


def enrollment_card(entry: EnrollmentEntry, kb: KnowledgeBase, t: Translator,
                    audience: str = AGENT) -> dict[str, Any]:
    text = entry.texts[t.lang]
    actions: list[dict[str, Any]] = []
    steps = user_steps(entry, kb, t.lang)
    if audience == USER:
        # Enrollment failures mostly need IT: the helpdesk button is always there for end users.
        actions.append(ask_helpdesk_action(t))
        what = t("**What you can do:** {remediation}", remediation=steps) if steps else it_team_text(t)
    else:
        what = t("**What to do:** {remediation}", remediation=text.remediation)
        if steps:
            what += "\n\n" + t("**What the user can do:** {remediation}", remediation=steps)
    actions += source_and_feedback(entry, t)
    return render(
        "answer",
        kicker=t("Enrollment failure"),
        title=card_title(t.prose(text.name))[0],
        message="",
        facts=[],
        body_heading=t("What it means"),
        body=clip(t.prose(text.details) + "\n\n" + t.prose(what)),
        note="",
        actions=actions,
    )


def faq_card(entry: FaqEntry, kb: KnowledgeBase, t: Translator, audience: str = AGENT) -> dict[str, Any]:
    text = entry.texts[t.lang]
    body = text.answer
    actions: list[dict[str, Any]] = []
    if audience == USER:
        steps = user_steps(entry, kb, t.lang)
        if steps is None:
            body = it_team_text(t)
            actions.append(ask_helpdesk_action(t))
        else:
            body = steps
    for rid in entry.related[:3]:
        related = kb.faq.get(rid)
        if related:
            actions.append(submit(t.prose(related.texts[t.lang].question), {"action": "show", "kind": "faq", "id": rid}))
    actions += source_and_feedback(entry, t)
    return render(
        "answer",
        kicker=t("Troubleshooting FAQ"),
        title=card_title(t.prose(text.question), FAQ_TITLE_MAX)[0],
        message="",
        facts=[],
        body_heading="",
        body=clip(t.prose(body)),
        note=t("Related questions are below.") if entry.related else "",
        actions=actions,
    )


def entry_card(entry: Entry, kb: KnowledgeBase, t: Translator, *, can_sync: bool = False,
               audience: str = AGENT) -> dict[str, Any]:
    """The answer card for one entry, rendered once per language, sync button and audience (``USER``: what the
    user can do; ``AGENT``: the admin steps, and the user's).

    An entry's card depends on nothing else, and the knowledge base does not change while the bot
    runs, so each answer is rendered once (~25 µs a reply). Like every card, it is never changed
    after rendering (SharedCardAttachment relies on that too).
    """
    audience = audience if audience in AUDIENCES else AGENT
    key = (id(kb), entry.kind, entry.id, t.lang, can_sync, audience)
    cached = _entry_cards.get(key)
    if cached is not None and cached[0]() is kb and cached[1] is entry:
        return cached[2]
    if isinstance(entry, ErrorEntry):
        card = error_card(entry, kb, t, can_sync=can_sync, audience=audience)
    elif isinstance(entry, EnrollmentEntry):
        card = enrollment_card(entry, kb, t, audience)
    else:
        card = faq_card(entry, kb, t, audience)
    if len(_entry_cards) >= _ENTRY_CARDS_MAX:  # only reached when knowledge bases come and go (tests)
        _entry_cards.clear()
    _entry_cards[key] = (weakref.ref(kb), entry, card)
    return card


# (knowledge base's id, kind, id, language, sync button, audience) -> (the knowledge base, the entry, the card).
_entry_cards: dict[tuple[int, str, str, str, bool, str],
                   tuple[weakref.ref[KnowledgeBase], Entry, dict[str, Any]]] = {}
_ENTRY_CARDS_MAX = 8192


def _about(entry: Entry, kb: KnowledgeBase | None, t: Translator) -> str:
    """What an entry is about, in a few words: its family for an error, else its kind."""
    if isinstance(entry, ErrorEntry):
        family = kb.family(entry.family, t.lang) if kb is not None else None
        return t.prose(family.title) if family else t("Intune error")
    if isinstance(entry, EnrollmentEntry):
        return t("Enrollment failure")
    return t("Troubleshooting FAQ")


def _code_label(entry: Entry) -> str:
    if isinstance(entry, ErrorEntry):
        if entry.hex:
            return entry.hex
        if entry.code is not None:
            return str(entry.code)
        return entry.symbol or entry.subcode or ""
    return ""


LABEL_MAX = BUTTON_MAX - 4  # a suggestion's label, room left for its number ("3. ")


def distinct_labels(entries: list[Entry], t: Translator, kb: KnowledgeBase | None = None,
                    limit: int = LABEL_MAX) -> list[tuple[Entry, str]]:
    """Each entry with a label (title, shortened to ``limit``) no other entry in the list shows: entries whose
    titles are the same are told apart by their code, else by their family, the title being shortened further
    so the detail always shows; an entry that still looks the same is left out."""
    titles = [card_title(t.prose(e.title(t.lang)))[0] for e in entries]
    details = [""] * len(entries)

    def label(i: int) -> str:
        suffix = f" ({details[i]})" if details[i] else ""
        return button_title(titles[i], max(limit - len(suffix), limit // 3)) + suffix

    def clashing() -> list[list[int]]:
        seen: dict[str, list[int]] = {}
        for i in range(len(entries)):
            seen.setdefault(label(i).casefold(), []).append(i)
        return [group for group in seen.values() if len(group) > 1]

    for group in clashing():  # first the code: 0x87D1791B, 0x87D17531...
        for i in group:
            details[i] = _code_label(entries[i]) or details[i]
    for group in clashing():  # then the family, by the words that differ: « Android », « iOS »
        abouts = [_about(entries[i], kb, t) for i in group]
        common = set.intersection(*(set(a.split()) for a in abouts))
        for i, about in zip(group, abouts, strict=True):
            differing = " ".join(w for w in about.split() if w not in common)
            details[i] = button_title(differing or about, limit // 2)
    out: list[tuple[Entry, str]] = []
    shown: set[str] = set()
    for i, entry in enumerate(entries):
        text = label(i)
        if text.casefold() not in shown:
            shown.add(text.casefold())
            out.append((entry, text))
    return out


def compact_list_card(entries: list[Entry], t: Translator, *, shared_message: bool = False,
                      kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """Several codes at once: one line each, a button to open each. ``shared_message``: the user pasted
    one message that the docs give under several codes, rather than several codes."""
    items = [
        {"type": "TextBlock", "wrap": True,
         "text": f"**{getattr(e, 'code', '') or ''}** {getattr(e, 'hex', '') or ''} — "
                 f"{card_title(t.prose(e.title(t.lang)))[0]}".strip()}
        for e in entries
    ]
    buttons = distinct_labels(entries, t, kb)
    codes = [str(getattr(e, "code", None) or "") for e, _ in buttons]
    unique_codes = all(codes) and len(set(codes)) == len(codes)
    actions = [submit(code if unique_codes else label, {"action": "show", "kind": e.kind, "id": e.id})
               for (e, label), code in list(zip(buttons, codes, strict=True))[:6]]
    n = len(entries)
    title = (t.plural("This message belongs to {n} Intune code", "This message belongs to {n} Intune codes", n)
             if shared_message else t.plural("I found {n} code in your message", "I found {n} codes in your message", n))
    return render("choices", title=title,
                  hint=t("Open one for the details."), items=items, actions=actions)


def ask_helpdesk_action(t: Translator) -> dict[str, Any]:
    """The one "Ask the helpdesk" button every dead end offers (a ticket with what the conversation holds)."""
    return submit(t("Ask the helpdesk"), {"action": "ticket_start"})


def dead_end_actions(t: Translator) -> list[dict[str, Any]]:
    """Where the bot has no answer: a person, or what the bot can do."""
    return [ask_helpdesk_action(t), submit(t("What can you do?"), {"action": "help"})]


def unknown_code_card(codes: list[str], t: Translator) -> dict[str, Any]:
    return render(
        "message",
        title=t("I don't know this code"),
        color="Warning",
        body=t("{codes} is not in the Intune error catalogue I know, so I won't guess. Check that you "
               "copied the whole code, paste the full error message instead, or ask the helpdesk: a person "
               "will look at it.",
               codes=", ".join(codes)),
        facts=[],
        actions=[ask_helpdesk_action(t)],
    )


def did_you_mean_card(entries: list[Entry], t: Translator, kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """The best few guesses, each with what it is about (its family or kind), no title shown twice."""
    shown = distinct_labels(entries, t, kb)
    items: list[dict[str, Any]] = []
    for i, (e, label) in enumerate(shown, start=1):
        items.append({"type": "TextBlock", "wrap": True, "text": f"{i}. {label}"})
        items.append({"type": "TextBlock", "wrap": True, "isSubtle": True, "size": "Small", "spacing": "None",
                      "text": _about(e, kb, t)})
    actions = [submit(f"{i}. {label}", {"action": "show", "kind": e.kind, "id": e.id})
               for i, (e, label) in enumerate(shown, start=1)]
    actions.append(submit(t("None of these"), {"action": "none"}))
    return render("choices", title=t("Did you mean…"), hint=t("Pick one, or type its number."),
                  items=items, actions=actions)


def help_card(t: Translator, *, welcome: bool = False) -> dict[str, Any]:
    examples = [
        t("Paste an error code: 0x87D1FDE8, -2016281112 or SyncML(404)"),
        t("Paste an error message, even with typos: \"Profile not managed\""),
        t("Ask a question: \"why is wipe greyed out on Android?\""),
        t("\"sync my device\" to sync your phone or PC with Intune"),
        t("Helpdesk agents: \"sync DESKTOP-42\", \"troubleshoot alice@contoso.com\", \"who synced DESKTOP-42?\""),
        t("\"français\" or \"English\" to change language"),
    ]
    items = [{"type": "TextBlock", "wrap": True, "text": "• " + e} for e in examples]
    other = ("en", "English") if t.lang == "fr" else ("fr", "Français")
    actions = [
        submit(t("Sync my device"), {"action": "sync_start"}),
        submit(other[1], {"action": "language", "lang": other[0]}),
    ]
    return render(
        "help",
        title=t("Hi, I'm the Intune helpdesk bot") if welcome else t("What I can do"),
        intro=t("I explain Intune error codes and messages, answer common device questions, and can "
                "sync your device with Intune after you confirm."),
        examples_heading=t("Try:"),
        examples=items,
        footer=t("I answer in English or French. Nothing is done to a device without your confirmation."),
        actions=actions,
    )


def notice_card(title: str, body: str, *, color: str = "Default",
                facts: list[dict[str, str]] | None = None,
                actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return render("message", title=title, color=color, body=body, facts=facts or [], actions=actions or [])

