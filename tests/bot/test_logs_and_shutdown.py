"""Operations: structured logs that keep secrets and message text out, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.logs import REQUEST_ID, JsonFormatter, redact
from tests.bot.conftest import teams_activity

ROOT = Path(__file__).resolve().parents[2]


def test_json_log_lines_carry_the_request_id_and_no_tokens() -> None:
    token = REQUEST_ID.set("req-42")
    try:
        record = logging.LogRecord("bot", logging.INFO, __file__, 1,
                                   "calling Graph with Authorization: Bearer eyJhbGciOi.secret.sig", None, None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["request_id"] == "req-42" and line["level"] == "info"
    assert "eyJhbGciOi" not in line["msg"] and "[redacted]" in line["msg"]
    assert "hunter2" not in redact("client_secret=hunter2&grant_type=client_credentials")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
async def test_sigterm_stops_the_bot_cleanly_and_logs_no_message_text(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1",
           "STORAGE_URL": f"sqlite:///{tmp_path}/bot.sqlite3", "LOG_LEVEL": "INFO"}
    env.pop("MicrosoftAppId", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for _ in range(150):
                try:
                    async with http.get(f"{base}/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                time.sleep(0.1)
            else:
                pytest.fail("the bot did not become ready")
            activity = teams_activity("my password is hunter2, what is 0x87D1FDE8?")
            async with http.post(f"{base}/api/messages", json=activity) as resp:
                assert resp.status == 200
                assert "0x87D1FDE8" in await resp.text()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    log = stderr.decode()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert lines and all("request_id" in line for line in lines)
    assert "hunter2" not in log
