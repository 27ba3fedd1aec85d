from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "apps.attachments"
    label = "attachments"

    def ready(self):
        from apps.attachments.storage import check_storage
        from apps.core.health import register_serving_check

        register_serving_check("storage", check_storage)
