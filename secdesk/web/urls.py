from django.contrib.auth import views as auth_views
from django.urls import path

from secdesk.web import (
    account,
    case_actions,
    case_page,
    embargo_calendar,
    moderation,
    project_settings,
    report_form,
    reporter,
    team,
    views,
)
from secdesk.web.decorators import public_view

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/<int:case_id>/", case_page.case_page, name="case"),
    path("cases/<int:case_id>/reply/", case_actions.reply, name="case_reply"),
    path("cases/<int:case_id>/triage/", case_actions.triage, name="case_triage"),
    path("cases/<int:case_id>/embargo/", case_actions.embargo, name="case_embargo"),
    path("cases/<int:case_id>/facts/", case_actions.facts, name="case_facts"),
    path("cases/<int:case_id>/cve/", case_actions.cve, name="case_cve"),
    path("cases/<int:case_id>/fixes/", case_actions.fixes, name="case_fixes"),
    path("cases/<int:case_id>/restriction/", case_actions.restriction, name="case_restriction"),
    path("cases/<int:case_id>/advisory/", case_actions.advisory, name="case_advisory"),
    path("cases/<int:case_id>/publish/", case_actions.publish, name="case_publish"),
    path(
        "cases/<int:case_id>/reporter-link/",
        case_actions.reporter_link,
        name="case_reporter_link",
    ),
    path(
        "login/",
        public_view(
            auth_views.LoginView.as_view(
                template_name="secdesk/login.html",
                authentication_form=views.EmailAuthenticationForm,
                redirect_authenticated_user=True,
            )
        ),
        name="login",
    ),
    path("login/once/<str:token>/", views.login_once, name="login_once"),
    path("logout/", public_view(auth_views.LogoutView.as_view()), name="logout"),
    path("account/second-factor/", account.second_factor, name="second_factor"),
    path("account/tokens/", account.tokens, name="tokens"),
    path("account/tokens/<str:prefix>/revoke/", account.revoke_token, name="revoke_token"),
    path("account/keys/", account.keys, name="keys"),
    path("account/keys/<str:fingerprint>/remove/", account.remove_key, name="remove_key"),
    path("join/<slug:slug>/", team.join, name="join"),
    path("projects/<slug:slug>/team/", team.team, name="team"),
    path("projects/<slug:slug>/team/vouch/", team.vouch, name="vouch"),
    path("projects/<slug:slug>/team/approve/", team.approve, name="approve"),
    path("projects/<slug:slug>/team/reject/", team.reject, name="reject"),
    path("projects/<slug:slug>/team/remove/", team.remove, name="remove"),
    path("projects/<slug:slug>/team/role/", team.change_role, name="change_role"),
    path("projects/<slug:slug>/policy/", team.policy, name="policy"),
    path("audit/", team.audit_trail, name="audit"),
    path("r/<str:token>/", reporter.reporter_case, name="reporter_case"),
    path("moderation/", moderation.queue, name="moderation"),
    path("moderation/<int:held_id>/approve/", moderation.approve, name="moderation_approve"),
    path("moderation/<int:held_id>/reject/", moderation.reject, name="moderation_reject"),
    path("moderation/<int:held_id>/spam/", moderation.spam, name="moderation_spam"),
    path("moderation/quarantine/<int:held_id>/", moderation.quarantined, name="quarantined"),
    path("moderation/quarantine/<int:held_id>/release/", moderation.release, name="release"),
    path("report/<slug:slug>/", report_form.report, name="report"),
    path("calendar/", embargo_calendar.month, name="calendar"),
    path("calendar/feed/", embargo_calendar.make_feed, name="calendar_feed_make"),
    path("calendar/feed/revoke/", embargo_calendar.revoke_feed, name="calendar_feed_revoke"),
    path("calendar/<str:token>.ics", embargo_calendar.feed, name="calendar_feed"),
    path(
        "projects/<slug:slug>/settings/",
        project_settings.project_settings,
        name="project_settings",
    ),
]
