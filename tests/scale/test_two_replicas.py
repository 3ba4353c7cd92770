"""Two real bot processes sharing one Redis and one fake Graph: any replica can serve any turn.

The fake Graph runs in-process on 127.0.0.1 (so its state is inspected directly); the bots are
``python -m bot`` subprocesses in demo mode pointed at it through DEMO_GRAPH_URL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from intune.demo_tenant import DEMO_IDS, DemoTenant
from intune.fake_graph import FakeGraphConfig, FakeGraphServer
from tests.bot.conftest import action_data, card_actions, teams_activity, texts

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    def __init__(self, name: str, redis_url: str, graph_url: str, logdir: str) -> None:
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PORT": str(self.port), "HOST": "127.0.0.1", "STORAGE_URL": redis_url,
               "DEMO_GRAPH_URL": graph_url, "SYNC_WATCH_SECONDS": "1", "SYNC_POLL_SECONDS": "0.2",
               "LOG_LEVEL": "WARNING",
               "SYNC_COOLDOWN_SECONDS": "0.5"}  # the Redis is shared by the session: no cooldown carry-over
        for key in ("MicrosoftAppId", "MicrosoftAppPassword", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"):
            env.pop(key, None)
        self.log = open(os.path.join(logdir, f"bot-{name}.log"), "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "bot"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    async def wait_ready(self, session: aiohttp.ClientSession, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"replica {self.name} exited: {self.logtext()}"
            try:
                async with session.get(f"{self.url}/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise AssertionError(f"replica {self.name} not ready: {self.logtext()}")

    def logtext(self) -> str:
        self.log.flush()
        with open(self.log.name, errors="replace") as fh:
            return fh.read()[-3000:]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Cluster:
    def __init__(self, graph: FakeGraphServer, a: Replica, b: Replica, session: aiohttp.ClientSession):
        self.graph, self.a, self.b, self.session = graph, a, b, session

    async def post(self, replica: Replica, activity: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.session.post(f"{replica.url}/api/messages", json=activity) as r:
            assert r.status == 200, await r.text()
            body = await r.json() if r.content_type == "application/json" else {}
        return [a for a in (body.get("activities") or []) if a.get("type") == "message"]

    async def say(self, replica: Replica, text: str | None, conv: str, **kw: Any) -> list[dict[str, Any]]:
        return await self.post(replica, teams_activity(text, conversation=conv, **kw))


@pytest.fixture
async def cluster(redis_url: str, tmp_path: Any) -> AsyncIterator[Cluster]:
    graph = FakeGraphServer(DemoTenant.load(), config=FakeGraphConfig(sync_delay=0.2))
    await graph.start()
    replicas: list[Replica] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            for name in ("a", "b"):
                replicas.append(Replica(name, redis_url, graph.base_url, str(tmp_path)))
            for r in replicas:
                await r.wait_ready(session)
            yield Cluster(graph, replicas[0], replicas[1], session)
    finally:
        for r in replicas:
            r.stop()
        await graph.stop()


def confirmations(replies: list[dict[str, Any]]) -> list[str]:
    return [a["data"]["confirmation"] for a in card_actions(replies)
            if a.get("type") == "Action.Execute" and a.get("verb") == "syncConfirm"]


async def test_conversation_moves_between_replicas(cluster: Cluster) -> None:
    conv = f"conv-{uuid.uuid4()}"
    replies = await cluster.say(cluster.a, "sync my device", conv)
    assert len(action_data(replies, "sync_pick")) == 3, texts(replies)
    replies = await cluster.say(cluster.b, "1", conv)
    assert len(confirmations(replies)) == 1, texts(replies)
    replies = await cluster.say(cluster.a, "yes", conv)
    assert "Sync requested" in texts(replies)
    assert len(cluster.graph.state.sync_calls) == 1


async def test_same_confirmation_on_both_replicas_syncs_once(cluster: Cluster) -> None:
    users = [(DEMO_IDS.alice, DEMO_IDS.alice_pc), (DEMO_IDS.bob, DEMO_IDS.bob_pc),
             (DEMO_IDS.chloe, DEMO_IDS.chloe_iphone)]
    for user, device in users:
        conv = f"conv-{uuid.uuid4()}"
        replies = await cluster.post(cluster.a, teams_activity(
            conversation=conv, user=user, value={"action": "sync_pick", "device_id": device}))
        ids = confirmations(replies)
        assert len(ids) == 1, texts(replies)
        data = {"action": "sync_confirm", "confirmation": ids[0]}
        results = await asyncio.gather(*(
            cluster.post(replica, teams_activity(conversation=conv, user=user, value=data))
            for _ in range(4) for replica in (cluster.a, cluster.b)))
        shown = [texts(r) for r in results]
        assert sum("Sync requested" in s for s in shown) == 1, shown
        assert len(cluster.graph.state.sync_calls_for(device)) == 1
    assert len(cluster.graph.state.sync_calls) == len(users)


async def test_replica_killed_mid_conversation(cluster: Cluster) -> None:
    conv = f"conv-{uuid.uuid4()}"
    replies = await cluster.say(cluster.a, "sync my device", conv)
    assert action_data(replies, "sync_pick"), texts(replies)
    replies = await cluster.say(cluster.a, "1", conv)
    assert len(confirmations(replies)) == 1, texts(replies)
    cluster.a.proc.send_signal(signal.SIGKILL)
    cluster.a.proc.wait(10)
    replies = await cluster.say(cluster.b, "yes", conv)
    assert "Sync requested" in texts(replies)
    assert len(cluster.graph.state.sync_calls) == 1
