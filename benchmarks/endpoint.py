"""Requests/s and latency of lookup turns vs a bare echo bot on the same adapter, concurrency 16.

Run from the repo root: `python benchmarks/endpoint.py [--requests 800] [--concurrency 16]`.
Target (issue 3): lookup turns reach at least 0.7x the echo bot's throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import sdk_fixes
from bot.app import _AuthConfig, create_app
from bot.settings import Settings

QUERIES = ["0x87D1FDE8", "Profile not manged", "is the activation lock bypass code case sensitive?",
           "-2016324099", "j'ai ce message : impossible de créer le compte", "SyncML(404)"]


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


def echo_app(settings: Settings) -> web.Application:
    sdk_fixes.apply_all()
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_AuthConfig(settings)))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def activity(text: str, i: int) -> dict:
    return {"type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "text": text,
            "serviceUrl": "http://127.0.0.1:9/", "locale": "en-US", "deliveryMode": "expectReplies",
            "from": {"id": f"29:user-{i % 50}", "aadObjectId": f"user-{i % 50}"},
            "recipient": {"id": "28:bot"}, "conversation": {"id": f"conv-{i % 50}", "conversationType": "personal"}}


async def drive(url: str, n: int, concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(n))
    async with aiohttp.ClientSession() as http:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                t0 = time.perf_counter()
                async with http.post(url, json=activity(QUERIES[i % len(QUERIES)], i)) as resp:
                    await resp.read()
                    errors += resp.status != 200
                latencies.append(time.perf_counter() - t0)

        for _ in range(32):  # warm-up
            async with http.post(url, json=activity("0x87D1FDE8", 0)) as resp:
                await resp.read()
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return n / elapsed, latencies, errors


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/api/messages"


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=800)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    settings = Settings(storage_url="memory://", log_level="WARNING")
    results = {}
    for name, app in (("echo bot", echo_app(settings)), ("lookup turns", create_app(settings))):
        runner, url = await serve(app)
        rps, lat, errors = await drive(url, args.requests, args.concurrency)
        await runner.cleanup()
        results[name] = rps
        print(f"{name:13s} {rps:7.1f} req/s  p50 {statistics.median(lat) * 1000:6.1f} ms  "
              f"p99 {pct(lat, 0.99):6.1f} ms  errors {errors}  ({args.requests} requests, concurrency "
              f"{args.concurrency})")
    print(f"ratio lookup/echo: {results['lookup turns'] / results['echo bot']:.2f} (target >= 0.70)")


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
