import pytest
from django.test import Client

from apps.core.testing.servers import free_port

pytestmark = pytest.mark.django_db


def test_health_reports_each_dependency_without_auth():
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "storage", "queue"}
    assert all(check["ok"] for check in body["checks"].values())


def test_health_is_503_with_the_report_when_the_channel_layer_is_down(settings):
    # A real failure: a Redis layer pointed at a port nobody listens on.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},
        }
    }
    response = Client().get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["channel_layer"]["ok"] is False
    assert "onnect" in body["checks"]["channel_layer"]["error"]
    assert body["checks"]["database"]["ok"] is True
