"""The token table of the differential test against `@clerk/backend`'s `verifyToken`
(apps/core/tests/test_clerk_parity.py): tokens signed with one local RSA key, each meant to probe
one rule of Clerk's verifier (tools/clerk-parity/node_modules/@clerk/backend/dist: verifyToken,
verifyJwt, assertions) or ours.

A case whose `differs` names a key of DIFFERENCES is one where we refuse a token Clerk accepts,
on purpose; docs/authentication.md ("Where we are stricter than Clerk") lists every key.
"""

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from jwt.algorithms import HMACAlgorithm, RSAAlgorithm

from apps.core.testing.clerk import new_key

KEY = new_key()
OTHER_KEY = new_key()
PEM = (
    KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
)
ISSUER = "https://parity.clerk.accounts.dev"
PARTY = "https://app.example.com"
PARTIES = [PARTY, "http://localhost:5173"]
# A fixed "now" for both verifiers (Node's Date.now and Python's clock are set to it).
NOW = 1_800_000_000
LEEWAY = 5
DROP = object()  # a claim or header field to leave out

DIFFERENCES = {
    "kid-not-string": "a non-string `kid` header: RFC 7515 makes it a string (PyJWT refuses it)",
    "non-session-category": "a `cat` header naming another Clerk token category",
    "critical-extensions": "`crit`/`b64` headers: extensions we don't implement must be refused (RFC 7515 §4.1.11)",
    "time-outside-date-range": "`exp`/`nbf`/`iat` beyond ±8.64e12 s or infinite: a JavaScript Date can't hold them",
    "sub-fits-account": "`sub` empty, over 64 characters or with control characters: it is the account key",
    "machine-subject": "`sub` of a machine (`mch_…`, Clerk's M2M tokens): not a person",
    "pending-session": "`sts: pending`: Clerk's authenticateRequest treats it as signed out; verifyToken doesn't look",
    "claims-fit-account": "`email` over 254 characters or with control characters, or `email`/`name` not a string",
    "token-characters": "padding `=` or anything outside base64url and `.`: refused before parsing",
    "token-length": "tokens over 8192 characters: refused before parsing",
    "invalid-utf8": "a payload that isn't valid UTF-8: Clerk replaces the bytes, we refuse the token",
}


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signature(signing_input: str, alg: str, key) -> str:
    if alg in {"RS256", "RS384", "RS512"}:
        hash_alg = {"RS256": RSAAlgorithm.SHA256, "RS384": RSAAlgorithm.SHA384, "RS512": RSAAlgorithm.SHA512}[alg]
        return b64(RSAAlgorithm(hash_alg).sign(signing_input.encode(), key))
    if alg == "HS256":  # keyed with the public key's PEM: the algorithm-confusion forgery
        return b64(HMACAlgorithm(HMACAlgorithm.SHA256).sign(signing_input.encode(), PEM.encode()))
    return ""


def base_claims(sub: str) -> dict[str, Any]:
    """A Clerk v2 session token's claims."""
    return {
        "azp": PARTY,
        "exp": NOW + 60,
        "fva": [0, -1],
        "iat": NOW - 1,
        "iss": ISSUER,
        "nbf": NOW - 6,
        "sid": "sess_2parity",
        "sts": "active",
        "sub": sub,
        "v": 2,
    }


@dataclass(frozen=True)
class Case:
    id: str
    header: dict = field(default_factory=dict)  # overrides of {"alg", "kid", "typ"}; DROP removes
    claims: dict = field(default_factory=dict)  # overrides of base_claims; DROP removes
    payload_suffix: bytes = b""  # raw JSON members appended to the payload (later keys win)
    payload_bytes: bytes | None = None  # the payload exactly (instead of claims)
    alg: str = "RS256"  # how the signature is made
    key: Any = KEY
    mangle: Callable[[str], str] | None = None  # applied to the finished token
    differs: str | None = None  # a DIFFERENCES key: we refuse, Clerk accepts
    parties: list[str] = field(default_factory=lambda: list(PARTIES))
    issuer: str | None = ISSUER
    now: float = NOW

    def sub(self) -> str:
        return "user_parity_" + self.id.replace("-", "_")[:40]

    def token(self) -> str:
        header = {"alg": "RS256", "kid": "ins_parity", "typ": "JWT", **self.header}
        header = {name: value for name, value in header.items() if value is not DROP}
        if self.payload_bytes is not None:
            payload = self.payload_bytes
        else:
            claims = {**base_claims(self.sub()), **self.claims}
            text = json.dumps({name: value for name, value in claims.items() if value is not DROP}).encode()
            payload = text[:-1] + b", " + self.payload_suffix + b"}" if self.payload_suffix else text
        signing_input = f"{b64(json.dumps(header))}.{b64(payload)}"
        token = f"{signing_input}.{signature(signing_input, self.alg, self.key)}"
        return self.mangle(token) if self.mangle else token


def _noncanonical_signature(token: str) -> str:
    # 256-byte signature → 342 characters, the last carrying 2 unused bits: set one of them.
    head, _, sig = token.rpartition(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return f"{head}.{sig[:-1]}{alphabet[alphabet.index(sig[-1]) | 1]}"


def _swap_payload(token: str) -> str:
    header, _, sig = token.split(".")
    return f"{header}.{b64(json.dumps(base_claims('user_parity_admin')))}.{sig}"


CASES = [
    Case("valid"),
    # --- header: typ, alg, kid, cat, crit -------------------------------------------------------
    Case("typ-missing", header={"typ": DROP}),
    Case("typ-oauth-access-token", header={"typ": "at+jwt"}),
    Case("typ-oauth-access-token-media-type", header={"typ": "application/at+jwt"}),
    Case("typ-lowercase", header={"typ": "jwt"}),
    Case("typ-null", header={"typ": None}),
    Case("typ-jose", header={"typ": "JOSE"}),
    Case("alg-rs384", header={"alg": "RS384"}, alg="RS384"),
    Case("alg-rs512", header={"alg": "RS512"}, alg="RS512"),
    Case("alg-rs384-header-rs256-signature", header={"alg": "RS384"}),
    Case("alg-hs256-public-key-secret", header={"alg": "HS256"}, alg="HS256"),
    Case("alg-none", header={"alg": "none"}, alg="none"),
    Case("alg-lowercase", header={"alg": "rs256"}),
    Case("alg-missing", header={"alg": DROP}),
    Case("kid-missing", header={"kid": DROP}),
    Case("kid-unknown", header={"kid": "ins_someone_else"}),
    Case("kid-number", header={"kid": 123}, differs="kid-not-string"),
    Case("extra-header-jku", header={"jku": "https://evil.example/jwks.json", "x5u": "https://evil.example/x"}),
    Case("cat-session", header={"cat": "cl_B7d4PD111AAA"}),
    Case("cat-machine", header={"cat": "cl_B7d4PD333AAA"}),
    Case("cat-other", header={"cat": "cl_Z9z9ZZ999ZZZ"}, differs="non-session-category"),
    Case("crit-exp", header={"crit": ["exp"]}, differs="critical-extensions"),
    Case("b64-false", header={"b64": False, "crit": ["b64"]}, differs="critical-extensions"),
    # --- signature and encoding -----------------------------------------------------------------
    Case("signed-by-another-key", key=OTHER_KEY),
    Case("payload-swapped", mangle=_swap_payload),
    Case("signature-empty", mangle=lambda t: t.rpartition(".")[0] + "."),
    Case("signature-noncanonical-base64", mangle=_noncanonical_signature),
    Case("two-segments", mangle=lambda t: t.rpartition(".")[0]),
    Case("four-segments", mangle=lambda t: t + ".e30"),
    Case(
        "padded-segments",
        mangle=lambda t: ".".join(s + "=" * (-len(s) % 4) for s in t.split(".")),
        differs="token-characters",
    ),
    Case("nul-appended", mangle=lambda t: t + "\x00"),
    Case("lone-surrogate-appended", mangle=lambda t: t + "\ud800"),
    Case("payload-array", payload_bytes=b"[1, 2]"),
    Case("payload-null", payload_bytes=b"null"),
    Case("payload-not-json", payload_bytes=b"{not json"),
    Case("payload-invalid-utf8", payload_suffix=b'"name": "caf\xe9"', differs="invalid-utf8"),
    Case("oversized-token", claims={"padding": "x" * 9000}, differs="token-length"),
    # --- exp ------------------------------------------------------------------------------------
    Case("exp-missing", claims={"exp": DROP}),
    Case("exp-null", claims={"exp": None}),
    Case("exp-string", claims={"exp": str(NOW + 60)}),
    Case("exp-bool", claims={"exp": True}),
    Case("exp-array", claims={"exp": [NOW + 60]}),
    Case("exp-float", claims={"exp": NOW + 60.5}),
    Case("exp-year-9999", claims={"exp": 253402300799}),
    Case("exp-date-range-edge", claims={"exp": 8_640_000_000_000}),
    Case("exp-past-date-range", claims={"exp": 8_640_000_000_001}, differs="time-outside-date-range"),
    Case("exp-huge-integer", claims={"exp": 10**20}, differs="time-outside-date-range"),
    Case("exp-1e300", payload_suffix=b'"exp": 1e300', differs="time-outside-date-range"),
    Case("exp-minus-1e300", payload_suffix=b'"exp": -1e300', differs="time-outside-date-range"),
    Case("exp-infinity", payload_suffix=b'"exp": 1e400', differs="time-outside-date-range"),
    Case("exp-nan-literal", payload_suffix=b'"exp": NaN'),
    Case("exp-now-minus-6", claims={"exp": NOW - 6}),
    Case("exp-now-minus-5-leeway-edge", claims={"exp": NOW - 5}),
    Case("exp-now-minus-4", claims={"exp": NOW - 4}),
    Case("exp-now-minus-4.5-truncated", claims={"exp": NOW - 4.5}),
    Case("exp-now-minus-5-half-second-later", claims={"exp": NOW - 5}, now=NOW + 0.5),
    Case("exp-now-minus-4-half-second-later", claims={"exp": NOW - 4}, now=NOW + 0.5),
    Case("exp-now", claims={"exp": NOW}),
    # --- nbf ------------------------------------------------------------------------------------
    Case("nbf-missing", claims={"nbf": DROP}),
    Case("nbf-null", claims={"nbf": None}),
    Case("nbf-string", claims={"nbf": str(NOW - 6)}),
    Case("nbf-bool", claims={"nbf": False}),
    Case("nbf-float", claims={"nbf": NOW - 0.5}),
    Case("nbf-now-plus-5-leeway-edge", claims={"nbf": NOW + 5}),
    Case("nbf-now-plus-5.9-truncated", claims={"nbf": NOW + 5.9}),
    Case("nbf-now-plus-6", claims={"nbf": NOW + 6}),
    Case("nbf-now-plus-6-just-before", claims={"nbf": NOW + 6}, now=NOW + 0.999),
    Case("nbf-now-plus-6-at", claims={"nbf": NOW + 6}, now=NOW + 1),
    Case("nbf-minus-1e300", payload_suffix=b'"nbf": -1e300', differs="time-outside-date-range"),
    # --- iat ------------------------------------------------------------------------------------
    Case("iat-missing", claims={"iat": DROP}),
    Case("iat-string", claims={"iat": str(NOW)}),
    Case("iat-object", claims={"iat": {"at": NOW}}),
    Case("iat-float", claims={"iat": NOW - 1.25}),
    Case("iat-future-within-leeway", claims={"iat": NOW + 5}),
    Case("iat-future", claims={"iat": NOW + 6, "nbf": NOW - 6}),
    Case("iat-1e300", payload_suffix=b'"iat": 1e300', differs="time-outside-date-range"),
    # --- sub ------------------------------------------------------------------------------------
    Case("sub-missing", claims={"sub": DROP}),
    Case("sub-null", claims={"sub": None}),
    Case("sub-number", claims={"sub": 42}),
    Case("sub-array", claims={"sub": ["user_a"]}),
    Case("sub-empty", claims={"sub": ""}, differs="sub-fits-account"),
    Case("sub-too-long", claims={"sub": "user_" + "x" * 60}, differs="sub-fits-account"),
    Case("sub-nul", claims={"sub": "user_\x00nul"}, differs="sub-fits-account"),
    Case("sub-machine", claims={"sub": "mch_2parity"}, differs="machine-subject"),
    # --- iss / azp --------------------------------------------------------------------------------
    Case("iss-wrong", claims={"iss": "https://evil.clerk.accounts.dev"}),
    Case("iss-trailing-slash", claims={"iss": ISSUER + "/"}),
    Case("iss-missing", claims={"iss": DROP}),
    Case("iss-number", claims={"iss": 7}),
    Case("iss-any-when-none-configured", claims={"iss": "https://anything.example"}, issuer=None),
    Case("azp-second-party", claims={"azp": "http://localhost:5173"}),
    Case("azp-wrong", claims={"azp": "https://evil.example"}),
    Case("azp-missing", claims={"azp": DROP}),
    Case("azp-empty", claims={"azp": ""}),
    Case("azp-array", claims={"azp": [PARTY]}),
    Case("azp-wrong-no-parties-configured", claims={"azp": "https://evil.example"}, parties=[]),
    Case("azp-number-no-parties-configured", claims={"azp": 5}, parties=[]),
    # --- session status, other registered and custom claims -----------------------------------
    Case("sts-pending", claims={"sts": "pending"}, differs="pending-session"),
    Case("sts-missing", claims={"sts": DROP}),
    Case("aud-present", claims={"aud": "https://api.example"}),
    Case("jti-number", claims={"jti": 5}),
    Case("extra-claims", claims={"role": "admin", "org_id": "org_1", "metadata": {"a": [1, 2]}}),
    Case("duplicate-sub-last-wins", payload_suffix=b'"sub": "user_parity_dup_last"'),
    Case("email-and-name", claims={"email": "parity@example.com", "name": "Parity Person"}),
    Case("email-null", claims={"email": None, "name": None}),
    Case("name-longer-than-column", claims={"name": "N" * 500}),
    Case("email-longer-than-column", claims={"email": "e" * 250 + "@example.com"}, differs="claims-fit-account"),
    Case("email-number", claims={"email": 5}, differs="claims-fit-account"),
    Case("email-nul", claims={"email": "nul\x00@example.com"}, differs="claims-fit-account"),
    Case("name-object", claims={"name": {"first": "Ada"}}, differs="claims-fit-account"),
]
