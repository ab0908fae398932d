from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from api.views.accounts import EnrollView, LogoutView, MeView
from api.views.flags import FlagViewSet
from api.views.patients import PatientEntriesView, PatientTreatmentsView, PatientViewSet
from api.views.records import EntryViewSet, TreatmentViewSet
from api.views.sync import SyncView

router = SimpleRouter(use_regex_path=False)  # so ids go through the uuid converter
router.register("entries", EntryViewSet, basename="entry")
router.register("patches", TreatmentViewSet, basename="patch")
router.register("patients", PatientViewSet, basename="patient")
router.register("flags", FlagViewSet, basename="flag")

urlpatterns = [
    path("auth/token/", TokenObtainPairView.as_view(), name="token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("auth/enroll/", EnrollView.as_view(), name="enroll"),
    path("me/", MeView.as_view(), name="me"),
    path("sync/", SyncView.as_view(), name="sync"),
    path("patients/<uuid:pk>/entries/", PatientEntriesView.as_view(), name="patient-entries"),
    path("patients/<uuid:pk>/patches/", PatientTreatmentsView.as_view(), name="patient-patches"),
    *router.urls,
]
