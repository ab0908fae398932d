from django.urls import path, re_path

from patient_app import views

app_name = "patient_app"

urlpatterns = [
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("i18n/<str:lang>.json", views.catalog, name="catalog"),
    # Every other path under /app/ is a screen of the same shell (enrol, reset, log...).
    re_path(r"^(?:[a-z-]+/?)?$", views.shell, name="shell"),
]
