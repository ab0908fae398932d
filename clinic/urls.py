from django.contrib.auth import views as auth_views
from django.urls import path

from clinic import outcomes, views

app_name = "clinic"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("flags/", views.inbox, name="inbox"),
    path("flags/<uuid:flag_id>/acknowledge/", views.flag_acknowledge_view, name="flag-acknowledge"),
    path("flags/<uuid:flag_id>/resolve/", views.flag_resolve_view, name="flag-resolve"),
    path("patients/", views.patients, name="patients"),
    path("patients/new/", views.patient_enrol, name="enrol"),
    path("patients/<uuid:patient_id>/", views.patient_timeline, name="patient"),
    path("patients/<uuid:patient_id>/exports/", views.export_create, name="export-create"),
    path("exports/<uuid:job_id>/", views.export_status, name="export"),
    path("exports/<uuid:job_id>/download/", views.export_download, name="export-download"),
    # --- Clinic outcomes (issue 16) ---
    path("outcomes/", outcomes.outcomes_page, name="outcomes"),
    path("outcomes/outcomes.csv", outcomes.outcomes_csv, name="outcomes-csv"),
]
