"""Differential test: our verifier (apps.accounts.auth.authenticate_bearer, the whole path a Bearer
token takes, account claims included) against `@clerk/backend`'s own `verifyToken` (npm, run by
tools/clerk-parity/verify.mjs) on the token table of apps/core/testing/clerk_parity.py, both with
the same key (networkless `jwtKey` / CLERK_JWT_KEY), issuer, authorized parties and clock.

Whatever Clerk refuses we refuse; whatever it accepts we accept, except the documented
differences (docs/authentication.md), where the table says we refuse on purpose.
"""

import json
import re
import subprocess

import pytest
import time_machine
from django.test import override_settings

from apps.accounts.auth import authenticate_bearer
from apps.core.errors import AuthenticationFailed
from apps.core.testing.clerk_parity import CASES, DIFFERENCES, LEEWAY, PEM, Case
from apps.core.testing.servers import REPO_ROOT

TOOL = REPO_ROOT / "tools" / "clerk-parity"
AUTH_DOC = REPO_ROOT / "docs" / "authentication.md"


def _clerk_options(case: Case) -> dict:
    options = {"jwtKey": PEM, "authorizedParties": case.parties, "clockSkewInMs": LEEWAY * 1000}
    if case.issuer:
        options["issuer"] = case.issuer
    return options


@pytest.fixture(scope="module")
def clerk_verdicts() -> dict[str, dict]:
    if not (TOOL / "node_modules" / "@clerk" / "backend").is_dir():
        pytest.fail("@clerk/backend is not installed: run `make test` (or `npm ci` in tools/clerk-parity)")
    cases = [{"id": c.id, "token": c.token(), "now_ms": c.now * 1000, "options": _clerk_options(c)} for c in CASES]
    result = subprocess.run(
        ["node", "verify.mjs"],
        cwd=TOOL,
        input=json.dumps({"cases": cases}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {verdict["id"]: verdict for verdict in json.loads(result.stdout)}


def _our_verdict(case: Case) -> tuple[bool, str]:
    settings = {
        "CLERK_JWT_KEY": PEM,
        "CLERK_JWKS_URL": "",
        "CLERK_FRONTEND_API_URL": case.issuer or "",
        "CLERK_AUTHORIZED_PARTIES": case.parties,
        "CLERK_LEEWAY_SECONDS": LEEWAY,
        "AUTH_DEV_LOGIN": False,
    }
    with override_settings(**settings), time_machine.travel(case.now, tick=False):
        try:
            user, _ = authenticate_bearer(case.token())
        except AuthenticationFailed as exc:
            return False, exc.code
    return True, f"user {user.pk}"


def test_the_table_is_wide_and_its_ids_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 100
    assert sum(case.differs is None for case in CASES) >= 80


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_our_verdict_matches_clerks(case, clerk_verdicts):
    clerk = clerk_verdicts[case.id]
    ours, our_reason = _our_verdict(case)
    if case.differs is None:
        assert ours == clerk["accepted"], (
            f"{case.id}: Clerk {'accepts' if clerk['accepted'] else 'refuses'} ({clerk['reason']}), "
            f"we {'accept' if ours else 'refuse'} ({our_reason})"
        )
    else:
        # A documented difference is always "we refuse what Clerk accepts", and must still be one.
        assert clerk["accepted"], f"{case.id}: Clerk refuses it too ({clerk['reason']}): drop `differs`"
        assert not ours, f"{case.id}: we accept it ({our_reason}), so it is no difference"


def test_every_difference_is_exercised_and_documented_with_its_reason():
    doc = AUTH_DOC.read_text()
    section = doc.partition("## Where we are stricter than Clerk")[2]
    assert section, "docs/authentication.md has no 'Where we are stricter than Clerk' section"
    used = {case.differs for case in CASES if case.differs}
    assert used == set(DIFFERENCES), set(DIFFERENCES) ^ used
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.M))
    assert documented == set(DIFFERENCES), documented ^ set(DIFFERENCES)
