"""`python -m bot audit [--json]`: the audit log (device syncs, ticket events) from the configured store."""

from __future__ import annotations

import asyncio
import json

from bot.settings import Settings
from storage import open_store

AUDIT_LOG = "audit"


async def _read(limit: int | None) -> list[dict]:
    store = open_store(Settings.from_env().storage_url)
    try:
        return await store.read_log(AUDIT_LOG, limit=limit)
    finally:
        await store.close()


def main(as_json: bool = False, limit: int | None = None) -> int:
    entries = asyncio.run(_read(limit))
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
