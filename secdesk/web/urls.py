from django.contrib.auth import views as auth_views
from django.urls import path

from secdesk.web import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="secdesk/login.html",
            authentication_form=views.EmailAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("login/once/<str:token>/", views.login_once, name="login_once"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
