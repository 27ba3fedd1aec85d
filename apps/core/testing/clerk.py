"""A stand-in for Clerk in tests: an RSA key, a JWKS served over real HTTP on loopback, and
tokens shaped like Clerk's v2 session tokens."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

AUTHORIZED_PARTY = "http://localhost:5173"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return jwk


class FakeClerk:
    """Serves `/.well-known/jwks.json` and counts how often it is fetched (`down = True`: the
    endpoint answers 503, and attempts still count)."""

    def __init__(self):
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.kid = self.rotate()
        self.fetches = 0
        self.down = False
        clerk = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != "/.well-known/jwks.json":
                    self.send_error(404)
                    return
                clerk.fetches += 1
                if clerk.down:
                    self.send_error(503)
                    return
                body = json.dumps({"keys": [public_jwk(k, kid) for kid, k in clerk.keys.items()]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def rotate(self, *, keep_old: bool = True) -> str:
        """Publish a new signing key (optionally dropping the old ones) and sign with it from now on."""
        kid = "ins_" + uuid.uuid4().hex[:20]
        if not keep_old:
            self.keys.clear()
        self.keys[kid] = new_key()
        self.kid = kid
        return kid

    def claims(self, sub: str, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "azp": AUTHORIZED_PARTY,
            "exp": now + 60,
            "fva": [0, -1],
            "iat": now,
            "iss": self.issuer,
            "nbf": now - 1,
            "sid": "sess_" + uuid.uuid4().hex[:24],
            "sts": "active",
            "sub": sub,
            "v": 2,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, sub: str, *, kid: str | None = None, key=None, headers: dict | None = None, **claims) -> str:
        kid = kid or self.kid
        signing_key = key or self.keys.get(kid) or self.keys[self.kid]
        return jwt.encode(
            self.claims(sub, **claims), signing_key, algorithm="RS256", headers={"kid": kid, **(headers or {})}
        )
