from django.apps import AppConfig


class FixesConfig(AppConfig):
    name = "secdesk.fixes"
    label = "fixes"
