"""Requests/s and latency of lookup turns vs a bare echo bot on the same adapter, concurrency 16.

Run from the repo root: `python benchmarks/endpoint.py [--requests 1000] [--rounds 5] [--concurrency 16]`.
Target (issue 3): lookup turns reach at least 0.7x the echo bot's throughput.

Each bot runs in its own process (as in production, served as `python -m bot` serves) and the load
comes from this one, so the load generator does not eat the bot's event loop. Both bots are measured
the same way, in alternating rounds; each is reported by its median round, and the ratio is the median
of each round's lookup/echo ratio: a burst of noise on a shared machine then shifts one round, not the
result.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import sdk_fixes
from bot.app import _AuthConfig
from bot.server import freeze_startup_objects, serving_app
from bot.settings import Settings

QUERIES = ["0x87D1FDE8", "Profile not manged", "is the activation lock bypass code case sensitive?",
           "-2016324099", "j'ai ce message : impossible de créer le compte", "SyncML(404)"]


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


def echo_app(settings: Settings) -> web.Application:
    sdk_fixes.apply_all()
    # The same adapter as the helpdesk bot (bot/app.py), so the ratio measures the bot, not the SDK.
    adapter = sdk_fixes.HelpdeskCloudAdapter(
        sdk_fixes.SafeAuthentication(ConfigurationBotFrameworkAuthentication(_AuthConfig(settings))))
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


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/api/messages"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _serve_forever(kind: str, port: int) -> None:
    settings = Settings(storage_url="memory://", log_level="WARNING")
    await serve(echo_app(settings) if kind == "echo" else serving_app(settings), port)
    freeze_startup_objects()  # as `python -m bot` does; both bots alike
    await asyncio.Event().wait()


async def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            if proc.poll() is not None:
                raise RuntimeError("the bot process exited")
            try:
                async with http.post(url, json=activity("hi", 0)) as resp:
                    await resp.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError("the bot did not start")


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000, help="requests per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--serve", choices=("echo", "lookup"), help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        await _serve_forever(args.serve, args.port)
        return
    bots = {"echo bot": "echo", "lookup turns": "lookup"}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    rounds: dict[str, list[tuple[float, list[float], int]]] = {name: [] for name in bots}
    try:
        for name, kind in bots.items():
            port = _free_port()
            procs[name] = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)],
                                           stderr=subprocess.DEVNULL, env={**os.environ, "LOG_LEVEL": "ERROR"})
            urls[name] = f"http://127.0.0.1:{port}/api/messages"
            await _wait_up(urls[name], procs[name])
        for _ in range(args.rounds):
            for name in bots:
                rounds[name].append(await drive(urls[name], args.requests, args.concurrency))
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=10)
    for name in bots:
        rps, lat, _ = sorted(rounds[name], key=lambda r: r[0])[len(rounds[name]) // 2]
        every = " ".join(f"{r[0]:.0f}" for r in rounds[name])
        print(f"{name:13s} {rps:7.1f} req/s  p50 {statistics.median(lat) * 1000:6.1f} ms  "
              f"p99 {pct(lat, 0.99):6.1f} ms  errors {sum(r[2] for r in rounds[name])}  (median of rounds: {every}; "
              f"{args.requests} requests each, concurrency {args.concurrency})")
    # Each lookup round against the echo round just before it: a slow spell on a shared machine moves both.
    ratios = sorted(lookup[0] / echo[0] for echo, lookup in zip(rounds["echo bot"], rounds["lookup turns"], strict=True))
    ratio = ratios[len(ratios) // 2]
    print(f"ratio lookup/echo: {ratio:.2f} (target >= 0.70; median of the rounds' ratios: "
          f"{' '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
