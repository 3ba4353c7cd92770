"""`python -m bot audit [--json]`: the audit log (device syncs, ticket events) from the configured store."""

from __future__ import annotations

import asyncio
import json

from bot.settings import load_settings
from intune.sync_service import settled_audit
from storage import open_store

AUDIT_LOG = "audit"


async def _read(storage_url: str, limit: int | None) -> list[dict]:
    """The audit as people read it: a sync's intent record is shown only while it has no outcome
    (the bot stopped after asking Graph): it then reads outcome_unknown."""
    store = open_store(storage_url)
    try:
        entries = settled_audit(await store.read_log(AUDIT_LOG))
    finally:
        await store.close()
    if limit is not None:
        entries = entries[-limit:] if limit > 0 else []
    return entries


def main(as_json: bool = False, limit: int | None = None) -> int:
    settings = load_settings()
    if settings is None:
        return 2
    entries = asyncio.run(_read(settings.storage_url, limit))
    if as_json:
        for entry in entries:
            print(json.dumps(entry, ensure_ascii=False))
        return 0
    if not entries:
        print("The audit log is empty.")
        return 0
    for e in entries:
        who = e.get("caller_name") or e.get("caller_upn") or e.get("caller_id")
        if str(e.get("action", "")).startswith("ticket_"):
            print(_ticket_line(e, who))
            continue
        whose = e.get("device_user_upn") or e.get("device_user_id") or "?"
        print(f"{e.get('at')}  {who} -> {e.get('device_name')} ({whose})  {e.get('outcome')}"
              f"  request-id={e.get('request_id') or '-'}")
    return 0


def _ticket_line(e: dict, who: str | None) -> str:
    """A ticket event: who did what to which ticket, for whom (never the ticket's content)."""
    event = str(e.get("action", "")).removeprefix("ticket_")
    if event == "channel":
        return f"{e.get('at')}  {who} set the helpdesk channel {e.get('reason') or ''}".rstrip()
    whose = e.get("requester_name") or e.get("device_user_upn") or e.get("requester_id") or "?"
    return f"{e.get('at')}  {who} {event} ticket #{e.get('ticket')} ({whose})  state={e.get('outcome')}"
