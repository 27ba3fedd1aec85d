import boto3
import pytest
from moto.server import ThreadedMotoServer

from apps.core.testing.servers import free_port
from apps.tickets.services import ticket_create

BUCKET = "helpdesk-test"


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible HTTP server on loopback (moto), for the whole run."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint):
    return boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )


@pytest.fixture
def s3_storage(settings, s3_endpoint, s3_client):
    """Switches the app to the S3 adapter against a fresh bucket; `settings.S3_UPLOAD_METHOD` picks post/put."""
    for bucket in s3_client.list_buckets()["Buckets"]:
        objects = s3_client.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        for item in objects:
            s3_client.delete_object(Bucket=bucket["Name"], Key=item["Key"])
        s3_client.delete_bucket(Bucket=bucket["Name"])
    s3_client.create_bucket(Bucket=BUCKET)
    settings.ATTACHMENTS_STORAGE = "s3"
    settings.R2_BUCKET_NAME = BUCKET
    settings.S3_ENDPOINT_URL = s3_endpoint
    settings.R2_ACCESS_KEY_ID = "test"
    settings.R2_SECRET_ACCESS_KEY = "test"
    settings.S3_REGION = "us-east-1"
    return s3_client


@pytest.fixture
def local_storage(settings, tmp_path):
    settings.ATTACHMENTS_STORAGE = "local"
    settings.ATTACHMENTS_LOCAL_DIR = tmp_path / "attachments"
    return settings.ATTACHMENTS_LOCAL_DIR


@pytest.fixture
def ticket(requester, team):
    return ticket_create(actor=requester, title="Scanner jams", team_id=team.pk)
