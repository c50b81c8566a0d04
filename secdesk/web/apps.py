from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "secdesk.web"
    label = "web"

    def ready(self):
        # Connect the login signals: a session starts in its person's epoch, and
        # failed logins are counted for throttling; register the deployment
        # checks of `secdesk check` and of every start.
        from secdesk import checks  # noqa: F401
        from secdesk.web import middleware, throttle  # noqa: F401
