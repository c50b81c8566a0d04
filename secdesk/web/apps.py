from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "secdesk.web"
    label = "web"

    def ready(self):
        # Connect the login signals: a session starts in its person's epoch, and
        # failed logins are counted for throttling.
        from secdesk.web import middleware, throttle  # noqa: F401
