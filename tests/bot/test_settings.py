"""Configuration fails safe (issue 16, item 1-2): a deployment with a forgotten or mistyped variable
refuses to start with one line naming it, instead of serving the fake demo tenant to real users."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import RUNTIME, create_app
from bot.services import open_services
from bot.settings import ConfigError, Settings, load_env_file
from intune.fake_graph import FakeGraphServer
from intune.graph_client import StaticTokenProvider
from storage import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
APP = {"MicrosoftAppId": "6f1c2a9e-0b7d-4c55-9a3e-2d8f1e4b7a10", "MicrosoftAppPassword": "pw"}
GRAPH = {"GRAPH_TENANT_ID": "t", "GRAPH_CLIENT_ID": "c", "GRAPH_CLIENT_SECRET": "s"}


def _error(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("missing", ["GRAPH_CLIENT_SECRET", "GRAPH_CLIENT_ID", "GRAPH_TENANT_ID"])
def test_half_set_graph_credentials_refuse_to_start_naming_the_missing_one(missing: str) -> None:
    env = {**APP, **GRAPH}
    del env[missing]
    if missing == "GRAPH_TENANT_ID" and "GRAPH_CLIENT_ID" not in env:
        pytest.skip("only a tenant id: that is no Graph credential at all")
    assert _error(env).startswith(missing)


def test_the_app_tenant_counts_as_the_graph_tenant() -> None:
    env = {**APP, "MicrosoftAppTenantId": "t", "GRAPH_CLIENT_ID": "c", "GRAPH_CLIENT_SECRET": "s"}
    settings = Settings.from_env(env)
    assert not settings.demo_tenant and settings.graph_tenant_id == "t"


def test_the_demo_tenant_behind_real_authentication_needs_demo_tenant_1() -> None:
    assert _error(APP).startswith("DEMO_TENANT")
    settings = Settings.from_env({**APP, "DEMO_TENANT": "1"})
    assert settings.demo_tenant and settings.auth_enabled


def test_demo_tenant_1_with_graph_credentials_is_a_contradiction() -> None:
    assert _error({**APP, **GRAPH, "DEMO_TENANT": "1"}).startswith("DEMO_TENANT")


def test_local_mode_needs_nothing() -> None:
    settings = Settings.from_env({})
    assert settings.demo_tenant and not settings.auth_enabled


@pytest.mark.parametrize("name,value", [("PORT", "38x"), ("PORT", "70000"), ("SYNC_COOLDOWN_SECONDS", "five"),
                                        ("CONFIRMATION_TTL_SECONDS", "nan"), ("SYNC_COOLDOWN_SECONDS", "inf"), ("MAX_BODY_BYTES", "1e6"),
                                        ("BODY_TIMEOUT_SECONDS", "-1"), ("SYNC_POLL_SECONDS", "0"),
                                        ("LOG_MESSAGE_TEXT", "maybe"), ("DEMO_TENANT", "oui")])
def test_a_malformed_number_or_flag_names_the_variable(name: str, value: str) -> None:
    message = _error({name: value})
    assert message.startswith(name) and repr(value) in message


@pytest.mark.parametrize("url", ["postgres://db/x", "redis:/host", "sqlite:relative.db", "/var/x.db", ""])
def test_a_bad_storage_url_refuses_to_start(url: str) -> None:
    assert _error({"STORAGE_URL": url}).startswith("STORAGE_URL")


@pytest.mark.parametrize("url", ["memory://", "sqlite:///var/x.db", "sqlite:////tmp/x.db", "redis://r:6379/0",
                                 "rediss://:key@cache.redis.cache.windows.net:6380/0"])
def test_good_storage_urls_are_accepted(url: str) -> None:
    assert Settings.from_env({"STORAGE_URL": url}).storage_url == url


def test_a_password_without_an_app_id_refuses_to_start() -> None:
    assert _error({"MicrosoftAppPassword": "pw"}).startswith("MicrosoftAppId")


def test_the_secret_is_not_in_the_error_or_the_repr() -> None:
    env = {**APP, "GRAPH_CLIENT_ID": "c", "GRAPH_CLIENT_SECRET": "hunter2-secret"}
    assert "hunter2" not in _error(env)
    assert "hunter2" not in repr(Settings.from_env({**APP, **GRAPH, "GRAPH_CLIENT_SECRET": "hunter2"}))


def test_python_m_bot_refuses_to_start_with_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPH_", "Microsoft", "DEMO_"))}
    env.update(APP, GRAPH_CLIENT_ID="c", GRAPH_TENANT_ID="t", PORT="0", ENV_FILE="")
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("configuration error: GRAPH_CLIENT_SECRET"), proc.stderr


# -- .env ------------------------------------------------------------------------------------------------
def test_env_file_fills_the_gaps_and_never_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# a comment\nSYNC_COOLDOWN_SECONDS=42\nPORT=4000\nLOG_LEVEL='debug'\n")
    monkeypatch.setenv("PORT", "5000")
    monkeypatch.delenv("SYNC_COOLDOWN_SECONDS", raising=False)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.delenv("ENV_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_env_file() == ".env"
    settings = Settings.from_env()
    assert (settings.port, settings.sync_cooldown_s, settings.log_level) == (5000, 42.0, "DEBUG")


def test_no_env_file_is_fine_but_a_named_missing_one_is_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENV_FILE", raising=False)
    assert load_env_file() is None
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "prod.env"))
    with pytest.raises(ConfigError, match="ENV_FILE"):
        load_env_file()


def test_env_is_ignored_by_git_and_the_example_lists_every_variable() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    example = (ROOT / ".env.example").read_text()
    source = inspect.getsource(Settings.from_env)
    names = {a or b for a, b in re.findall(r'\(e, "(\w+)"|e\.get\("(\w+)"', source)} | {"ENV_FILE"}
    assert {"PORT", "GRAPH_CLIENT_SECRET", "DEMO_TENANT", "MicrosoftAppId"} <= names
    listed = set(re.findall(r"^#?\s*([A-Za-z_]+)=", example, re.MULTILINE))
    assert names - listed == set(), f"missing from .env.example: {sorted(names - listed)}"
    for name in listed:  # each with a comment line just above
        block = example.split(f"{name}=")[0].rstrip("#").rstrip().splitlines()
        assert block and block[-1].lstrip().startswith("#"), name


# -- /readyz in real mode ------------------------------------------------------------------------------
async def test_readyz_checks_a_graph_token_and_caches_the_answer(fake_graph: FakeGraphServer) -> None:
    settings = Settings(storage_url="memory://")
    services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
    calls: list[int] = []

    async def no_token() -> str:
        calls.append(1)
        raise RuntimeError("AADSTS7000215: invalid client secret")

    services.graph_token = no_token
    async with TestClient(TestServer(create_app(settings, services=services))) as client:
        for _ in range(5):
            resp = await client.get("/readyz")
            assert resp.status == 503
            assert await resp.json() == {"status": "not ready", "store": True, "graph": False}
        assert len(calls) == 1  # probes every few seconds cost one token request per 15 s
        assert client.server.app[RUNTIME].graph_probe is not None
    await services.close()


async def test_readyz_is_ready_with_a_token(fake_graph: FakeGraphServer) -> None:
    settings = Settings(storage_url="memory://")
    services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
    services.graph_token = StaticTokenProvider("tok").get_token
    async with TestClient(TestServer(create_app(settings, services=services))) as client:
        resp = await client.get("/readyz")
        assert resp.status == 200
        assert await resp.json() == {"status": "ready", "store": True, "graph": True}
    await services.close()


async def test_real_mode_services_offer_a_token_check() -> None:
    settings = Settings.from_env({**GRAPH, "STORAGE_URL": "memory://", "GRAPH_AUTHORITY_HOST": "https://127.0.0.1:9"})
    services = await open_services(settings)
    try:
        assert services.graph_token is not None
    finally:
        await services.close()


def test_a_port_in_use_is_one_line_not_a_traceback() -> None:
    import socket

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPH_", "Microsoft", "DEMO_"))}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env.update(HOST="127.0.0.1", PORT=str(taken.getsockname()[1]), STORAGE_URL="memory://", ENV_FILE="")
        proc = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "cannot listen on 127.0.0.1" in proc.stderr, proc.stderr
