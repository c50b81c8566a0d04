from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "secdesk.web"
    label = "web"
