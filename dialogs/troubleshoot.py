"""Agent tools in chat: who synced a device (audit log) and the troubleshooting summary of a user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botbuilder.core import TurnContext

from dialogs.turn import turn_info

if TYPE_CHECKING:
    from bot.services import Services


class TroubleshootFlow:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def _is_agent(self, turn_context: TurnContext) -> bool:
        info = turn_info(turn_context)
        authz = self.services.authz
        return bool(info.caller and authz and await authz.is_agent(info.caller))

    async def who_synced(self, turn_context: TurnContext, device_name: str) -> None:
        info = turn_info(turn_context)
        t = info.t
        if self.services.sync is None or not await self._is_agent(turn_context):
            await turn_context.send_activity(t("Only helpdesk agents can read the sync audit log."))
            return
        entries = await self.services.sync.who_synced(device_name)
        if not entries:
            await turn_context.send_activity(t("Nobody has synced {name} through me.", name=device_name))
            return
        lines = [t("{who} synced {name} {when}.", who=e.caller_name or e.caller_upn or e.caller_id,
                   name=e.device_name or device_name, when=t.relative(e.at)) for e in entries[:5]]
        await turn_context.send_activity("\n\n".join(lines))

    async def run(self, turn_context: TurnContext, target: str) -> None:
        info = turn_info(turn_context)
        if not await self._is_agent(turn_context):
            await turn_context.send_activity(info.t("Only helpdesk agents can troubleshoot other users."))
            return
        await turn_context.send_activity(info.t("Troubleshooting summaries are not available on this bot yet."))
