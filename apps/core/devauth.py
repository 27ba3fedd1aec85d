"""Dev sign-in: a local RSA key (kept in DATA_DIR) signs tokens shaped like Clerk v2 session tokens.

Only active with AUTH_DEV_LOGIN=1, which settings refuse when DEBUG=0. The verifier checks these
tokens with the same code path as Clerk's, against the JWKS this module also serves.
"""

import json
import threading
import time
import uuid
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

ISSUER = "https://dev-login.helpdesk.invalid"
AUTHORIZED_PARTY = "http://127.0.0.1:8000"
_lock = threading.Lock()


def enabled() -> bool:
    return bool(settings.AUTH_DEV_LOGIN)


@lru_cache(maxsize=1)
def _private_key() -> rsa.RSAPrivateKey:
    path = settings.DATA_DIR / "dev_jwt_key.pem"
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(pem)
            tmp.chmod(0o600)
            tmp.replace(path)
        return serialization.load_pem_private_key(path.read_bytes(), password=None)


def forget_key() -> None:
    """Reload the key from DATA_DIR on next use (after DATA_DIR changed)."""
    _private_key.cache_clear()


def key_id() -> str:
    public = (
        _private_key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return "dev-" + uuid.uuid5(uuid.NAMESPACE_OID, public.hex()).hex[:16]


def jwks() -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_private_key().public_key()))
    jwk.update({"kid": key_id(), "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


def public_keys() -> dict:
    return {key_id(): _private_key().public_key()}


def mint_token(*, sub: str, email: str, name: str, lifetime: int | None = None) -> str:
    now = int(time.time())
    lifetime = lifetime or settings.DEV_TOKEN_LIFETIME_SECONDS
    claims = {
        "azp": AUTHORIZED_PARTY,
        "email": email,
        "exp": now + lifetime,
        "fva": [0, -1],
        "iat": now,
        "iss": ISSUER,
        "jti": uuid.uuid4().hex[:20],
        "name": name,
        "nbf": now - 5,
        "sid": "sess_dev_" + uuid.uuid4().hex[:24],
        "sts": "active",
        "sub": sub,
        "v": 2,
    }
    return jwt.encode(claims, _private_key(), algorithm="RS256", headers={"kid": key_id()})
