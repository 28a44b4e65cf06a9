from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from roper import passwords, two_factor, views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", passwords.PasswordChangeView.as_view(), name="password_change"),
    # Forgotten password: public, like the sign-in page (roper/passwords.py).
    path(
        "accounts/password/reset/",
        passwords.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        passwords.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        passwords.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        passwords.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Single sign-on: public like the sign-in page (sso/views.py).
    path("accounts/sso/", include("sso.urls")),
    path("accounts/two-factor/", two_factor.verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", two_factor.setup, name="two_factor_setup"),
    path("accounts/security/", two_factor.security, name="security"),
    path("accounts/security/backup-codes/", two_factor.new_backup_codes, name="backup_codes"),
    path("school/switch/", views.switch_school, name="switch_school"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path("healthz", views.healthz, name="healthz"),
    path("session/extend/", views.session_extend, name="session_extend"),
    path("drafts/<slug:name>/", views.draft_save, name="draft_save"),
    path("drafts/<slug:name>/discard/", views.draft_discard, name="draft_discard"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:pk>/decide/", views.retention_decide, name="retention_decide"),
    path("retention/<int:pk>/hold/", views.retention_hold, name="retention_hold"),
    # learners/… and people/role-requests/….
    path("", include("people.urls")),
    path("", include("incidents.urls")),
    path("policies/", include("policies.urls")),
    # The policies a school publishes for parents and pupils: no sign-in (policies/public.py).
    path("public/", include("policies.public_urls")),
    path("devices/", include("devices.urls")),
    path("conduct/", include("conduct.urls")),
    # reports/… and learners/<pk>/chronology/ (reports:chronology).
    path("", include("reports.urls")),
    # transfers/… and learners/<pk>/transfer/; the receipt page needs no sign-in.
    path("", include("transfers.urls")),
    path("public/transfers/", include("transfers.public_urls")),
    path("admin/", admin.site.urls),
]

handler400 = "roper.errors.bad_request"
handler403 = "roper.errors.permission_denied"
handler404 = "roper.errors.page_not_found"
handler500 = "roper.errors.server_error"
