from django.urls import include, path

from secdesk.api.routes import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("secdesk.web.public_urls")),
    path("", include("secdesk.web.urls")),
]
