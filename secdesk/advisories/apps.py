from django.apps import AppConfig


class AdvisoriesConfig(AppConfig):
    name = "secdesk.advisories"
    label = "advisories"
