"""Datetimes stored on PostgreSQL outside the range Python can read back are moved to the nearest
end of the supported range (apps.core.db); such values made every read of their row fail."""

from django.db import migrations

from apps.core.db import repair_datetime_columns


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]

    operations = [migrations.RunPython(repair_datetime_columns("approvals"), migrations.RunPython.noop)]
