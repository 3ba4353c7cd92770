"""The long-lived domain objects a conversation uses: knowledge base, store, Graph, sync, authorization.

Built by the hosting layer (bot/services.py opens them from settings); dialogs only use them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from intune.authorization import AuthorizationPolicy
from intune.device_health import DeviceHealthService
from intune.graph_client import GraphClient
from intune.sync_service import SyncService
from intune.tickets import TicketService
from knowledge import KnowledgeBase, Matcher
from storage import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    kb: KnowledgeBase
    matcher: Matcher
    store: Store
    graph: GraphClient | None = None
    sync: SyncService | None = None
    authz: AuthorizationPolicy | None = None
    health: DeviceHealthService | None = None
    """Compliance status of a device, explained (dialogs/device_health.py)."""
    tickets: TicketService | None = None
    helpdesk_contact: str = ""
    """HELPDESK_CONTACT: how to reach the helpdesk when no channel takes tickets (free text)."""
    fake_graph: Any = None
    graph_tenant_id: str | None = None
    """The tenant the Graph client serves; agents from another tenant see none of its users."""
    messenger: Any = None
    """dialogs.messenger.Messenger, set by the hosting layer once the adapter exists."""
    graph_token: Any = None
    """Real mode only: ``async () -> str`` getting a Graph token, for the readiness probe."""
    _closers: list[Any] = field(default_factory=list)

    async def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                await closer()
            except Exception:
                log.warning("error while closing", exc_info=True)
        self._closers.clear()
