"""compose.yaml, README and .env.example cover every variable settings.py reads (no Docker
engine here, so the files are checked as data)."""

import ast
import ipaddress
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
    for name in ("web", "app", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert app["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert "/api/v1/health" in " ".join(app["healthcheck"]["test"])


def default_of(value: str) -> str:
    """The value compose uses when the variable is unset: `${NAME:-default}` → default."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def test_compose_is_nginx_in_front_of_the_app_and_the_worker(compose):
    services = compose["services"]
    assert set(services) == {"web", "app", "worker", "migrate", "postgres", "redis"}
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"web"}, "nginx is the only way in"
    assert [port.split(":")[-1] for port in services["web"]["ports"]] == ["8080", "8443"]
    assert services["web"]["build"]["target"] == "web"
    assert services["web"]["environment"]["HELPDESK_APP"] == "app:8000"
    assert services["web"]["depends_on"] == {"app": {"condition": "service_healthy", "restart": True}}
    assert "/nginx-health" in " ".join(services["web"]["healthcheck"]["test"])

    app, worker, migrate = services["app"], services["worker"], services["migrate"]
    assert app["command"][:2] == ["uvicorn", "project.asgi:application"]
    assert "--proxy-headers" in app["command"] and "*" not in " ".join(app["command"])
    assert int(default_of(app["environment"]["WEB_CONCURRENCY"])) >= 2, "several worker processes"
    assert worker["command"] == ["python", "manage.py", "db_worker", "--no-reload"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert app["image"] == worker["image"] == migrate["image"]
    assert app["build"] == worker["build"] == migrate["build"] and app["build"]["target"] == "app"
    shared = {
        name: value
        for name, value in app["environment"].items()
        if name not in {"WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"}
    }
    assert worker["environment"] == shared == migrate["environment"], "one set of settings for every app process"
    assert worker["depends_on"] == app["depends_on"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_compose_start_order_has_no_cycle_and_ends_with_the_front(compose):
    depends = {name: set(service.get("depends_on", {})) for name, service in compose["services"].items()}
    order = []
    while depends:
        ready = sorted(name for name, needs in depends.items() if needs <= set(order))
        assert ready, f"cycle in depends_on: {depends}"
        order += ready
        for name in ready:
            del depends[name]
    assert order == ["postgres", "redis", "migrate", "app", "worker", "web"]


def test_the_app_trusts_forwarded_headers_from_the_proxy_only(compose):
    services = compose["services"]
    proxy = default_of(services["web"]["networks"]["front"]["ipv4_address"])
    assert default_of(services["app"]["environment"]["FORWARDED_ALLOW_IPS"]) == proxy
    subnet = ipaddress.ip_network(default_of(compose["networks"]["front"]["ipam"]["config"][0]["subnet"]))
    assert ipaddress.ip_address(proxy) in subnet
    assert set(services["app"]["networks"]) == {"front", "default"}
    assert set(services["web"]["networks"]) == {"front"}
    members = {name for name, service in services.items() if "front" in service.get("networks", [])}
    assert members == {"web", "app"}


def test_env_example_lists_every_variable_compose_reads():
    listed = {line.split("=", 1)[0] for line in (REPO_ROOT / ".env.example").read_text().splitlines() if "=" in line}
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (REPO_ROOT / "compose.yaml").read_text()))
    assert used - listed == set(), f"add to .env.example: {sorted(used - listed)}"


def dockerfile_stages() -> dict[str, str]:
    """Stage name → its instructions."""
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    parts = re.split(r"^FROM (\S+) AS (\w+)\n", dockerfile, flags=re.M)
    return {parts[i + 1]: f"FROM {parts[i]}\n{parts[i + 2]}" for i in range(1, len(parts), 3)}


def test_dockerfile_builds_the_spa_and_runs_uvicorn_as_non_root():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile, re.M)
    assert [(image.split(":")[0], name) for image, name in stages] == [
        ("node", "spa"),
        ("debian", "web"),
        ("python", "app"),
    ], "the app stays last: a plain `docker build .` gives the app image"
    assert "npm run build" in dockerfile and "--from=spa" in dockerfile
    assert "collectstatic" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "uvicorn project.asgi:application" in dockerfile
    assert re.search(r"^\s*DEBUG=0", dockerfile, re.M)
    assert "forwarded-allow-ips='*'" not in dockerfile and "FORWARDED_ALLOW_IPS=127.0.0.1" in dockerfile


def test_dockerfile_web_stage_is_nginx_with_the_spa_and_the_tested_configuration(compose):
    web = dockerfile_stages()["web"]
    assert web.startswith("FROM debian:bookworm-slim"), "Debian's nginx, the package the tests run"
    assert re.search(r"apt-get install .*\bnginx\b.*\bgettext-base\b", web)
    assert "COPY deploy/nginx/ /etc/helpdesk/nginx/" in web
    assert re.search(r"^COPY --from=spa /src/frontend/dist/ (\S+)", web, re.M).group(1) == "/srv/helpdesk/spa/"
    env = dict(re.findall(r"(NGINX_[A-Z_]+|HELPDESK_APP)=(\S+)", web))
    assert env["NGINX_SPA_ROOT"] == "/srv/helpdesk/spa"
    assert env["HELPDESK_APP"] == compose["services"]["web"]["environment"]["HELPDESK_APP"]
    assert [env["NGINX_HTTP_LISTEN"], env["NGINX_HTTPS_LISTEN"]] == [
        port.split(":")[-1] for port in compose["services"]["web"]["ports"]
    ]
    tls_mount = next(v for v in compose["services"]["web"]["volumes"] if "/etc/helpdesk/tls" in v)
    assert env["NGINX_TLS_CERT"].startswith("/etc/helpdesk/tls/") and tls_mount.endswith(":ro")
    assert re.search(r"^USER www-data$", web, re.M), "nginx runs unprivileged"
    assert 'CMD ["/etc/helpdesk/nginx/run"]' in web
    assert "/nginx-health" in web


def test_empty_list_variable_falls_back_to_its_default(monkeypatch):
    monkeypatch.setenv("SOME_LIST", "")
    assert env_list("SOME_LIST", "a,b") == ["a", "b"]
    monkeypatch.setenv("SOME_LIST", " x , ,y ")
    assert env_list("SOME_LIST", "a,b") == ["x", "y"]


def test_secrets_on_the_host_stay_out_of_the_build_context():
    ignored = set((REPO_ROOT / ".dockerignore").read_text().split())
    assert {".env", "deploy/certs", "data"} <= ignored
    assert "/deploy/certs/" in (REPO_ROOT / ".gitignore").read_text().split()
