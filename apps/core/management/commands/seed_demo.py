"""Demo data for local development: `manage.py seed_demo` (idempotent; safe to run on every start).

Each app contributes its own: when `apps/<app>/demo.py` defines `seed()`, it is called in
INSTALLED_APPS order (accounts before tickets before approvals ...), each in one transaction.
`seed()` takes no arguments, must create nothing twice when run again, and may return lines
to print (e.g. how to sign in).
"""

import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


def demo_modules() -> list:
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        name = f"{config.name}.demo"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return modules


class Command(BaseCommand):
    help = "Create demo users, teams and each app's demo data; running it again creates nothing twice."

    def handle(self, *args, **options):
        for module in demo_modules():
            with transaction.atomic():
                lines = module.seed() or []
            label = module.__name__.removesuffix(".demo").removeprefix("apps.")
            self.stdout.write(self.style.SUCCESS(f"{label}: seeded"))
            for line in lines:
                self.stdout.write(f"  {line}")
