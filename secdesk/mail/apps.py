from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "secdesk.mail"
    label = "mail"
    verbose_name = "mail"
