"""The main dialog: route each new message to a lookup, the FAQ, sync or troubleshooting.

Help, language and cancel are handled by the bot before any dialog runs (they interrupt
anything); this dialog handles what starts a conversation flow.
"""

from __future__ import annotations

from typing import Any

from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)

from dialogs.answers import send_entry, send_result
from dialogs.sync_dialog import SyncDialog
from dialogs.troubleshoot import TroubleshootFlow
from dialogs.turn import turn_info
from knowledge import KnowledgeBase, Matcher

CHOICE_PROMPT = "main.choice"
_NONE_WORDS = {"none", "none of these", "no", "aucun", "aucune", "aucun de ceux-ci", "non", "rien", "0"}


class MainDialog(ComponentDialog):
    def __init__(self, kb: KnowledgeBase, matcher: Matcher, sync_dialog: SyncDialog,
                 troubleshoot: TroubleshootFlow) -> None:
        super().__init__(MainDialog.__name__)
        self.kb = kb
        self.matcher = matcher
        self.troubleshoot = troubleshoot
        self.sync_dialog = sync_dialog
        self.add_dialog(TextPrompt(CHOICE_PROMPT))
        self.add_dialog(sync_dialog)
        self.add_dialog(WaterfallDialog("main.flow", [self.route_step, self.choice_step]))
        self.initial_dialog_id = "main.flow"

    async def route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        options: dict[str, Any] = step.options or {}
        info = turn_info(step.context)
        if options.get("intent") == "sync":
            return await step.begin_dialog(SyncDialog.__name__, {"target": options.get("target"),
                                                                 "device_id": options.get("device_id")})
        intent = info.intent
        if intent.name == "sync":
            return await step.begin_dialog(SyncDialog.__name__, {"target": intent.target})
        if intent.name == "sync_status":
            await self.sync_dialog.report_status(step.context)
            return await step.end_dialog()
        if intent.name == "troubleshoot":
            if intent.target:
                await self.troubleshoot.run(step.context, intent.target)
            else:
                await step.context.send_activity(info.t(
                    "Which user? Type \"troubleshoot\" followed by their email address or name, for example "
                    "\"troubleshoot alice@contoso.com\"."))
            return await step.end_dialog()
        if intent.name == "ask_code":
            await step.context.send_activity(info.t(
                "Paste the error code or the error message you see, for example 0x87D1FDE8, -2016281112 or "
                "\"Profile not managed\", and I'll explain it."))
            return await step.end_dialog()
        if intent.name == "who_synced" and intent.target:
            await self.troubleshoot.who_synced(step.context, intent.target)
            return await step.end_dialog()
        result = self.matcher.lookup(info.text)
        definite = await send_result(step.context, result, self.kb)
        if definite:
            return await step.end_dialog()
        step.values["suggestions"] = [[m.entry.kind, m.entry.id] for m in result.suggestions]
        return await step.prompt(CHOICE_PROMPT, PromptOptions(prompt=None))

    async def choice_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """The answer to "did you mean": a number, "none", or a new question."""
        info = turn_info(step.context)
        suggestions = step.values.get("suggestions") or []
        if not suggestions:  # a child flow (sync) has finished: nothing more to do
            return await step.end_dialog()
        reply = str(step.result or "").strip().lower().rstrip(".!")
        if reply.isdigit() and 1 <= int(reply) <= len(suggestions):
            kind, entry_id = suggestions[int(reply) - 1]
            entry = self.kb.get(kind, entry_id)
            if entry is not None:
                await send_entry(step.context, entry, self.kb)
            return await step.end_dialog()
        if reply in _NONE_WORDS:
            await step.context.send_activity(info.t(
                "OK. Try rephrasing, paste the exact error code or message, or type \"help\"."))
            return await step.end_dialog()
        # Not an answer to the question: treat it as a new message.
        return await step.replace_dialog("main.flow")
