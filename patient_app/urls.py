from django.urls import path

from patient_app import views

app_name = "patient_app"

urlpatterns = [
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("i18n/<str:lang>.json", views.catalog, name="catalog"),
    path("", views.shell, name="shell"),
]
# Every screen is the same shell; the app's router picks the screen from the path.
SCREENS = ("login", "enrol", "reset", "log", "standup", "day", "pgic", "treatment", "course")
urlpatterns += [path(screen, views.shell) for screen in (*SCREENS, "history", "settings")]
