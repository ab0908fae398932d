"""The product's URLs plus one bench-only view: a bare Django view inserting
one row, served by the same gunicorn, settings and database as the API. It is
the floor bench/load.py compares the project against."""

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401
from diary.models import SymptomEntry

BARE_PATH = "bench/bare-insert/"
BARE_PATIENT_HEADER = "HTTP_X_BENCH_PATIENT"


@csrf_exempt
def bare_insert(request):
    """One ORM INSERT of a symptom entry for the patient named in a header: no
    authentication, validation, audit, lock or job (outside /api/, so the API
    middleware leaves it alone)."""
    SymptomEntry.objects.create(
        patient_id=request.META[BARE_PATIENT_HEADER],
        recorded_at=timezone.now(),
        posture="lying",
        headache=1,
    )
    return HttpResponse(status=201)


urlpatterns = [path(BARE_PATH, bare_insert), *urlpatterns]
