from django.urls import include, path

urlpatterns = [
    path("", include("secdesk.web.urls")),
]
