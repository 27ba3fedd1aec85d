"""PostgreSQL only: the ticket number sequence and the full-text search column.

`search_vector` is a stored generated tsvector (title weight A, description B), so it is current
after every write, bulk ones included, and GIN-indexed. SQLite has neither; the selectors fall
back to LIKE matching there.
"""

from django.db import migrations

FORWARD = [
    "CREATE SEQUENCE IF NOT EXISTS tickets_ticket_number_seq",
    "SELECT setval('tickets_ticket_number_seq', COALESCE((SELECT MAX(number) FROM tickets_ticket), 0) + 1, false)",
    """ALTER TABLE tickets_ticket ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
         setweight(to_tsvector('english', coalesce(description, '')), 'B')
       ) STORED""",
    "CREATE INDEX ticket_search_vector_gin ON tickets_ticket USING gin (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS ticket_search_vector_gin",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_vector",
    "DROP SEQUENCE IF EXISTS tickets_ticket_number_seq",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
