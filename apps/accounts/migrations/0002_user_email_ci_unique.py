import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


def refuse_duplicate_emails(apps, schema_editor):
    """Accounts sharing an email can't be merged automatically (whose role, teams, tickets?):
    stop with the list, so an administrator changes or clears the extra emails first."""
    User = apps.get_model("accounts", "User")
    duplicates = (
        User.objects.exclude(email="")
        .annotate(folded=Lower("email"))
        .values("folded")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("folded", flat=True)
    )
    if duplicates:
        raise RuntimeError(
            "Several users share these emails (letter case ignored): "
            + ", ".join(sorted(duplicates))
            + ". Give each account its own email (or none) in the admin, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicate_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with this email address already exists.",
            ),
        ),
    ]
