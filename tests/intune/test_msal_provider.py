"""MsalTokenProvider against the fake Entra token endpoint (HTTPS, since MSAL only accepts https authorities)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from intune import (
    DEMO_IDS,
    CertificateCredential,
    DemoTenant,
    GraphAuthError,
    GraphClient,
    MsalTokenProvider,
)
from intune.fake_graph import FakeGraphConfig, FakeGraphServer

from .conftest import FAST_RETRY, FakeClock


def _client_certificate() -> tuple[str, str, str]:
    """(private key PEM, certificate PEM, SHA-1 thumbprint) of a throwaway app certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intune-helpdesk-bot")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return key_pem, cert_pem, thumbprint


@pytest.fixture(scope="module")
def client_cert() -> tuple[str, str, str]:
    return _client_certificate()


@pytest.fixture
def config(client_cert: tuple[str, str, str]) -> FakeGraphConfig:
    return FakeGraphConfig(client_certificates=(client_cert[1],))


@pytest.fixture
async def tls_fake(tenant: DemoTenant, config: FakeGraphConfig) -> AsyncIterator[FakeGraphServer]:
    async with FakeGraphServer(tenant, config=config, tls=True) as server:
        yield server


def _provider(server: FakeGraphServer, **kwargs: object) -> MsalTokenProvider:
    kwargs.setdefault("client_secret", "demo-secret")
    return MsalTokenProvider(
        server.state.tenant.tenant_id,
        "demo-client",
        authority=server.authority,
        verify=server.ca_file,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_one_token_request_for_many_graph_calls(tls_fake: FakeGraphServer) -> None:
    provider = _provider(tls_fake)
    connector = aiohttp.TCPConnector(ssl=tls_fake.client_ssl_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        graph = GraphClient(provider, session=session, base_url=tls_fake.base_url, retry=FAST_RETRY)
        for _ in range(5):
            assert (await graph.get_user("alice@contoso.com")).id == DEMO_IDS.alice
        await asyncio.gather(*(graph.get_device(DEMO_IDS.alice_pc) for _ in range(10)))
    provider.close()

    assert len(tls_fake.state.token_requests) == 1
    request = tls_fake.state.token_requests[0]
    assert request["grant_type"] == "client_credentials"
    assert request["scope"] == "https://graph.microsoft.com/.default"
    assert request["auth"] == "secret"


async def test_concurrent_callers_share_one_acquisition(tls_fake: FakeGraphServer) -> None:
    provider = _provider(tls_fake)
    tokens = await asyncio.gather(*(provider.get_token() for _ in range(10)))
    provider.close()
    assert len(set(tokens)) == 1
    assert len(tls_fake.state.token_requests) == 1


async def test_token_is_renewed_before_expiry(tenant: DemoTenant) -> None:
    # A 2-minute token: MSAL's own cache treats it as stale (it keeps a 5-minute margin), so renewal is ours.
    async with FakeGraphServer(tenant, config=FakeGraphConfig(token_lifetime=120), tls=True) as server:
        clock = FakeClock()
        provider = _provider(server, refresh_margin=60, clock=clock)
        first = await provider.get_token()
        clock.advance(30)
        assert await provider.get_token() == first  # 90 s left > 60 s margin: cached
        clock.advance(45)
        second = await provider.get_token()  # 45 s left < margin: renewed
        provider.close()
    assert second != first
    assert len(server.state.token_requests) == 2


async def test_expired_token_rejected_by_graph_is_replaced(tenant: DemoTenant) -> None:
    async with FakeGraphServer(tenant, config=FakeGraphConfig(token_lifetime=1), tls=True) as server:
        provider = _provider(server, refresh_margin=0, clock=FakeClock())  # frozen clock: we never see expiry
        connector = aiohttp.TCPConnector(ssl=server.client_ssl_context())
        async with aiohttp.ClientSession(connector=connector) as session:
            graph = GraphClient(provider, session=session, base_url=server.base_url, retry=FAST_RETRY)
            await graph.get_user("alice@contoso.com")
            await asyncio.sleep(1.1)
            user = await graph.get_user("bob@contoso.com")  # 401 expired -> invalidate -> new token -> 200
        provider.close()
    assert user.id == DEMO_IDS.bob
    assert len(server.state.token_requests) == 2
    assert [r.status for r in server.state.requests if r.path.startswith("/users/")] == [200, 401, 200]


async def test_certificate_credential(tls_fake: FakeGraphServer, client_cert: tuple[str, str, str]) -> None:
    key_pem, _, thumbprint = client_cert
    provider = MsalTokenProvider(
        tls_fake.state.tenant.tenant_id,
        "demo-client",
        certificate=CertificateCredential(key_pem, thumbprint),
        authority=tls_fake.authority,
        verify=tls_fake.ca_file,
    )
    token = await provider.get_token()
    provider.close()
    assert token.startswith("fake-")
    assert tls_fake.state.token_requests[-1]["auth"] == "assertion"
    assert "PRIVATE KEY" not in repr(provider) and "PRIVATE KEY" not in repr(
        CertificateCredential(key_pem, thumbprint)
    )


async def test_unknown_certificate_is_refused(tls_fake: FakeGraphServer) -> None:
    key_pem, _, thumbprint = _client_certificate()
    provider = MsalTokenProvider(
        tls_fake.state.tenant.tenant_id,
        "demo-client",
        certificate=CertificateCredential(key_pem, thumbprint),
        authority=tls_fake.authority,
        verify=tls_fake.ca_file,
    )
    with pytest.raises(GraphAuthError) as info:
        await provider.get_token()
    provider.close()
    assert info.value.code == "invalid_client"


async def test_wrong_secret_is_an_auth_error_without_the_secret(
    tls_fake: FakeGraphServer, caplog: pytest.LogCaptureFixture
) -> None:
    provider = _provider(tls_fake, client_secret="s3cr3t-value")
    with pytest.raises(GraphAuthError) as info:
        await provider.get_token()
    provider.close()
    assert info.value.code == "invalid_client"
    assert "AADSTS7000215" in str(info.value)
    assert "s3cr3t-value" not in str(info.value)
    assert "s3cr3t-value" not in repr(provider)
    assert "s3cr3t-value" not in caplog.text


async def test_unreachable_authority_is_an_auth_error() -> None:
    provider = MsalTokenProvider(
        DEMO_IDS.tenant,
        "demo-client",
        client_secret="x",
        authority=f"https://127.0.0.1:9/{DEMO_IDS.tenant}",
        timeout=1,
    )
    with pytest.raises(GraphAuthError):
        await provider.get_token()
    provider.close()


def test_exactly_one_credential_is_required() -> None:
    with pytest.raises(ValueError):
        MsalTokenProvider(DEMO_IDS.tenant, "demo-client")
