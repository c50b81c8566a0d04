from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "secdesk.teams"
    label = "teams"
