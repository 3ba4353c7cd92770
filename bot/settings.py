"""Settings: one frozen object built from the environment when the app starts, never at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip().lower() for v in (value or "").replace(";", ",").split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about its environment.

    Bot Framework names are kept (MicrosoftAppId ...) so Azure's usual configuration works as is.
    With no app id the bot runs in local mode: no authentication, for the emulator, the terminal
    chat and tests. With no Graph credentials it talks to the embedded demo tenant.

    ``demo_graph_url`` (env ``DEMO_GRAPH_URL``, e.g. ``http://127.0.0.1:8081/v1.0``): in demo mode, use
    that already running fake Graph (``python -m intune.fake_graph``) instead of starting one in-process,
    so several bot replicas share one demo tenant. Ignored when Graph credentials are set.
    """

    port: int = 3978
    host: str = "0.0.0.0"
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allowed_tenant_ids: tuple[str, ...] = ()
    storage_url: str = "sqlite:///var/helpdesk.sqlite3"
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: str = field(default="", repr=False)
    graph_authority_host: str = "https://login.microsoftonline.com"
    helpdesk_group_ids: tuple[str, ...] = ()
    helpdesk_contact: str = ""
    """How to reach the helpdesk (free text: email, phone, hours, URL), given when a person is asked for."""
    max_body_bytes: int = 256 * 1024
    max_text_chars: int = 4000
    max_paste_chars: int = 32_000  # codes are read in the whole message (Teams caps text at ~28 KB)
    sync_cooldown_s: float = 300.0
    confirmation_ttl_s: float = 600.0
    demo_sync_delay_s: float = 3.0
    completion_watch_s: float = 300.0
    completion_poll_s: float = 5.0
    demo_graph_url: str = ""
    log_level: str = "INFO"
    log_text: bool = False
    # Test hooks for the Bot Framework auth endpoints (see botframework-notes.md); empty in production.
    openid_metadata_url: str = ""
    token_issuer: str = ""

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    @property
    def demo_tenant(self) -> bool:
        """True when no Graph credentials are set: the embedded fake Graph serves the demo tenant."""
        return not (self.graph_client_id and self.graph_client_secret and self.graph_tenant_id)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        d = cls()
        return cls(
            port=int(e.get("PORT", d.port)),
            host=e.get("HOST", d.host),
            app_id=e.get("MicrosoftAppId", ""),
            app_password=e.get("MicrosoftAppPassword", ""),
            app_type=e.get("MicrosoftAppType", d.app_type) or d.app_type,
            app_tenant_id=e.get("MicrosoftAppTenantId", ""),
            allowed_tenant_ids=_list(e.get("ALLOWED_TENANT_IDS")),
            storage_url=e.get("STORAGE_URL", d.storage_url),
            graph_base_url=e.get("GRAPH_BASE_URL", d.graph_base_url),
            graph_tenant_id=e.get("GRAPH_TENANT_ID", e.get("MicrosoftAppTenantId", "")),
            graph_client_id=e.get("GRAPH_CLIENT_ID", ""),
            graph_client_secret=e.get("GRAPH_CLIENT_SECRET", ""),
            graph_authority_host=e.get("GRAPH_AUTHORITY_HOST", d.graph_authority_host),
            helpdesk_group_ids=_list(e.get("HELPDESK_GROUP_IDS")),
            helpdesk_contact=" ".join(e.get("HELPDESK_CONTACT", "").split())[:500],
            max_body_bytes=int(e.get("MAX_BODY_BYTES", d.max_body_bytes)),
            sync_cooldown_s=float(e.get("SYNC_COOLDOWN_SECONDS", d.sync_cooldown_s)),
            confirmation_ttl_s=float(e.get("CONFIRMATION_TTL_SECONDS", d.confirmation_ttl_s)),
            demo_sync_delay_s=float(e.get("DEMO_SYNC_DELAY_SECONDS", d.demo_sync_delay_s)),
            completion_watch_s=float(e.get("SYNC_WATCH_SECONDS", d.completion_watch_s)),
            completion_poll_s=float(e.get("SYNC_POLL_SECONDS", d.completion_poll_s)),
            demo_graph_url=e.get("DEMO_GRAPH_URL", ""),
            log_level=e.get("LOG_LEVEL", d.log_level).upper(),
            log_text=e.get("LOG_MESSAGE_TEXT", "").lower() in ("1", "true", "yes"),
            openid_metadata_url=e.get("BOT_OPENID_METADATA_URL", ""),
            token_issuer=e.get("BOT_TOKEN_ISSUER", ""),
        )
