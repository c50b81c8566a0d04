from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "secdesk.cases"
    label = "cases"
