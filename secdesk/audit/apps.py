from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "secdesk.audit"
    label = "audit"
