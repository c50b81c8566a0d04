from django.urls import include, path

urlpatterns = [
    path("", include("secdesk.advisories.urls")),
    path("", include("secdesk.web.urls")),
]
