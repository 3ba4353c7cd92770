"""The long-lived domain objects one app uses, opened together and closed together.

In demo mode (no Graph credentials) the fake Graph serving the demo tenant starts in-process
and the helpdesk group is the demo tenant's, so the whole sync flow works on a fresh machine.
"""

from __future__ import annotations

import logging
import uuid

from bot.settings import Settings
from dialogs.services import Services
from intune.authorization import AuthorizationPolicy
from intune.device_health import DeviceHealthService
from intune.graph_client import GraphClient, MsalTokenProvider, StaticTokenProvider
from intune.sync_service import SyncService
from intune.tickets import TicketService
from knowledge import KnowledgeBase, Matcher
from storage import Store, open_store

log = logging.getLogger(__name__)


_KB_CACHE: dict[str, tuple[KnowledgeBase, Matcher]] = {}


def shared_knowledge() -> tuple[KnowledgeBase, Matcher]:
    """The shipped knowledge base is read-only: one copy per process serves every app."""
    if "default" not in _KB_CACHE:
        kb = KnowledgeBase.from_dir()
        _KB_CACHE["default"] = (kb, Matcher(kb))
    return _KB_CACHE["default"]


async def open_services(settings: Settings, *, store: Store | None = None,
                        graph_base_url: str | None = None) -> Services:
    """Open the store and Graph (real, or the demo tenant's fake) described by ``settings``."""
    kb, matcher = shared_knowledge()
    store = store or open_store(settings.storage_url)
    services = Services(kb=kb, matcher=matcher, store=store, helpdesk_contact=settings.helpdesk_contact)
    services._closers.append(store.close)
    group_ids = settings.helpdesk_group_ids
    cooldown_namespace = ""
    if graph_base_url is not None:
        from intune.demo_tenant import DEMO_IDS

        graph = GraphClient(StaticTokenProvider("demo-token"), base_url=graph_base_url)
        services.graph_tenant_id = DEMO_IDS.tenant
    elif settings.demo_tenant and settings.demo_graph_url:
        from intune.demo_tenant import DEMO_IDS

        graph = GraphClient(StaticTokenProvider("demo-token"), base_url=settings.demo_graph_url)
        services.graph_tenant_id = DEMO_IDS.tenant
        group_ids = group_ids or (DEMO_IDS.helpdesk_group,)
        log.warning("no Graph credentials: using the DEMO TENANT served at %s", settings.demo_graph_url)
    elif settings.demo_tenant:
        from intune.demo_tenant import DEMO_IDS, DemoTenant
        from intune.fake_graph import FakeGraphConfig, start_fake_graph

        server = await start_fake_graph(DemoTenant.load(),
                                        config=FakeGraphConfig(sync_delay=settings.demo_sync_delay_s))
        services.fake_graph = server
        services._closers.append(server.stop)
        graph = GraphClient(StaticTokenProvider("demo-token"), base_url=server.base_url)
        services.graph_tenant_id = DEMO_IDS.tenant
        group_ids = group_ids or (DEMO_IDS.helpdesk_group,)
        # This demo tenant starts fresh (no recent sync on any device); so do its cooldowns, or the README's
        # sync example would answer "synced recently" after a restart for a device that shows no recent sync.
        cooldown_namespace = f"demo-{uuid.uuid4().hex[:12]}/"
        log.warning("no Graph credentials: using the embedded DEMO TENANT (contoso.com) at %s", server.base_url)
    else:
        tokens = MsalTokenProvider(settings.graph_tenant_id, settings.graph_client_id,
                                   client_secret=settings.graph_client_secret,
                                   authority_host=settings.graph_authority_host)
        graph = GraphClient(tokens, base_url=settings.graph_base_url)
        services.graph_tenant_id = settings.graph_tenant_id or None
        services.graph_token = tokens.get_token

        async def close_tokens() -> None:
            tokens.close()

        services._closers.append(close_tokens)
        log.info("using Microsoft Graph at %s for tenant %s", settings.graph_base_url, settings.graph_tenant_id)
    if settings.demo_tenant and settings.auth_enabled and graph_base_url is None:
        log.warning("DEMO_TENANT=1: authenticated Teams users are served the FAKE contoso.com demo tenant")
    services.graph = graph
    services._closers.append(graph.close)
    services.authz = AuthorizationPolicy(graph, allowed_tenants=settings.allowed_tenant_ids,
                                         agent_group_ids=group_ids)
    services.sync = SyncService(graph, store, services.authz, confirmation_ttl=settings.confirmation_ttl_s,
                                cooldown=settings.sync_cooldown_s, cooldown_namespace=cooldown_namespace)
    services.health = DeviceHealthService(graph, services.authz)
    services.tickets = TicketService(store, services.authz, graph)
    return services
