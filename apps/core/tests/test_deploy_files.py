"""compose.yaml, README and .env.example cover every variable settings.py reads (no Docker
engine here, so the files are checked as data)."""

import ast
import re

import pytest
import yaml

from apps.core.testing.servers import REPO_ROOT
from project.settings import env_list

SETTINGS = REPO_ROOT / "project" / "settings.py"
ENV_HELPERS = {"env_bool", "env_int", "env_list"}


def variables_read_by_settings() -> set[str]:
    """Names passed to os.environ.get / os.getenv / os.environ[...] / env_bool / env_int / env_list."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            dotted = ast.unparse(func)
            if dotted in {"os.environ.get", "os.getenv"} or (isinstance(func, ast.Name) and func.id in ENV_HELPERS):
                names.add(node.args[0].value)
        if (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return {name for name in names if isinstance(name, str)}


def test_the_scan_finds_the_known_variables():
    found = variables_read_by_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "ATTACHMENT_ALLOWED_TYPES", "CLERK_JWT_KEY", "DEBUG"} <= found
    assert len(found) >= 30


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())


def test_compose_app_passes_every_variable(compose):
    environment = compose["services"]["app"]["environment"]
    assert isinstance(environment, dict)
    missing = variables_read_by_settings() - set(environment)
    assert not missing, f"add to compose.yaml services.app.environment: {sorted(missing)}"


def test_readme_documents_every_variable():
    readme = (REPO_ROOT / "README.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))
    missing = variables_read_by_settings() - documented
    assert not missing, f"document in README.md's configuration table: {sorted(missing)}"


def test_env_example_lists_every_variable():
    lines = (REPO_ROOT / ".env.example").read_text().splitlines()
    listed = {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)}
    missing = variables_read_by_settings() - listed
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_compose_runs_production_mode_with_postgres_redis_and_health_checks(compose):
    services = compose["services"]
    app = services["app"]
    assert app["environment"]["DEBUG"] == "0"
    assert app["environment"]["AUTH_DEV_LOGIN"] == "0"
    assert app["environment"]["DATABASE_URL"].startswith("postgres://")
    assert app["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert "${SECRET_KEY:?" in app["environment"]["SECRET_KEY"]
    for name in [
        "CLERK_FRONTEND_API_URL",
        "CLERK_JWT_KEY",
        "CLERK_AUTHORIZED_PARTIES",
        "R2_ACCOUNT_ID",
        "R2_BUCKET_NAME",
        "R2_ACCESS_KEY_ID",
        "R2_SECRET_ACCESS_KEY",
    ]:
        assert app["environment"][name].startswith(f"${{{name}"), f"{name} must come from the host env"
    for name in ("app", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert app["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert "/api/v1/health" in " ".join(app["healthcheck"]["test"])


def test_dockerfile_builds_the_spa_and_runs_uvicorn_as_non_root():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile, re.M)
    assert [image.split(":")[0] for image, _ in stages] == ["node", "python"]
    assert "npm run build" in dockerfile and "--from=spa" in dockerfile
    assert "collectstatic" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "uvicorn project.asgi:application" in dockerfile
    assert re.search(r"^\s*DEBUG=0", dockerfile, re.M)


def test_empty_list_variable_falls_back_to_its_default(monkeypatch):
    monkeypatch.setenv("SOME_LIST", "")
    assert env_list("SOME_LIST", "a,b") == ["a", "b"]
    monkeypatch.setenv("SOME_LIST", " x , ,y ")
    assert env_list("SOME_LIST", "a,b") == ["x", "y"]
