from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "secdesk.outbox"
    label = "outbox"
    verbose_name = "outbox"
