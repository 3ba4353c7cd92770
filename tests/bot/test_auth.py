"""Bot Framework authentication with an app id configured, fully offline.

A local OpenID metadata + JWKS server (tests/bot/openid_fixture.py, in a thread) stands in for
login.botframework.com; tokens are signed RS256 as the Bot Connector signs them. Every bad token
must give 401, never 500, and nothing may leave the machine: a guard refuses any connection or
name lookup that is not loopback.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import JwtTokenExtractor

import bot.app
from bot.app import create_app
from bot.services import open_services
from bot.settings import Settings
from intune.demo_tenant import DEMO_IDS
from intune.fake_graph import FakeGraphServer
from storage import MemoryStore
from tests.bot.conftest import teams_activity, texts
from tests.bot.openid_fixture import ISSUER, OpenIdFixture

APP_ID = "6f1c2a9e-0b7d-4c55-9a3e-2d8f1e4b7a10"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"  # never contacted: replies come back as expectReplies


def _is_loopback(host: Any) -> bool:
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuse (and record) every connection or DNS lookup that is not loopback."""
    attempts: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            attempts.append(address)
            raise ConnectionRefusedError(f"test guard: no network beyond loopback ({address!r})")

    def connect(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host.decode() if isinstance(host, bytes) else host):
            attempts.append(host)
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"a test tried to reach the network: {attempts}"


@pytest.fixture
def openid() -> Iterator[OpenIdFixture]:
    JwtTokenExtractor.metadataCache.clear()
    server = OpenIdFixture().start()
    yield server
    server.stop()
    JwtTokenExtractor.metadataCache.clear()


@pytest.fixture
def auth_settings(openid: OpenIdFixture) -> Settings:
    return Settings(app_id=APP_ID, app_password="not-a-real-secret", storage_url="memory://",
                    openid_metadata_url=openid.metadata_url, token_issuer=ISSUER,
                    helpdesk_group_ids=(DEMO_IDS.helpdesk_group,))


@pytest.fixture
async def auth_client(auth_settings: Settings, openid: OpenIdFixture, fake_graph: FakeGraphServer,
                      monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TestClient]:
    class LocalLogin(bot.app._AuthConfig):
        """Should the SDK ever want an outbound token, it would ask the fixture, not AAD."""

        def __init__(self, s: Settings) -> None:
            super().__init__(s)
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = openid.login_url

    monkeypatch.setattr(bot.app, "_AuthConfig", LocalLogin)
    services = await open_services(auth_settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
    app = create_app(auth_settings, services=services)
    async with TestClient(TestServer(app)) as c:
        yield c
    await services.close()


def _activity(text: str = "0x87D1FDE8") -> dict[str, Any]:
    return teams_activity(text, service_url=SERVICE_URL)


async def _post(client: TestClient, headers: dict[str, str], activity: dict[str, Any] | None = None) -> Any:
    return await client.post("/api/messages", json=activity or _activity(), headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_valid_token_is_accepted_and_answered(auth_client: TestClient, openid: OpenIdFixture) -> None:
    resp = await _post(auth_client, _bearer(openid.token(app_id=APP_ID, service_url=SERVICE_URL)))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert "0x87D1FDE8" in texts(body["activities"])
    assert ("GET", "/keys") in openid.hits  # the keys really came from the local metadata
    assert openid.token_requests == 0  # expectReplies needs no outbound token


async def test_metadata_is_fetched_once_and_cached(auth_client: TestClient, openid: OpenIdFixture) -> None:
    for _ in range(3):
        resp = await _post(auth_client, _bearer(openid.token(app_id=APP_ID, service_url=SERVICE_URL)))
        assert resp.status == 200
    assert openid.hits.count(("GET", "/keys")) == 1
    assert list(JwtTokenExtractor.metadataCache) == [openid.metadata_url]


async def test_invoke_with_valid_token(auth_client: TestClient, openid: OpenIdFixture) -> None:
    invoke = teams_activity(activity_type="invoke", service_url=SERVICE_URL,
                            value={"action": {"type": "Action.Execute", "verb": "noop", "data": {}}})
    invoke["name"] = "adaptiveCard/action"  # teams_activity's name= is the user's
    invoke.pop("deliveryMode")
    resp = await _post(auth_client, _bearer(openid.token(app_id=APP_ID, service_url=SERVICE_URL)), invoke)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["statusCode"] == 200


def _bad_tokens(openid: OpenIdFixture) -> dict[str, str]:
    now = time.time()
    return {
        "expired": openid.token(app_id=APP_ID, service_url=SERVICE_URL, not_before=now - 7200, expires=now - 3600),
        "not yet valid": openid.token(app_id=APP_ID, service_url=SERVICE_URL, not_before=now + 3600,
                                      expires=now + 7200),
        "wrong audience": openid.token(app_id="00000000-0000-0000-0000-000000000000", service_url=SERVICE_URL),
        "wrong issuer": openid.token(app_id=APP_ID, service_url=SERVICE_URL, issuer="https://evil.example.com"),
        "wrong serviceurl": openid.token(app_id=APP_ID, service_url="https://attacker.example.com/"),
        "no serviceurl": openid.token(app_id=APP_ID, service_url=""),
        "bad signature": openid.token(app_id=APP_ID, service_url=SERVICE_URL, rogue=True),
        "unknown kid": openid.token(app_id=APP_ID, service_url=SERVICE_URL, kid="no-such-key"),
    }


@pytest.mark.parametrize("case", ["expired", "not yet valid", "wrong audience", "wrong issuer", "wrong serviceurl",
                                  "no serviceurl", "bad signature", "unknown kid"])
async def test_bad_token_is_401(auth_client: TestClient, openid: OpenIdFixture, case: str) -> None:
    resp = await _post(auth_client, _bearer(_bad_tokens(openid)[case]))
    assert resp.status == 401, (case, resp.status, await resp.text())
    body = await resp.json()
    assert body["error"]["status"] == 401
    assert "Traceback" not in await resp.text()


async def test_tampered_payload_is_401(auth_client: TestClient, openid: OpenIdFixture) -> None:
    """A valid signature over other claims: swap the payload of a good token for another's."""
    good = openid.token(app_id=APP_ID, service_url=SERVICE_URL)
    other = openid.token(app_id=APP_ID, service_url=SERVICE_URL, lifetime=99999)
    header, _, signature = good.split(".")
    forged = ".".join([header, other.split(".")[1], signature])
    resp = await _post(auth_client, _bearer(forged))
    assert resp.status == 401


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer abc"},
    {"Authorization": "Bearer a.b.c"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer"},
    {"Authorization": ""},
    {},
    {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
    {"Authorization": "bearer x.y.z"},
    {"Authorization": "Bearer two parts"},
], ids=["malformed", "three-garbage-parts", "empty-token", "scheme-only", "empty-header", "missing", "basic",
        "lowercase-scheme", "three-words"])
async def test_malformed_or_missing_authorization_is_401(auth_client: TestClient, headers: dict[str, str]) -> None:
    resp = await _post(auth_client, headers)
    assert resp.status == 401, (headers, resp.status, await resp.text())


async def test_non_bearer_scheme_with_a_valid_token_is_401(auth_client: TestClient, openid: OpenIdFixture) -> None:
    token = openid.token(app_id=APP_ID, service_url=SERVICE_URL)
    resp = await _post(auth_client, {"Authorization": f"JWT {token}"})
    assert resp.status == 401


async def test_key_not_endorsed_for_the_channel_is_401(fake_graph: FakeGraphServer) -> None:
    JwtTokenExtractor.metadataCache.clear()
    other = OpenIdFixture(endorsements=("skype",)).start()
    try:
        settings = Settings(app_id=APP_ID, app_password="x", storage_url="memory://",
                            openid_metadata_url=other.metadata_url, token_issuer=ISSUER)
        services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
        async with TestClient(TestServer(create_app(settings, services=services))) as client:
            resp = await _post(client, _bearer(other.token(app_id=APP_ID, service_url=SERVICE_URL)))
            assert resp.status == 401
        await services.close()
    finally:
        other.stop()
        JwtTokenExtractor.metadataCache.clear()


async def test_unreachable_metadata_is_401_not_500(fake_graph: FakeGraphServer, openid: OpenIdFixture) -> None:
    """Metadata that cannot be fetched refuses the request (and does not crash the endpoint)."""
    settings = Settings(app_id=APP_ID, app_password="x", storage_url="memory://",
                        openid_metadata_url=openid.base_url + "/missing", token_issuer=ISSUER)
    services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
    async with TestClient(TestServer(create_app(settings, services=services))) as client:
        resp = await _post(client, _bearer(openid.token(app_id=APP_ID, service_url=SERVICE_URL)))
        assert resp.status == 401
    await services.close()


async def test_auth_config_fills_public_cloud_defaults_when_an_endpoint_is_set() -> None:
    """Any endpoint switches the SDK to parameterized auth, which has no defaults of its own."""
    cfg = bot.app._AuthConfig(Settings(app_id=APP_ID, openid_metadata_url="http://127.0.0.1:1/meta"))
    assert cfg.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL == "http://127.0.0.1:1/meta"
    assert cfg.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER == "https://api.botframework.com"
    assert cfg.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE == "https://api.botframework.com"
    assert cfg.TO_CHANNEL_FROM_BOT_LOGIN_URL == "https://login.microsoftonline.com/"
    assert cfg.CALLER_ID == "urn:botframework:azure"
    plain = bot.app._AuthConfig(Settings(app_id=APP_ID))
    assert not hasattr(plain, "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL")  # built-in public cloud path


async def test_only_metadata_url_configured_still_accepts_botframework_tokens(
        openid: OpenIdFixture, fake_graph: FakeGraphServer) -> None:
    """Without the defaults, the token issuer was None and every valid token was refused."""
    settings = Settings(app_id=APP_ID, app_password="x", storage_url="memory://",
                        openid_metadata_url=openid.metadata_url)
    services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
    async with TestClient(TestServer(create_app(settings, services=services))) as client:
        resp = await _post(client, _bearer(openid.token(app_id=APP_ID, service_url=SERVICE_URL)))
        assert resp.status == 200, await resp.text()
    await services.close()


async def test_local_mode_with_test_endpoints_accepts_requests_without_a_header(
        openid: OpenIdFixture, fake_graph: FakeGraphServer) -> None:
    """No app id: local mode, even when the OpenID endpoints are configured (parameterized auth)."""
    settings = Settings(storage_url="memory://", openid_metadata_url=openid.metadata_url, token_issuer=ISSUER)
    services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
    async with TestClient(TestServer(create_app(settings, services=services))) as client:
        resp = await _post(client, {})
        assert resp.status == 200, await resp.text()
    await services.close()


def test_the_network_guard_refuses_anything_but_loopback(loopback_only: list[Any]) -> None:
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: refused by the guard before any packet leaves
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("login.microsoftonline.com", 443)
    assert loopback_only == [("192.0.2.1", 443), "login.microsoftonline.com"]
    loopback_only.clear()
    assert socket.getaddrinfo("127.0.0.1", 80)
