from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.errors import api_aware_400, api_aware_403, api_aware_404, api_aware_500

urlpatterns = [
    # A landing page: where the patient app, the clinic pages and the API docs are.
    path("", TemplateView.as_view(template_name="landing.html"), name="landing"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("clinic/", include("clinic.urls")),  # staff web pages (issue 6)
    path("app/", include("patient_app.urls")),  # the patient web app (issue 14)
    # Anything else under /api/ is a JSON 404, even with DEBUG on, and for a
    # POST too (a phone has no CSRF cookie; the answer changes nothing).
    re_path(r"^api/", csrf_exempt(api_aware_404)),
]

handler400 = api_aware_400
handler403 = api_aware_403
handler404 = api_aware_404
handler500 = api_aware_500
