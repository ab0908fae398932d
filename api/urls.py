from django.urls import path
from rest_framework.routers import SimpleRouter

from api.views.account_closure import AccountCloseView  # audit and patient rights (issue 7)
from api.views.accounts import EnrollView, LogoutView, MeView, ProfileView
from api.views.auth import (  # issue 7; families, password and reset (issue 12)
    AuditedTokenObtainPairView,
    AuditedTokenRefreshView,
    PasswordChangeView,
    PasswordResetView,
)
from api.views.exports import ExportViewSet  # exports (issue 5)
from api.views.flags import FlagViewSet
from api.views.notifications import (  # notifications (issue 4)
    DeviceView,
    InboxUnreadCountView,
    InboxView,
    NotificationPreferenceView,
    ReminderPreferenceView,
    RemindersDueView,
    WebhookStatusView,
)
from api.views.outcomes import OutcomesView  # clinic outcomes (issue 16)
from api.views.patients import (
    PatientDayLogsView,
    PatientEntriesView,
    PatientImpressionsView,
    PatientTreatmentsView,
    PatientViewSet,
)
from api.views.records import DayLogViewSet, EntryViewSet, ImpressionViewSet, TreatmentViewSet
from api.views.sync import SyncView

router = SimpleRouter(use_regex_path=False)  # so ids go through the uuid converter
router.register("entries", EntryViewSet, basename="entry")
router.register("patches", TreatmentViewSet, basename="patch")
router.register("day-logs", DayLogViewSet, basename="day-log")  # issue 13
router.register("impressions", ImpressionViewSet, basename="impression")  # issue 13
router.register("patients", PatientViewSet, basename="patient")
router.register("flags", FlagViewSet, basename="flag")
router.register("exports", ExportViewSet, basename="export")  # exports (issue 5)

urlpatterns = [
    path("auth/token/", AuditedTokenObtainPairView.as_view(), name="token"),
    path("auth/token/refresh/", AuditedTokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("auth/enroll/", EnrollView.as_view(), name="enroll"),
    path("auth/password/", PasswordChangeView.as_view(), name="password-change"),
    path("auth/reset/", PasswordResetView.as_view(), name="password-reset"),
    path("me/", MeView.as_view(), name="me"),
    path("me/profile/", ProfileView.as_view(), name="me-profile"),
    path("me/close/", AccountCloseView.as_view(), name="me-close"),  # issue 7
    path("sync/", SyncView.as_view(), name="sync"),
    path("patients/<uuid:pk>/entries/", PatientEntriesView.as_view(), name="patient-entries"),
    path("patients/<uuid:pk>/patches/", PatientTreatmentsView.as_view(), name="patient-patches"),
    # --- Day logs and PGIC (issue 13) ---
    path("patients/<uuid:pk>/day-logs/", PatientDayLogsView.as_view(), name="patient-day-logs"),
    path(
        "patients/<uuid:pk>/impressions/",
        PatientImpressionsView.as_view(),
        name="patient-impressions",
    ),
    # --- Notifications (issue 4) ---
    path("devices/", DeviceView.as_view(), name="devices"),
    path("notifications/inbox/", InboxView.as_view(), name="inbox"),
    path(
        "notifications/inbox/unread-count/",
        InboxUnreadCountView.as_view(),
        name="inbox-unread-count",
    ),
    path(
        "notifications/preferences/",
        NotificationPreferenceView.as_view(),
        name="notification-preferences",
    ),
    path("notifications/webhook/", WebhookStatusView.as_view(), name="clinic-webhook"),
    path("reminders/preferences/", ReminderPreferenceView.as_view(), name="reminder-preferences"),
    path("reminders/due/", RemindersDueView.as_view(), name="reminders-due"),  # issue 13
    # --- end notifications ---
    path("outcomes/", OutcomesView.as_view(), name="outcomes"),  # issue 16
    *router.urls,
]
