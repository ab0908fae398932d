"""One Content-Security-Policy for every HTML page the service serves.

Set here, once, rather than per view: the clinic pages, the patient app and
the landing page all get it. Pages load scripts and styles from our own origin
only; no inline script or style is allowed, so an injected `<script>` does not
run. A view may set its own header (the API sets a stricter one for JSON).
"""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            "Content-Security-Policy" not in response
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(tuple(settings.CONTENT_SECURITY_POLICY_EXEMPT))
        ):
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response
