"""Never a dead end: a person can ask for the helpdesk at any time and get a ticket in the helpdesk's Teams channel.

The flow gathers what the conversation already holds (the question the bot could not answer, the codes, the
device in play, the requester's devices from Graph), asks for a short description only when it has nothing, shows a
summary, and creates the ticket after one confirmation. The ticket's card goes to the helpdesk channel as a new
thread; agents act on it with Universal Actions (Assign to me, Resolve, Reopen); the card is updated in place and the
requester is told each step in their 1:1 chat, in their language. Ticket content never goes to other group chats.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from dialogs.context import Subject
from dialogs.messenger import Messenger, reference_of
from dialogs.services import Services
from dialogs.ticket_intents import description_of, is_confirmation
from dialogs.turn import turn_info
from dialogs.understanding.text import fold_keep
from intune.authorization import Reason
from intune.errors import GraphError
from intune.models import Caller
from intune.targets import resolve_users
from intune.tickets import (
    HelpdeskChannel,
    Person,
    Ticket,
    TicketDraft,
    TicketError,
    TicketOutcome,
    TicketResult,
    TicketService,
    parse_number,
)
from knowledge import to_hex
from presentation import cards
from presentation.i18n import Translator
from presentation.ticket_cards import (
    describe_card,
    my_tickets_card,
    open_tickets_card,
    ticket_card,
    ticket_notice,
    ticket_summary_card,
)

log = logging.getLogger(__name__)

PENDING_FLOW = "tickets"


def _card(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(cards.attachment(card))


def _is_invoke(turn_context: TurnContext) -> bool:
    return turn_context.activity.type == ActivityTypes.invoke


class TicketFlow:
    """Escalation to the helpdesk: the requester's side (ask, confirm, follow) and the agents' (list, act)."""

    name = "tickets"
    intents = frozenset({"handoff", "helpdesk_contact", "my_tickets", "open_tickets", "ticket_show",
                         "ticket_channel", "ticket_assign", "ticket_resolve", "ticket_reopen"})
    actions = frozenset({"ticket_start", "ticket_describe", "ticket_confirm", "ticket_cancel", "ticket_assign",
                         "ticket_resolve", "ticket_reopen", "ticket_refresh", "ticket_show"})

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def messenger(self) -> Messenger:
        assert self.services.messenger is not None, "the hosting layer sets services.messenger"
        return self.services.messenger

    @property
    def tickets(self) -> TicketService:
        assert self.services.tickets is not None
        return self.services.tickets

    # ------------------------------------------------------------------------------------------- entry points

    async def on_intent(self, turn_context: TurnContext, intent: Any) -> None:
        name = intent.name
        target = getattr(intent, "target", None) or None
        slots = dict(getattr(intent, "slots", None) or {})
        caller = await self._caller(turn_context)
        if caller is None:
            return
        if name == "handoff":
            text = turn_info(turn_context).text
            await self.start(turn_context, caller, description=description_of(text, target), for_user=target)
        elif name == "helpdesk_contact":
            await self.start(turn_context, caller, contact_only=True)
        elif name == "my_tickets":
            await self.my_tickets(turn_context, caller)
        elif name == "open_tickets":
            await self.open_tickets(turn_context, caller)
        elif name == "ticket_show":
            await self.show(turn_context, caller, parse_number(slots.get("number") or target or ""))
        elif name == "ticket_channel":
            await self.set_channel(turn_context, caller)
        elif name in ("ticket_assign", "ticket_resolve", "ticket_reopen"):  # typed by an agent (or a reopen)
            note = _original(turn_info(turn_context).text, slots.get("note", ""))
            await self.act(turn_context, caller, name, parse_number(slots.get("number", "")), None, note)

    async def on_action(self, turn_context: TurnContext, data: dict[str, str]) -> dict[str, Any] | None:
        """A ticket button; card data is only a hint (ticket number, revision): everything is re-checked."""
        action = data.get("action", "")
        caller = await self._caller(turn_context)
        if caller is None:
            return None
        if action == "ticket_start":
            await self.start(turn_context, caller)
            return None
        if action == "ticket_describe":  # the description typed into the card (a chat where we could not ask)
            await self.describe(turn_context, caller, data.get("description", ""))
            return None
        if action == "ticket_confirm":
            await self.confirm(turn_context, caller, details=data.get("details", ""))
            return None
        if action == "ticket_cancel":
            await self.cancel(turn_context, caller)
            return None
        number = parse_number(data.get("ticket", ""))
        if action == "ticket_show":
            await self.show(turn_context, caller, number)
            return None
        revision = parse_number(data.get("rev", ""))
        return await self.act(turn_context, caller, action, number, revision, data.get("note", ""))

    async def on_pending(self, turn_context: TurnContext, pending: dict[str, Any]) -> bool:
        """The requester answered our question: the description, or yes/no to the summary."""
        info = turn_info(turn_context)
        caller = info.caller
        if caller is None or self.services.tickets is None:
            return False
        step = pending.get("step")
        text = info.text.strip()
        if step == "describe":
            if not text or is_confirmation(text) is False:
                await self.cancel(turn_context, caller)
                return True
            if not await self.describe(turn_context, caller, text):
                self._set_pending(turn_context, None)
                return False
            return True
        if step == "confirm":
            answer = is_confirmation(text)
            if answer is None:
                if info.intent.name == "lookup" and self._adds_details(text):
                    # "Send this to the helpdesk?" answered with what happens: it belongs in the request.
                    draft = await self.tickets.peek_draft(caller)
                    if draft is not None:
                        joined = "\n".join(p for p in (draft.description, text) if p)
                        return await self.describe(turn_context, caller, joined)
                return False  # a new question: the draft stays, its button still works
            if answer:
                await self.confirm(turn_context, caller)
            else:
                await self.cancel(turn_context, caller)
            return True
        return False

    def _adds_details(self, text: str) -> bool:
        """A statement of a few words that the knowledge base does not answer: details for the pending request."""
        if "?" in text or len(text.split()) < 4 or len(text) > 1000:
            return False
        return not self.services.matcher.lookup(text).matches

    # ------------------------------------------------------------------------------------------- requester side

    async def start(self, turn_context: TurnContext, caller: Caller, *, description: str = "",
                    for_user: str | None = None, contact_only: bool = False) -> None:
        """Begin a ticket (or answer "how do I reach IT?"): gather the context, then summary or one question."""
        info = turn_info(turn_context)
        t = info.t
        if self.services.tickets is None:
            await turn_context.send_activity(self._contact_text(t) or t(
                "I can't open tickets here. Please contact your IT helpdesk directly."))
            return
        if contact_only:
            await self._contact_answer(turn_context, caller)
            return
        opened_by: Person | None = None
        requester: Person
        if for_user:
            if not await self.tickets.is_agent(caller):
                await turn_context.send_activity(t(
                    "Only helpdesk agents can open a ticket for someone else. I can open one for you: "
                    "tell me what's wrong."))
                return
            user = await self._find_user(turn_context, for_user)
            if user is None:
                return
            requester, opened_by = user, await self.tickets.requester(caller, _teams_id(turn_context))
        else:
            requester = await self.tickets.requester(caller, _teams_id(turn_context))
        subject = info.subject
        # What the conversation holds: the question the bot could not answer, the codes, the device in play
        # (not when an agent opens a ticket for someone else: their own conversation is not that person's).
        unanswered = (subject.unanswered or "").strip() if opened_by is None else ""
        parts = [p for p in (description.strip(), unanswered) if p]
        if len(parts) == 2 and parts[1].lower() in parts[0].lower():
            parts = parts[:1]
        devices = await self.tickets.devices(requester.aad_object_id)
        if opened_by is None and subject.device_name:  # the device in play first
            devices = tuple(sorted(devices, key=lambda d: d.name != subject.device_name))
            if not any(subject.device_name in p for p in parts):
                parts.append(t("Device: {name}", name=subject.device_name))
        if opened_by is None and subject.refusal and subject.turn - subject.refusal_turn <= 3:
            # "ok open a ticket then" right after I refused or warned: that is what the ticket is about.
            parts.append(t("What the bot said: {reason}", reason=subject.refusal))
        if opened_by is None and not parts and subject.last_answers:  # "that didn't help, get me a person"
            parts.append(t("The bot's answer did not help: {title}", title=subject.last_answers[-1]))
        draft = TicketDraft(
            requester=requester, tenant_id=caller.tenant_id, lang=info.lang, description="\n".join(parts),
            answers=tuple(subject.last_answers[-3:]) if opened_by is None else (),
            codes=_codes(subject) if opened_by is None else (),
            devices=devices, opened_by=opened_by,
            conversation_id=turn_context.activity.conversation.id if turn_context.activity.conversation else "",
        )
        await self.tickets.save_draft(caller, draft)
        if info.conversation_type != "personal":
            # Privacy: the request and the devices go to the requester's 1:1 chat, never into this group.
            sent = await self.messenger.to_user(turn_context, caller.aad_object_id, _card(
                ticket_summary_card(draft, t, channel=await self.tickets.channel(caller.tenant_id) is not None)
                if draft.description else describe_card(t)))
            await turn_context.send_activity(
                t("I've sent you a private message to open your ticket.") if sent else
                t("Please write to me in a 1:1 chat to open a ticket: I keep requests out of group chats."))
            return
        if not draft.description:
            self._set_pending(turn_context, {"flow": PENDING_FLOW, "step": "describe"})
            await turn_context.send_activity(t(
                "I'll open a ticket for the helpdesk. In a sentence or two, what's the problem? (Which device, "
                "what you see, since when.)"))
            return
        await self._show_summary(turn_context, caller, draft)

    async def describe(self, turn_context: TurnContext, caller: Caller, text: str) -> bool:
        """The requester's description of the problem: keep it on the draft and show the summary."""
        text = " ".join(text.split())[:2000]
        draft = await self.tickets.peek_draft(caller)
        if draft is None:
            if _is_invoke(turn_context) or turn_context.activity.value:
                await turn_context.send_activity(turn_info(turn_context).t(
                    "That request was already sent or has expired. Type \"my tickets\" to see your tickets, or "
                    "\"talk to someone\" to start again."))
            return False
        if not text:
            await turn_context.send_activity(_card(describe_card(turn_info(turn_context).t)))
            return True
        draft = TicketDraft(**{**_fields(draft), "description": text})
        await self.tickets.save_draft(caller, draft)
        await self._show_summary(turn_context, caller, draft)
        return True

    async def _show_summary(self, turn_context: TurnContext, caller: Caller, draft: TicketDraft) -> None:
        t = turn_info(turn_context).t
        channel = await self.tickets.channel(caller.tenant_id)
        self._set_pending(turn_context, {"flow": PENDING_FLOW, "step": "confirm"})
        await turn_context.send_activity(_card(ticket_summary_card(draft, t, channel=channel is not None)))

    async def cancel(self, turn_context: TurnContext, caller: Caller) -> None:
        self._set_pending(turn_context, None)
        await self.tickets.drop_draft(caller)
        await turn_context.send_activity(turn_info(turn_context).t("OK, nothing was sent to the helpdesk."))

    async def confirm(self, turn_context: TurnContext, caller: Caller, *, details: str = "") -> None:
        """Create the ticket from the pending draft, exactly once, and route it (``details``: typed on the
        summary card)."""
        info = turn_info(turn_context)
        t = info.t
        self._set_pending(turn_context, None)
        draft = await self.tickets.take_draft(caller)
        if draft is None:
            await turn_context.send_activity(t(
                "That request was already sent or has expired. Type \"my tickets\" to see your tickets, or "
                "\"talk to someone\" to start again."))
            return
        details = " ".join(details.split())[:2000]
        if details and details not in draft.description:
            draft = TicketDraft(**{**_fields(draft), "description": "\n".join(
                p for p in (details, draft.description) if p)})
        try:
            ticket = await self.tickets.create(draft)
        except TicketError:
            try:
                await self.tickets.save_draft(caller, draft)  # let the user try again
            except Exception:
                log.warning("could not keep the ticket draft after a failed create", exc_info=True)
            await turn_context.send_activity(_card(cards.notice_card(
                t("Your ticket was not sent"),
                t("I couldn't record your request just now, so nothing was sent to the helpdesk. Please try "
                  "again in a moment."), color="Attention",
                actions=[cards.submit(t("Try again"), {"action": "ticket_confirm"})])))
            return
        info.subject.set_action("ticket", str(ticket.number), flow=self.name)
        info.subject.unanswered = None
        channel = await self.tickets.channel(ticket.tenant_id)
        posted = await self._post_to_channel(ticket, channel) if channel is not None else False
        for_someone_else = draft.opened_by is not None
        notice = ticket_notice(ticket, Translator(ticket.lang), "created")
        if for_someone_else:
            await self.messenger.to_user(turn_context, ticket.requester.aad_object_id, _card(notice))
            await turn_context.send_activity(t("Ticket #{number} opened for {name}.", number=ticket.number,
                                               name=ticket.requester.label))
        elif posted:
            await turn_context.send_activity(_card(ticket_notice(ticket, t, "created")))
        if not posted:
            await turn_context.send_activity(self._no_channel_text(t, ticket, channel is not None))

    def _no_channel_text(self, t: Translator, ticket: Ticket, had_channel: bool) -> str:
        contact = self._contact_text(t)
        recorded = (t("Your request is recorded as ticket #{number}, but I couldn't post it to the helpdesk "
                      "channel.", number=ticket.number) if had_channel else
                    t("Your request is recorded as ticket #{number}. The helpdesk has not set up a channel for "
                      "tickets yet, so nobody was notified automatically.", number=ticket.number))
        if contact:
            return recorded + " " + contact
        return recorded + " " + t("Helpdesk agents can see it in their list of open tickets. I don't have "
                                  "other contact details for the helpdesk.")

    async def _contact_answer(self, turn_context: TurnContext, caller: Caller) -> None:
        t = turn_info(turn_context).t
        contact = self._contact_text(t)
        channel = await self.tickets.channel(caller.tenant_id)
        body = contact or (t("I don't have the helpdesk's phone number or email, but I can send your request to "
                             "the helpdesk as a ticket.") if channel is not None else
                           t("I don't have the helpdesk's contact details, and no helpdesk channel is set up "
                             "yet. I can still record your request as a ticket that helpdesk agents will see."))
        await turn_context.send_activity(_card(cards.notice_card(
            t("Contact the helpdesk"), body, actions=[cards.ask_helpdesk_action(t)])))

    def _contact_text(self, t: Translator) -> str:
        contact = self.services.helpdesk_contact
        return t("You can reach the helpdesk here: {contact}", contact=contact) if contact else ""

    async def my_tickets(self, turn_context: TurnContext, caller: Caller) -> None:
        info = turn_info(turn_context)
        card = my_tickets_card(await self.tickets.for_requester(caller), info.t)
        await self._send_private(turn_context, caller, card)

    async def _send_private(self, turn_context: TurnContext, caller: Caller, card: dict[str, Any]) -> None:
        """Ticket content in a 1:1 chat only: in a group chat or channel, it goes to the caller's 1:1 chat."""
        info = turn_info(turn_context)
        if info.conversation_type == "personal" or await self._in_helpdesk_channel(turn_context, caller):
            await turn_context.send_activity(_card(card))
            return
        sent = await self.messenger.to_user(turn_context, caller.aad_object_id, _card(card))
        await turn_context.send_activity(info.t("I've sent you the details in a private message.") if sent else
                                         info.t("Please ask me in a 1:1 chat: I keep tickets out of group chats."))

    # ------------------------------------------------------------------------------------------- agents' side

    async def open_tickets(self, turn_context: TurnContext, caller: Caller) -> None:
        t = turn_info(turn_context).t
        found = await self.tickets.open_tickets(caller)
        if found is None:
            await turn_context.send_activity(t(
                "Only helpdesk agents can see the open tickets. Type \"my tickets\" to see yours."))
            return
        await self._send_private(turn_context, caller, open_tickets_card(found, t))

    async def show(self, turn_context: TurnContext, caller: Caller, number: int | None) -> None:
        t = turn_info(turn_context).t
        result = await self.tickets.view(caller, number) if number is not None else None
        if result is None or result.ticket is None:
            await turn_context.send_activity(t("I can't find ticket #{number} among the tickets you can see.",
                                               number=number if number is not None else "?"))
            return
        agent = await self.tickets.is_agent(caller)
        card = ticket_card(result.ticket, t, agent=agent, viewer_id=caller.aad_object_id)
        await self._send_private(turn_context, caller, card)

    async def act(self, turn_context: TurnContext, caller: Caller, action: str, number: int | None,
                  revision: int | None, note: str = "") -> dict[str, Any] | None:
        """Assign / resolve / reopen / refresh; the returned card replaces the clicked one (Action.Execute)."""
        info = turn_info(turn_context)
        t = info.t
        if number is None:
            return await self._refusal(turn_context, t("That button is out of date. Please ask again."))
        channel = await self.tickets.channel(caller.tenant_id)
        in_thread = await self._in_ticket_thread(turn_context, caller, number)
        card_t = Translator(channel.lang) if channel is not None and (in_thread or info.conversation_type ==
                                                                       "channel") else t
        agent = await self.tickets.is_agent(caller)
        if action == "ticket_refresh":
            return await self._refresh(turn_context, caller, number, agent, in_thread, card_t)
        name = info.caller.name if info.caller else ""
        if action == "ticket_assign":
            result = await self.tickets.assign(caller, number, revision=revision, actor_name=name or "")
        elif action == "ticket_resolve":
            result = await self.tickets.resolve(caller, number, note, revision=revision, actor_name=name or "")
        elif action == "ticket_reopen":
            result = await self.tickets.reopen(caller, number, revision=revision, actor_name=name or "")
        else:
            return await self._refusal(turn_context, t("That button is out of date. Please ask again."))
        if result.outcome in (TicketOutcome.NOT_FOUND, TicketOutcome.FORBIDDEN) and not (agent or in_thread):
            # Someone else's ticket, outside its thread: say no without showing it.
            view = await self.tickets.view(caller, number)
            if not view.ok:
                return await self._refusal(turn_context, t(
                    "I can't find ticket #{number} among the tickets you can see.", number=number))
        if result.changed and result.ticket is not None:
            await self._after_change(turn_context, caller, action, result.ticket, channel)
        note_text = self._outcome_note(card_t, result)
        ticket = result.ticket or (await self.tickets.get(caller.tenant_id, number))
        if ticket is None:
            return await self._refusal(turn_context, t("I can't find ticket #{number} among the tickets you can "
                                                       "see.", number=number))
        card = ticket_card(ticket, card_t, agent=agent, viewer_id=caller.aad_object_id, note=note_text)
        if _is_invoke(turn_context):
            return card
        await turn_context.send_activity(_card(card))
        return None

    async def _refresh(self, turn_context: TurnContext, caller: Caller, number: int, agent: bool,
                       in_thread: bool, t: Translator) -> dict[str, Any] | None:
        """Each viewer's own card: agents get the buttons that apply, the requester Reopen, others none."""
        view = await self.tickets.view(caller, number)
        ticket = view.ticket
        if ticket is None and in_thread:
            ticket = await self.tickets.get(caller.tenant_id, number)
        if ticket is None:
            return await self._refusal(turn_context, t("I can't find ticket #{number} among the tickets you can "
                                                       "see.", number=number))
        card = ticket_card(ticket, t, agent=agent, viewer_id=caller.aad_object_id)
        if _is_invoke(turn_context):
            return card
        await turn_context.send_activity(_card(card))
        return None

    async def _refusal(self, turn_context: TurnContext, text: str) -> dict[str, Any] | None:
        card = cards.notice_card(text, "", color="Attention")
        if _is_invoke(turn_context):
            return card
        await turn_context.send_activity(text)
        return None

    def _outcome_note(self, t: Translator, result: TicketResult) -> str:
        ticket = result.ticket
        outcome = result.outcome
        if outcome is TicketOutcome.OK:
            return ""
        if outcome is TicketOutcome.ALREADY_ASSIGNED and ticket is not None and ticket.assignee is not None:
            return t("Already taken by {who}.", who=ticket.assignee.label)
        return {
            TicketOutcome.FORBIDDEN: t("Only helpdesk agents can act on this ticket."),
            TicketOutcome.STALE: t("This card was out of date: here is the ticket as it is now. Nothing was "
                                   "changed."),
            TicketOutcome.ALREADY_RESOLVED: t("This ticket is already resolved."),
            TicketOutcome.NOT_RESOLVED: t("This ticket is not resolved, so there is nothing to reopen."),
            TicketOutcome.STORE_FAILED: t("I couldn't save that change. Please try again in a moment."),
            TicketOutcome.NOT_FOUND: t("This ticket no longer exists."),
        }.get(outcome, "")

    async def _after_change(self, turn_context: TurnContext, caller: Caller, action: str, ticket: Ticket,
                            channel: HelpdeskChannel | None) -> None:
        """Update the card in the channel for everyone, and tell the requester in their own language."""
        if channel is not None and ticket.thread:
            reference = _thread_reference(channel.reference, ticket.thread.get("conversation_id", ""))
            await self.messenger.update(reference, ticket.thread.get("activity_id", ""),
                                        _card(ticket_card(ticket, Translator(channel.lang))))
        if caller.aad_object_id.lower() == ticket.requester.aad_object_id.lower():
            return  # the requester did it: the reply says so
        event = {"ticket_assign": "assigned", "ticket_resolve": "resolved", "ticket_reopen": "reopened"}[action]
        by = (ticket.assignee.label if event == "assigned" and ticket.assignee else
              turn_info(turn_context).caller.name if turn_info(turn_context).caller else "") or ""
        await self.messenger.to_user(turn_context, ticket.requester.aad_object_id,
                                     _card(ticket_notice(ticket, Translator(ticket.lang), event, by=by)))

    async def _post_to_channel(self, ticket: Ticket, channel: HelpdeskChannel) -> bool:
        card = ticket_card(ticket, Translator(channel.lang))
        posted = await self.messenger.new_thread(channel.reference, _card(card))
        if posted is None:
            return False
        await self.tickets.set_thread(ticket.tenant_id, ticket.number, posted[0], posted[1])
        return True

    async def set_channel(self, turn_context: TurnContext, caller: Caller) -> None:
        info = turn_info(turn_context)
        t = info.t
        if info.conversation_type != "channel":
            await turn_context.send_activity(t(
                "Do this in the helpdesk team's channel: add me to the team, then @mention me in the channel "
                "with \"use this channel for tickets\"."))
            return
        data = turn_context.activity.channel_data if isinstance(turn_context.activity.channel_data, dict) else {}
        name = str((data.get("channel") or {}).get("name") or "") if isinstance(data.get("channel"), dict) else ""
        reference = reference_of(turn_context)
        reason = await self.tickets.set_channel(caller, reference, info.lang, name, actor_name=caller.name or "")
        if reason is not Reason.AGENT:
            text = (t("I couldn't check whether you are a helpdesk agent just now. Please try again in a moment.")
                    if reason is Reason.AGENT_CHECK_FAILED else
                    t("Only helpdesk agents (members of the helpdesk group) can choose the channel for tickets."))
            await turn_context.send_activity(text)
            return
        language = t("French") if info.lang == "fr" else t("English")
        await turn_context.send_activity(t(
            "Done: new tickets will be posted in this channel, in {language}. Any helpdesk agent can move them "
            "to another channel the same way.", language=language))

    # ------------------------------------------------------------------------------------------- helpers

    async def _caller(self, turn_context: TurnContext) -> Caller | None:
        info = turn_info(turn_context)
        if self.services.tickets is None:
            await turn_context.send_activity(self._contact_text(info.t) or info.t(
                "I can't open tickets here. Please contact your IT helpdesk directly."))
            return None
        if info.caller is None:
            await turn_context.send_activity(info.t(
                "I can't tell who you are in this conversation, so I can't open or show tickets here."))
            return None
        return info.caller

    async def _find_user(self, turn_context: TurnContext, hint: str) -> Person | None:
        t = turn_info(turn_context).t
        graph = self.services.graph
        try:
            users = await resolve_users(graph, hint) if graph is not None else []
        except (GraphError, ValueError):
            users = []
        if len(users) != 1:
            await turn_context.send_activity(
                t("I found several people for \"{name}\": please use their email address.", name=hint) if users
                else t("I couldn't find anyone called \"{name}\".", name=hint))
            return None
        user = users[0]
        return Person(user.id, user.display_name, user.upn)

    async def _in_helpdesk_channel(self, turn_context: TurnContext, caller: Caller) -> bool:
        if turn_info(turn_context).conversation_type != "channel":
            return False
        channel = await self.tickets.channel(caller.tenant_id)
        conversation = turn_context.activity.conversation.id if turn_context.activity.conversation else ""
        stored = str((channel.reference.get("conversation") or {}).get("id") or "") if channel else ""
        return bool(stored) and conversation.split(";")[0] == stored.split(";")[0]

    async def _in_ticket_thread(self, turn_context: TurnContext, caller: Caller, number: int) -> bool:
        ticket = await self.tickets.get(caller.tenant_id, number)
        conversation = turn_context.activity.conversation.id if turn_context.activity.conversation else ""
        return bool(ticket and ticket.thread and conversation
                    and ticket.thread.get("conversation_id") == conversation)

    @staticmethod
    def _set_pending(turn_context: TurnContext, pending: dict[str, Any] | None) -> None:
        turn_info(turn_context).subject.pending = pending


def _original(text: str, folded: str) -> str:
    """A slot the recognizer read on folded text, in the user's own spelling (same positions once folded)."""
    if not folded:
        return ""
    at = fold_keep(text).rfind(folded)
    return text[at:at + len(folded)] if at >= 0 else folded


def _codes(subject: Subject) -> tuple[str, ...]:
    """The codes in play, as people read them: "0x87D1ABCE (-2016302130)"."""
    out = []
    for code in subject.codes[-10:]:
        try:
            out.append(f"{to_hex(int(code))} ({int(code)})")
        except (TypeError, ValueError):
            out.append(str(code))
    return tuple(dict.fromkeys(out))


def _teams_id(turn_context: TurnContext) -> str:
    sender = turn_context.activity.from_property
    return str(getattr(sender, "id", "") or "")


def _fields(draft: TicketDraft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in TicketDraft.__dataclass_fields__}


def _thread_reference(channel_reference: dict[str, Any], conversation_id: str) -> dict[str, Any]:
    reference = dict(channel_reference)
    conversation = dict(reference.get("conversation") or {})
    if conversation_id:
        conversation["id"] = conversation_id
    reference["conversation"] = conversation
    return reference

