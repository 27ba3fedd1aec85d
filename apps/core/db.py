"""Datetimes PostgreSQL can hold but Python can't read back, and how we never trip over them.

timestamptz spans 4713 BC to 294276 AD; Python's datetime only years 1 to 9999. Before the input
rules (apps.core.fields) such values could be stored (a due date of `0001-01-01T00:00:00+01:00` is
year 0 in UTC), and every later read of the row raised in psycopg: a 500 for anyone listing it.

- `clamping_timestamptz_loader` (connected to `connection_created` in CoreConfig.ready) reads such
  a value as the nearest end of the supported range instead of raising, so a row written by another
  client or restored from an old backup never breaks a page.
- `repair_datetime_columns(app_label)` is the RunPython of each app's data migration that moves
  values outside [DATETIME_MIN, DATETIME_MAX] to that nearest end in the rows themselves.

SQLite stores what Python wrote, so it never holds such values: both are no-ops there.
"""

from django.db.backends.signals import connection_created

from apps.core.fields import DATETIME_MAX, DATETIME_MIN

try:
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg import DataError
except ImportError:  # pragma: no cover - psycopg is a runtime requirement
    BaseTzLoader = None


if BaseTzLoader is not None:

    class ClampingTzLoader(BaseTzLoader):
        """Django's UTC timestamptz loader, which reads out-of-range values as the range's ends."""

        timezone = DATETIME_MIN.tzinfo

        def load(self, data):
            try:
                value = super().load(data)
            except DataError:
                # psycopg's message says "too small (before year 1)" or "too large (after year 10K)".
                return DATETIME_MIN if b"BC" in bytes(data) else DATETIME_MAX
            return min(max(value, DATETIME_MIN), DATETIME_MAX)


def clamping_timestamptz_loader(sender, connection, **kwargs) -> None:
    """connection_created receiver: installs ClampingTzLoader on each new PostgreSQL connection."""
    if connection.vendor == "postgresql" and connection.settings_dict.get("TIME_ZONE") is None:
        connection.connection.adapters.register_loader("timestamptz", ClampingTzLoader)


def connect_signals() -> None:
    connection_created.connect(clamping_timestamptz_loader, dispatch_uid="apps.core.db.clamping_timestamptz_loader")


def repair_datetime_columns(app_label: str):
    """A RunPython function: every DateTimeField column of the app's models, clamped into range."""

    def repair(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for model in apps.get_app_config(app_label).get_models():
            for field in model._meta.local_fields:
                if field.get_internal_type() != "DateTimeField":
                    continue
                table, column = quote(model._meta.db_table), quote(field.column)
                schema_editor.execute(
                    f"UPDATE {table} SET {column} = LEAST(GREATEST({column}, %s), %s) "  # noqa: S608 (quoted names)
                    f"WHERE {column} < %s OR {column} > %s",
                    [DATETIME_MIN, DATETIME_MAX, DATETIME_MIN, DATETIME_MAX],
                )

    return repair
