"""Load test: N activities at concurrency 32 against the in-process app, fake Graph failing 10% of the time.

Run from the repo root: `python benchmarks/load.py [--activities 10000] [--concurrency 32] [--seed 1]`.
The workload mixes error-code lookups, FAQ questions and complete device-sync flows of several demo
users ("sync my device" -> pick -> confirm, the confirm sometimes clicked twice). The fake Graph answers
10% of its requests with a 429, a 503 or a slow answer (FaultPlan.random). Printed: throughput,
p50/p99 latency, HTTP errors by status (no 5xx expected), duplicate syncs, lost confirmations (a
confirmation card whose confirm got neither "Sync requested" nor a clear failure), memory growth after a warm-up
(RSS, garbage collected, the fake Graph's own request log excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import create_app
from bot.chat import render_activity
from bot.services import open_services
from bot.settings import Settings
from intune.demo_tenant import DEMO_IDS, DemoTenant
from intune.fake_graph import FakeGraphConfig, FakeGraphServer, FaultPlan
from storage import MemoryStore

LOOKUPS = ["0x87D1FDE8", "-2016324099", "SyncML(404)", "0x80180014", "Profile not manged", "0x87D1B001"]
FAQ = ["is the activation lock bypass code case sensitive?", "how do I enroll my iPhone?",
       "j'ai ce message : impossible de créer le compte", "why is my device not compliant?", "help"]
USERS = [(DEMO_IDS.alice, "Alice Martin"), (DEMO_IDS.bob, "Bob"), (DEMO_IDS.chloe, "Chloé"),
         (DEMO_IDS.grace, "Grace O'Brien")]
CLEAR_FAILURES = ("no longer valid", "Intune is busy", "did not answer", "The sync failed", "Device not found",
                  "Permission missing", "synced recently", "can't sync", "try again")


def rss_kb() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def texts(replies: list[dict[str, Any]]) -> str:
    """What the user reads, as the terminal chat prints it (titles upper-cased, so compare lower-cased)."""
    return "\n".join(line for r in replies for line in render_activity(r, [])).lower()


def card_data(replies: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    found = []
    for r in replies:
        for a in r.get("attachments") or []:
            for act in (a.get("content") or {}).get("actions") or []:
                data = act.get("data")
                if isinstance(data, dict) and data.get("action") == action:
                    found.append(data)
    return found


class Load:
    def __init__(self, client: aiohttp.ClientSession, url: str, activities: int, seed: int) -> None:
        self.client = client
        self.url = url
        self.service_url = "http://127.0.0.1:9/"
        self.budget = activities
        self.rng = random.Random(seed)
        self.latencies: list[float] = []
        self.statuses: collections.Counter[int] = collections.Counter()
        self.confirmations_shown = 0
        self.requested = 0
        self.clear_failures = 0
        self.unknown = 0  # syncDevice timed out or answered 5xx: "the outcome is unknown" (Intune may have it)
        self.lost: list[str] = []
        self.double_clicks = 0
        self._conv = 0

    def take(self, n: int) -> bool:
        if self.budget < n:
            return False
        self.budget -= n
        return True

    async def post(self, text: str | None, user: tuple[str, str], conv: str, value: Any = None) -> list[dict]:
        activity: dict[str, Any] = {
            "type": "message", "id": f"a{time.monotonic_ns()}", "channelId": "msteams",
            "serviceUrl": self.service_url, "locale": "en-US",
            "from": {"id": f"29:{user[0]}", "name": user[1], "aadObjectId": user[0]},
            "recipient": {"id": "28:bot-id", "name": "Intune Helpdesk"},
            "conversation": {"id": conv, "conversationType": "personal", "tenantId": DEMO_IDS.tenant},
            "channelData": {"tenant": {"id": DEMO_IDS.tenant}}, "deliveryMode": "expectReplies",
        }
        if text is not None:
            activity["text"] = text
        if value is not None:
            activity["value"] = value
        start = time.perf_counter()
        async with self.client.post(self.url, json=activity) as resp:
            body = await resp.json() if resp.content_type == "application/json" else {}
        self.latencies.append(time.perf_counter() - start)
        self.statuses[resp.status] += 1
        return [a for a in (body.get("activities") or []) if a.get("type") == "message"] if resp.status == 200 else []

    async def sync_flow(self, user: tuple[str, str], conv: str) -> int:
        """One sync conversation; returns how many activities it sent (at most 4)."""
        replies = await self.post("sync my device", user, conv)
        picks = card_data(replies, "sync_pick")
        if not picks:
            return 1  # Graph failed while listing: the user got an error message, no card
        pick = self.rng.choice(picks)
        replies = await self.post(None, user, conv, value={"action": "sync_pick", "device_id": pick["device_id"]})
        confirms = card_data(replies, "sync_confirm")
        if not confirms:
            return 2  # cooldown, or Graph failed: nothing to confirm
        self.confirmations_shown += 1
        data = {"action": "sync_confirm", "confirmation": confirms[0]["confirmation"]}
        clicks = 2 if self.rng.random() < 0.25 else 1
        if clicks == 2:
            self.double_clicks += 1
            results = await asyncio.gather(*(self.post(None, user, conv, value=data) for _ in range(2)))
        else:
            results = [await self.post(None, user, conv, value=data)]
        shown = [texts(r) for r in results]
        if any("sync requested" in s for s in shown):
            self.requested += 1
        elif any("outcome is unknown" in s for s in shown):
            self.unknown += 1
        elif any(any(m.lower() in s for m in CLEAR_FAILURES) for s in shown):
            self.clear_failures += 1
        else:
            self.lost.append(" | ".join(shown)[:200])
        return 2 + clicks

    async def worker(self) -> None:
        self._conv += 1
        worker_id = self._conv
        turn = 0
        while True:
            roll = self.rng.random()
            turn += 1
            # A bounded set of conversations (each worker is one person coming back), so memory growth
            # measures leaks rather than the state of ever more new conversations.
            conv = f"load-{worker_id}-{turn % 4}"
            user = self.rng.choice(USERS)
            if roll < 0.4:
                if not self.take(1):
                    return
                await self.post(self.rng.choice(LOOKUPS), user, conv)
            elif roll < 0.7:
                if not self.take(1):
                    return
                await self.post(self.rng.choice(FAQ), user, conv)
            else:
                if not self.take(4):
                    if not self.take(1):
                        return
                    await self.post(self.rng.choice(LOOKUPS), user, conv)
                    continue
                used = await self.sync_flow(user, conv)
                self.budget += 4 - used  # give back what the flow did not use


async def main(activities: int, concurrency: int, seed: int, fault_rate: float, store_kind: str) -> int:
    import gc
    import logging
    import tempfile

    faults = FaultPlan.random(fault_rate, seed=seed, retry_after=0.05, delay=0.5)
    graph = FakeGraphServer(DemoTenant.load(), faults=faults, config=FakeGraphConfig(sync_delay=0.5))
    await graph.start()
    tmp = tempfile.TemporaryDirectory()
    storage_url = "memory://" if store_kind == "memory" else f"sqlite:///{tmp.name}/load.sqlite3"
    settings = Settings(storage_url=storage_url, sync_cooldown_s=0.05, completion_watch_s=1,
                        completion_poll_s=0.25, log_level="ERROR", helpdesk_group_ids=(DEMO_IDS.helpdesk_group,))
    services = await open_services(settings, store=MemoryStore() if store_kind == "memory" else None,
                                   graph_base_url=graph.base_url)
    app = create_app(settings, services=services)
    logging.getLogger().setLevel(logging.CRITICAL)
    # A plain session: aiohttp's TestClient keeps every response it returned, which would count as growth.
    server = TestServer(app)
    await server.start_server()
    url = str(server.make_url("/api/messages"))
    # Where the bot posts proactive "sync done" notices: a loopback stand-in for the Teams channel.
    delivered = collections.Counter()

    async def channel(request: web.Request) -> web.Response:
        delivered["notices"] += 1
        await request.read()
        return web.json_response({"id": "n"})

    sink = web.Application()
    sink.router.add_post("/v3/conversations/{conv}/activities/{act}", channel)
    sink.router.add_post("/v3/conversations/{conv}/activities", channel)
    sink_server = TestServer(sink)
    await sink_server.start_server()
    service_url = str(sink_server.make_url("/"))
    async with aiohttp.ClientSession() as client:
        warm = Load(client, url, min(1000, activities // 5), seed + 1000)
        warm.service_url = service_url
        await asyncio.gather(*(warm.worker() for _ in range(concurrency)))
        await asyncio.sleep(1.5)  # let completion watchers of the warm-up finish
        graph.state.requests.clear()  # the fake's own request log is the harness, not the bot
        gc.collect()
        rss_before = rss_kb()
        syncs_before = len(graph.state.sync_calls)
        load = Load(client, url, activities, seed)
        load.service_url = service_url
        start = time.perf_counter()
        await asyncio.gather(*(load.worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        await asyncio.sleep(1.5)
        graph_requests = len(graph.state.requests)
        graph.state.requests.clear()
        gc.collect()
        rss_after = rss_kb()
    # Every syncDevice call Graph accepted must have an audit record (an outcome, or an intent that reads
    # outcome_unknown), whatever failed around it.
    audited = sum(1 for e in await services.sync.audit_log() if e.outcome in ("requested", "outcome_unknown"))
    accepted_total = len(graph.state.sync_calls)
    await server.close()
    await sink_server.close()
    await services.close()
    sync_calls = list(graph.state.sync_calls)[syncs_before:]
    await graph.stop()
    tmp.cleanup()

    by_request = collections.Counter(c.client_request_id for c in sync_calls)
    retried_dupes = sum(n - 1 for n in by_request.values() if n > 1)
    # Every accepted syncDevice must belong to a confirmation the user saw as requested (or whose answer
    # was a timeout after Graph had accepted it); more than that is a duplicate.
    excess = max(0, len(sync_calls) - load.requested - load.unknown)
    unaudited = max(0, accepted_total - audited)
    lat = sorted(load.latencies)
    n = len(lat)
    p = lambda q: lat[min(n - 1, int(q * n))] * 1000  # noqa: E731
    errors = {s: c for s, c in sorted(load.statuses.items()) if s != 200}
    print(f"activities:        {n} at concurrency {concurrency}, Graph fault rate {fault_rate:.0%} (seed {seed})")
    print(f"elapsed:           {elapsed:.1f} s  -> {n / elapsed:.0f} activities/s")
    print(f"latency:           p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1] * 1000:.0f} ms, "
          f"mean {statistics.fmean(lat) * 1000:.1f} ms")
    print(f"HTTP non-200:      {errors or 'none'}  (5xx: {sum(c for s, c in errors.items() if s >= 500)})")
    print(f"Graph requests:    {graph_requests}; proactive notices delivered: {delivered['notices']}")
    print(f"confirmations:     {load.confirmations_shown} shown, {load.requested} 'Sync requested', "
          f"{load.unknown} outcome unknown, {load.clear_failures} clear failures, {len(load.lost)} lost; "
          f"{load.double_clicks} double-clicked")
    print(f"audit:             {audited} sync records for {accepted_total} syncDevice calls accepted "
          f"(warm-up included); without a record: {unaudited}")
    print(f"syncDevice:        {len(sync_calls)} accepted by the fake; duplicates: {retried_dupes} by retry "
          f"(same client-request-id), {excess} more than confirmations requested")
    for sample in load.lost[:5]:
        print(f"  lost: {sample}")
    growth = (rss_after - rss_before) / 1024
    print(f"memory:            RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MB after warm-up "
          f"({growth:+.1f} MB; target < 20 MB; store: {store_kind})")
    bad = (sum(c for s, c in errors.items() if s >= 500) + retried_dupes + excess + len(load.lost) + unaudited
           + (growth >= 20))
    return 1 if bad else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite",
                        help="state store (sqlite: the production default)")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.activities, args.concurrency, args.seed, args.fault_rate, args.store)))
