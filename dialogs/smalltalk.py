"""Short, natural replies to courtesy and chatter: never the "no answer" reply to a thank-you."""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext

from dialogs.turn import turn_info
from presentation import cards


async def reply(turn_context: TurnContext, name: str) -> None:
    info = turn_info(turn_context)
    t = info.t
    who = _first_name(info.caller.name if info.caller else None)
    if name == "greeting":
        text = (t("Hi {name}! Paste an error code or message, ask a question about your device, or say \"sync my "
                  "device\".", name=who) if who else
                t("Hi! Paste an error code or message, ask a question about your device, or say \"sync my "
                  "device\"."))
        await turn_context.send_activity(text)
    elif name == "thanks":
        await turn_context.send_activity(t("You're welcome! Anything else I can help with?"))
    elif name == "goodbye":
        await turn_context.send_activity(t("Bye! Come back any time you need help with a device."))
    elif name == "ack":
        await turn_context.send_activity(t("👍 Anything else? Paste a code or ask me a question."))
    elif name == "identity":
        await turn_context.send_activity(MessageFactory.attachment(cards.attachment(cards.notice_card(
            t("I'm a bot, not a person"),
            t("I'm the Intune helpdesk bot, a virtual assistant: I explain Intune error codes and messages, answer "
              "common device questions and can sync your device. If you'd rather talk to a person, ask the "
              "helpdesk."),
            actions=cards.dead_end_actions(t)))))
    elif name == "frustration":
        await turn_context.send_activity(MessageFactory.attachment(cards.attachment(cards.notice_card(
            t("Sorry about that"),
            t("I'm sorry I couldn't help. Paste the exact error code or message and I'll try again, or ask the "
              "helpdesk and a person will look at it."),
            actions=cards.dead_end_actions(t)))))


async def image_reply(turn_context: TurnContext) -> None:
    t = turn_info(turn_context).t
    await turn_context.send_activity(t(
        "I can't read images. Please type the error code or the message shown on the screen, for example "
        "0x87D1FDE8 or \"Profile not managed\"."))


def _first_name(name: str | None) -> str | None:
    if not name or not name.strip():
        return None
    return name.strip().split()[0]
