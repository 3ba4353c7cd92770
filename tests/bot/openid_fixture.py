"""A local stand-in for the Bot Framework's identity endpoints, for offline auth tests.

The SDK fetches the OpenID metadata and the signing keys with blocking ``requests`` calls from
inside the event loop, so the server runs in a daemon thread (an aiohttp server on the test's own
loop would deadlock). It serves, on loopback only:

- ``/v1/.well-known/openidconfiguration``: the metadata, whose ``jwks_uri`` points to ``/keys``;
- ``/keys``: a JWKS with one RS256 key endorsed for ``msteams``;
- ``POST /botframework.com/oauth2/v2.0/token``: a fake AAD token endpoint (counted: tests assert
  that expectReplies turns never ask for an outbound token);
- ``POST /v3/conversations/...``: a capture of activities the bot sends to its serviceUrl.

:meth:`OpenIdFixture.token` signs Bot Framework channel tokens with the served key (or a rogue one).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
TOKEN_PATH = "/botframework.com/oauth2/v2.0/token"

_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def _private_key(name: str) -> rsa.RSAPrivateKey:
    """RSA keys are slow to generate: one per name per test session."""
    if name not in _KEYS:
        _KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEYS[name]


class OpenIdFixture:
    """The metadata, JWKS, token and capture endpoints on 127.0.0.1, served from a thread."""

    def __init__(self, *, kid: str = "test-key-1", endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.kid = kid
        self.key = _private_key("served")
        self.rogue_key = _private_key("rogue")
        self.endorsements = list(endorsements)
        self.hits: list[tuple[str, str]] = []
        self.token_requests = 0
        self.captured: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- server -------------------------------------------------------------------------------
    def start(self) -> OpenIdFixture:
        fixture = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def do_GET(self) -> None:
                fixture._record("GET", self.path)
                if self.path == METADATA_PATH:
                    self._json(200, fixture.metadata())
                elif self.path == "/keys":
                    self._json(200, fixture.jwks())
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                fixture._record("POST", self.path)
                body = self._body()
                if self.path == TOKEN_PATH:
                    with fixture._lock:
                        fixture.token_requests += 1
                    self._json(200, {"access_token": "x", "expires_in": 3600, "ext_expires_in": 3600,
                                     "token_type": "Bearer"})
                elif self.path.startswith("/v3/conversations/"):
                    try:
                        activity = json.loads(body or b"{}")
                    except ValueError:
                        activity = {"raw": body.decode(errors="replace")}
                    with fixture._lock:
                        fixture.captured.append(activity)
                    self._json(200, {"id": f"sent-{uuid.uuid4().hex[:8]}"})
                else:
                    self._json(404, {"error": "not found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="openid-fixture", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self.hits.append((method, path))

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fixture first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return self.base_url + METADATA_PATH

    @property
    def login_url(self) -> str:
        """For TO_CHANNEL_FROM_BOT_LOGIN_URL: the fake token endpoint's authority."""
        return self.base_url + "/botframework.com"

    @property
    def service_url(self) -> str:
        """A serviceUrl whose /v3/conversations/... POSTs land in :attr:`captured`."""
        return self.base_url + "/"

    # -- documents ----------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": "https://invalid.example/",
            "jwks_uri": self.base_url + "/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256", "endorsements": self.endorsements})
        return {"keys": [jwk]}

    # -- tokens -------------------------------------------------------------------------------
    def token(self, *, app_id: str, service_url: str, issuer: str = ISSUER, lifetime: float = 3600,
              not_before: float | None = None, expires: float | None = None, kid: str | None = None,
              rogue: bool = False, **claims: Any) -> str:
        """A channel-to-bot token as the Bot Connector signs it; override anything to break it."""
        now = time.time()
        payload: dict[str, Any] = {
            "iss": issuer,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": int(now - 60 if not_before is None else not_before),
            "iat": int(now - 60),
            "exp": int(now + lifetime if expires is None else expires),
        }
        payload.update(claims)
        key = self.rogue_key if rogue else self.key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid or self.kid})
