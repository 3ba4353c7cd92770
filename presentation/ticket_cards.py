"""Ticket cards: the helpdesk channel's card (per viewer, with Universal Actions), the summary the requester
confirms, the lists, and the requester's notifications. Rendering only: who may do what is decided by the flow
and the ticket service; a button shown here is re-checked on the server when clicked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from intune.tickets import Ticket, TicketDevice, TicketDraft, TicketEvent, TicketState
from presentation.cards import clip, execute, render, submit
from presentation.i18n import Translator

__all__ = [
    "chat_link",
    "describe_card",
    "my_tickets_card",
    "open_tickets_card",
    "state_label",
    "ticket_card",
    "ticket_notice",
    "ticket_summary_card",
]

_STATE_COLORS = {TicketState.OPEN: "Attention", TicketState.ASSIGNED: "Accent", TicketState.RESOLVED: "Good"}


def state_label(t: Translator, state: TicketState) -> str:
    return {TicketState.OPEN: t("Open"), TicketState.ASSIGNED: t("Assigned"),
            TicketState.RESOLVED: t("Resolved")}[state]


def _compliance(t: Translator, state: str) -> str:
    labels = {
        "compliant": t("compliant"), "noncompliant": t("not compliant"), "inGracePeriod": t("in grace period"),
        "conflict": t("conflict"), "error": t("compliance error"), "configManager": t("managed by Configuration Manager"),
    }
    return labels.get(state, t("compliance unknown"))


def device_text(t: Translator, device: TicketDevice) -> str:
    line = t("{name} — {os}, {compliance}, last check-in {when}", name=device.name, os=device.os or "?",
             compliance=_compliance(t, device.compliance), when=t.relative(device.last_sync))
    if device.pending:
        line += " — " + t("pending: {actions}", actions=", ".join(device.pending))
    return line


def event_text(t: Translator, event: TicketEvent) -> str:
    who = event.actor.label
    when = t.datetime(event.at)
    if event.event == "created":
        text = t("{when}: opened by {who}", when=when, who=who)
    elif event.event == "assigned":
        text = t("{when}: taken by {who}", when=when, who=who)
    elif event.event == "resolved":
        text = t("{when}: resolved by {who}", when=when, who=who)
        if event.note:
            text += " — " + event.note
    elif event.event == "reopened":
        text = t("{when}: reopened by {who}", when=when, who=who)
    else:
        text = f"{when}: {event.event} ({who})"
    return text


def chat_link(upn: str) -> str:
    """A Teams deep link that opens a 1:1 chat with that user."""
    return "https://teams.microsoft.com/l/chat/0/0?users=" + quote(upn, safe="@")


def _ref(ticket: Ticket) -> dict[str, str]:
    return {"ticket": str(ticket.number), "rev": str(ticket.revision)}


def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def ticket_card(ticket: Ticket, t: Translator, *, agent: bool = True, viewer_id: str | None = None,
                note: str = "") -> dict[str, Any]:
    """The ticket as the helpdesk sees it, with the buttons that apply to this viewer.

    ``agent``: the viewer is a helpdesk agent (the card posted to the channel is the agents' view);
    ``viewer_id``: who is looking (the requester sees Reopen on a resolved ticket, nothing else);
    ``note``: a line about what just happened ("Already taken by Hélène").
    """
    requester = ticket.requester
    facts = [
        {"title": t("State"), "value": state_label(t, ticket.state)},
        {"title": t("Assigned to"), "value": ticket.assignee.label if ticket.assignee else t("nobody yet")},
        {"title": t("Requester"), "value": f"{requester.name} ({requester.upn})" if requester.name and requester.upn
         else requester.label},
        {"title": t("Language"), "value": "Français" if ticket.lang == "fr" else "English"},
        {"title": t("Opened"), "value": t.datetime(ticket.created)},
    ]
    if ticket.opened_by is not None:
        facts.append({"title": t("Opened by"), "value": ticket.opened_by.label})
    if ticket.codes:
        facts.append({"title": t("Codes"), "value": ", ".join(ticket.codes)})
    context: list[dict[str, Any]] = []
    if ticket.answers:
        context.append(_text(t("Bot's last answers"), weight="Bolder"))
        context.extend(_text("• " + clip(a)[:300]) for a in ticket.answers)
    context.append(_text(t("Devices"), weight="Bolder"))
    if ticket.devices:
        context.extend(_text("• " + device_text(t, d)) for d in ticket.devices)
    else:
        context.append(_text(t("No managed device found for this user."), isSubtle=True))
    actions: list[dict[str, Any]] = []
    inputs: list[dict[str, Any]] = []
    is_requester = bool(viewer_id) and viewer_id.lower() == requester.aad_object_id.lower()  # type: ignore[union-attr]
    if agent:
        if ticket.state is TicketState.OPEN:
            actions.append(execute(t("Assign to me"), "ticket_assign", {"action": "ticket_assign", **_ref(ticket)},
                                   style="positive"))
        if ticket.state is not TicketState.RESOLVED:
            inputs.append({"type": "Input.Text", "id": "note", "isMultiline": True, "maxLength": 1000,
                           "placeholder": t("Resolution note for the requester (optional)")})
            actions.append(execute(t("Resolve"), "ticket_resolve", {"action": "ticket_resolve", **_ref(ticket)}))
        else:
            actions.append(execute(t("Reopen"), "ticket_reopen", {"action": "ticket_reopen", **_ref(ticket)}))
        if requester.upn:
            actions.append({"type": "Action.OpenUrl", "title": t("Chat with {user}", user=requester.name or
                                                                  requester.upn), "url": chat_link(requester.upn)})
    elif is_requester and ticket.state is TicketState.RESOLVED:
        actions.append(execute(t("Reopen"), "ticket_reopen", {"action": "ticket_reopen", **_ref(ticket)}))
    card = render(
        "ticket",
        refresh={"action": {"type": "Action.Execute", "title": t("Refresh"), "verb": "ticket_refresh",
                            "data": {"action": "ticket_refresh", "ticket": str(ticket.number)}}},
        kicker=t("Ticket #{number} — {state}", number=ticket.number, state=state_label(t, ticket.state)),
        color=_STATE_COLORS[ticket.state],
        title=t("{name} needs help", name=requester.label),
        facts=facts,
        description_heading=t("Request"),
        description=clip(ticket.description) or t("(no description)"),
        context=context,
        history_heading=t("History"),
        history=[_text(event_text(t, e), size="Small") for e in ticket.history],
        note=note,
        inputs=inputs,
        actions=actions,
    )
    return card


def ticket_summary_card(draft: TicketDraft, t: Translator, *, channel: bool) -> dict[str, Any]:
    """What will be sent, for the requester to confirm once."""
    facts = [{"title": t("Requester"), "value": draft.requester.label}]
    if draft.opened_by is not None:
        facts.append({"title": t("Opened by"), "value": draft.opened_by.label})
    if draft.codes:
        facts.append({"title": t("Codes"), "value": ", ".join(draft.codes)})
    if draft.devices:
        facts.append({"title": t("Devices"), "value": ", ".join(d.name for d in draft.devices)})
    note = (t("The helpdesk will see this request, the codes, and the name and state of your devices. I'll tell "
              "you here when someone takes it.") if channel else
            t("The helpdesk will see this request, the codes, and the name and state of your devices."))
    card = render(
        "ticket_summary",
        kicker=t("New request for the helpdesk"),
        title=t("Send this to the helpdesk?"),
        description=clip(draft.description),
        facts=facts,
        note=note,
        actions=[submit(t("Send to the helpdesk"), {"action": "ticket_confirm"}),
                 submit(t("Cancel"), {"action": "ticket_cancel"})],
    )
    card["body"].append({"type": "Input.Text", "id": "details", "isMultiline": True, "maxLength": 2000,
                         "placeholder": t("Add details (optional)")})
    return card


def describe_card(t: Translator) -> dict[str, Any]:
    """Asks for a short description with a box to type it in (works in any chat, answered by its button)."""
    card = render("message", title=t("New request for the helpdesk"), color="Default", facts=[],
                  body=t("In a sentence or two, what's the problem? I'll send it to the helpdesk."),
                  actions=[submit(t("Continue"), {"action": "ticket_describe"}),
                           submit(t("Cancel"), {"action": "ticket_cancel"})])
    card["body"].append({"type": "Input.Text", "id": "description", "isMultiline": True, "maxLength": 2000,
                         "placeholder": t("Which device, what you see, since when")})
    return card


def _line(t: Translator, ticket: Ticket, *, with_requester: bool) -> str:
    state = state_label(t, ticket.state)
    if ticket.state is TicketState.ASSIGNED and ticket.assignee:
        state = t("taken by {who}", who=ticket.assignee.label)
    summary = " ".join(ticket.description.split())
    summary = summary if len(summary) <= 70 else summary[:69] + "…"
    who = f"{ticket.requester.label} — " if with_requester else ""
    return f"**#{ticket.number}** {who}{state} — {summary} ({t.relative(ticket.created)})"


def my_tickets_card(tickets: list[Ticket], t: Translator) -> dict[str, Any]:
    """The requester's tickets with their states (newest first); a button opens each."""
    if not tickets:
        return render("message", title=t("Your tickets"), color="Default", facts=[], actions=[],
                      body=t("You have no tickets with the helpdesk. Type \"talk to someone\" to open one."))
    items = [_text(_line(t, x, with_requester=False)) for x in tickets[:10]]
    actions = [submit(t("Ticket #{number}", number=x.number), {"action": "ticket_show", "ticket": str(x.number)})
               for x in tickets[:5]]
    return render("choices", title=t("Your tickets"), hint=t("Open one for its details and history."),
                  items=items, actions=actions)


def open_tickets_card(tickets: list[Ticket], t: Translator) -> dict[str, Any]:
    """Tickets waiting or in progress, for agents (oldest first)."""
    if not tickets:
        return render("message", title=t("Open tickets"), color="Good", facts=[], actions=[],
                      body=t("No open tickets. Nice."))
    items = [_text(_line(t, x, with_requester=True)) for x in tickets[:15]]
    actions = [submit(t("#{number} {name}", number=x.number, name=x.requester.label)[:40],
                      {"action": "ticket_show", "ticket": str(x.number)}) for x in tickets[:6]]
    hint = t.plural("{n} ticket is waiting or in progress.", "{n} tickets are waiting or in progress.", len(tickets))
    return render("choices", title=t("Open tickets"), hint=hint, items=items, actions=actions)


def ticket_notice(ticket: Ticket, t: Translator, event: str, *, by: str = "") -> dict[str, Any]:
    """What the requester is told, in their chat with the bot, when their ticket moves."""
    number = ticket.number
    actions: list[dict[str, Any]] = []
    if event == "created":
        title = t("Ticket #{number} sent to the helpdesk", number=number)
        body = t("I'll tell you here when someone takes it. Type \"my tickets\" to see where it stands.")
    elif event == "assigned":
        title = t("{who} is taking care of your ticket #{number}", who=by, number=number)
        body = t("They may contact you in Teams.")
    elif event == "resolved":
        title = t("Your ticket #{number} was resolved by {who}", number=number, who=by)
        note = ticket.resolution_note
        body = (t("Their note: {note}", note=note) + "\n\n" if note else "") + t(
            "Still not working? Reopen it and the helpdesk will look again.")
        actions.append(execute(t("Reopen the ticket"), "ticket_reopen",
                               {"action": "ticket_reopen", **_ref(ticket)}))
    else:
        title = t("Your ticket #{number} is open again", number=number)
        body = (t("{who} is on it again.", who=ticket.assignee.label) if ticket.assignee
                else t("The helpdesk will look at it again."))
    return render("message", title=title, color="Good" if event == "resolved" else "Default", body=body,
                  facts=[], actions=actions)
