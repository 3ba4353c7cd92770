"""Settings: one frozen object built from the environment when the app starts, never at import."""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

_N = TypeVar("_N", int, float)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
_STORAGE_SCHEMES = ("memory://", "sqlite:///", "redis://", "rediss://", "unix://")
_GRAPH_VARS = ("GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET")


class ConfigError(ValueError):
    """A setting the bot refuses to start with; the message is one line that names the variable."""


def _number(e: Mapping[str, str], name: str, default: _N, kind: Callable[[str], _N], *,
            minimum: float = 0, maximum: float | None = None) -> _N:
    raw = e.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
    if not math.isfinite(value) or value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum:g} and {maximum:g}" if maximum is not None else f"at least {minimum:g}"
        raise ConfigError(f"{name} must be {bound}, got {raw!r}")
    return value


def _flag(e: Mapping[str, str], name: str) -> bool:
    raw = (e.get(name) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true/false), got {e.get(name)!r}")


def load_env_file(path: str | os.PathLike[str] | None = None) -> str | None:
    """Load ``KEY=value`` lines from an env file into ``os.environ`` without overriding what is already set.

    ``path`` defaults to ``ENV_FILE`` or ``.env`` in the working directory; a missing file is no error
    (containers and App Service set real environment variables). Returns the file read, if any.
    """
    from dotenv import load_dotenv

    target = os.fspath(path) if path is not None else os.environ.get("ENV_FILE") or ".env"
    if not os.path.isfile(target):
        if path is not None or os.environ.get("ENV_FILE"):
            raise ConfigError(f"ENV_FILE: no such file {target!r}")
        return None
    load_dotenv(target, override=False)
    return target


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
    body_timeout_s: float = 10.0
    max_text_chars: int = 4000
    max_paste_chars: int = 32_000  # codes are read in the whole message (Teams caps text at ~28 KB)
    sync_cooldown_s: float = 300.0
    confirmation_ttl_s: float = 600.0
    demo_sync_delay_s: float = 3.0
    completion_watch_s: float = 300.0
    completion_poll_s: float = 5.0
    demo_graph_url: str = ""
    demo_tenant_opt_in: bool = False
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
        """Read and check the environment; raises :class:`ConfigError` on anything unsafe or malformed.

        Fails safe: half-set Graph credentials, an unknown ``STORAGE_URL``, a malformed number, or the
        demo tenant behind real authentication without an explicit ``DEMO_TENANT=1`` refuse to start
        instead of silently serving the fake contoso.com tenant to real Teams users.
        """
        e = os.environ if env is None else env
        d = cls()
        settings = cls(
            port=_number(e, "PORT", d.port, int, minimum=0, maximum=65535),
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
            max_body_bytes=_number(e, "MAX_BODY_BYTES", d.max_body_bytes, int, minimum=1024),
            body_timeout_s=_number(e, "BODY_TIMEOUT_SECONDS", d.body_timeout_s, float, minimum=0.1),
            sync_cooldown_s=_number(e, "SYNC_COOLDOWN_SECONDS", d.sync_cooldown_s, float),
            confirmation_ttl_s=_number(e, "CONFIRMATION_TTL_SECONDS", d.confirmation_ttl_s, float, minimum=1),
            demo_sync_delay_s=_number(e, "DEMO_SYNC_DELAY_SECONDS", d.demo_sync_delay_s, float),
            completion_watch_s=_number(e, "SYNC_WATCH_SECONDS", d.completion_watch_s, float),
            completion_poll_s=_number(e, "SYNC_POLL_SECONDS", d.completion_poll_s, float, minimum=0.01),
            demo_graph_url=e.get("DEMO_GRAPH_URL", ""),
            demo_tenant_opt_in=_flag(e, "DEMO_TENANT"),
            log_level=(e.get("LOG_LEVEL") or d.log_level).strip().upper(),
            log_text=_flag(e, "LOG_MESSAGE_TEXT"),
            openid_metadata_url=e.get("BOT_OPENID_METADATA_URL", ""),
            token_issuer=e.get("BOT_TOKEN_ISSUER", ""),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse combinations that would fail open (each message names the variable to fix)."""
        url = self.storage_url.strip()
        if not url.startswith(_STORAGE_SCHEMES):
            raise ConfigError(f"STORAGE_URL must start with one of {', '.join(_STORAGE_SCHEMES)}, "
                              f"got {url.split('://')[0] + '://...' if '://' in url else repr(url)}")
        given = {"GRAPH_TENANT_ID": self.graph_tenant_id, "GRAPH_CLIENT_ID": self.graph_client_id,
                 "GRAPH_CLIENT_SECRET": self.graph_client_secret}
        set_vars = [name for name in _GRAPH_VARS if given[name]]
        if (self.graph_client_id or self.graph_client_secret) and len(set_vars) < len(_GRAPH_VARS):
            missing = [name for name in _GRAPH_VARS if not given[name]]
            raise ConfigError(f"{missing[0]} is not set, but {', '.join(set_vars)} is: set all of "
                              f"{', '.join(_GRAPH_VARS)} for Microsoft Graph, or none for the demo tenant")
        if self.demo_tenant and self.auth_enabled and not self.demo_tenant_opt_in:
            raise ConfigError("DEMO_TENANT: MicrosoftAppId is set but Graph credentials are not: set "
                              f"{', '.join(_GRAPH_VARS)}, or DEMO_TENANT=1 to serve the fake contoso.com "
                              "demo tenant to real Teams users on purpose")
        if self.demo_tenant_opt_in and not self.demo_tenant:
            raise ConfigError("DEMO_TENANT=1 but Graph credentials are set: unset one of them")
        if self.app_password and not self.app_id:
            raise ConfigError("MicrosoftAppId is not set, but MicrosoftAppPassword is: set both, or neither "
                              "for local mode")


def load_settings() -> Settings | None:
    """The settings from ``.env`` (if any) and the environment; None, with one line on stderr, if unsafe."""
    try:
        env_file = load_env_file()
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return None
    if env_file:
        logging.getLogger(__name__).info("read settings from %s (real environment variables win)", env_file)
    return settings
