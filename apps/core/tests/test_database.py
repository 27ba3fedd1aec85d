import psycopg
import pytest
from django.db import connection

from apps.core.testing.markers import requires_postgres


@requires_postgres
@pytest.mark.django_db
def test_postgres_goes_through_psycopg3_and_djangos_connection_pool():
    connection.ensure_connection()
    assert isinstance(connection.connection, psycopg.Connection)
    pool = connection.pool
    assert pool is not None
    assert pool.max_size >= pool.min_size >= 1
