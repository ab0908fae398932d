"""The channels: email, a clinic's webhook, phone push.

They share one error type that says whether a retry can help
(after healthchecks' hc/api/transports.py). Nothing here touches the database
except the stored-message push backend, whose whole point is to store.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage

logger = logging.getLogger(__name__)

# Statuses worth trying again; any other 4xx (410 Gone above all) is final.
TRANSIENT_HTTP = frozenset({408, 425, 429})


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


# --- Email -----------------------------------------------------------------------


def send_email(*, to: str, subject: str, body: str) -> None:
    try:
        EmailMessage(subject=subject, body=body, to=[to]).send()
    except BadHeaderError as exc:  # a line break in a header: sending again cannot help
        raise TransportError(f"email: {exc}", permanent=True) from exc
    except OSError as exc:  # smtplib errors are OSErrors: connection, refusal, timeout
        raise TransportError(f"email: {exc}", permanent=False) from exc


# --- Webhook ----------------------------------------------------------------------

SIGNATURE_HEADER = "X-Diary-Signature"
TIMESTAMP_HEADER = "X-Diary-Timestamp"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "timestamp.body": a replayed body with a new time fails."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def send_webhook(*, url: str, secret: str, payload: dict, timestamp: int | None = None) -> None:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked just below
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "csf-diary-webhook/1",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: webhook_signature(secret, stamp, body),
        },
    )
    if not url.startswith(("https://", "http://")):
        raise TransportError(f"webhook: not an http(s) URL: {url}", permanent=True)
    try:
        with urllib.request.urlopen(  # noqa: S310 - http(s) only, checked above
            request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        permanent = 400 <= exc.code < 500 and exc.code not in TRANSIENT_HTTP
        raise TransportError(f"webhook: HTTP {exc.code}", permanent=permanent) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise TransportError(f"webhook: {exc}", permanent=False) from exc


# --- Push -------------------------------------------------------------------------


@dataclass(frozen=True)
class Push:
    title: str
    body: str
    data: dict


class StoredPushBackend:
    """Keeps each message as a PushMessage row: the embedded default, and tests."""

    def send(self, *, device, push: Push) -> None:
        from notifications.models import PushMessage

        PushMessage.objects.create(
            device=device, token=device.token, title=push.title, body=push.body, data=push.data
        )


class FcmBackend:
    """Firebase Cloud Messaging, used when FCM_CREDENTIALS_FILE is set."""

    def __init__(self, credentials_file: str):
        try:
            import firebase_admin
            from firebase_admin import credentials
        except ImportError as exc:  # pragma: no cover - pinned in requirements.txt
            raise RuntimeError(
                "FCM_CREDENTIALS_FILE is set but firebase-admin is not installed"
            ) from exc
        self.app = firebase_admin.initialize_app(
            credentials.Certificate(credentials_file), name="csf-diary"
        )

    def send(self, *, device, push: Push) -> None:
        from firebase_admin import exceptions, messaging

        message = messaging.Message(
            token=device.token,
            notification=messaging.Notification(title=push.title, body=push.body),
            data={key: str(value) for key, value in push.data.items()},
        )
        try:
            messaging.send(message, app=self.app)
        except messaging.UnregisteredError as exc:
            raise TransportError("push: token no longer registered", permanent=True) from exc
        except exceptions.FirebaseError as exc:
            raise TransportError(f"push: {exc}", permanent=False) from exc


@cache
def _fcm(credentials_file: str) -> FcmBackend:
    return FcmBackend(credentials_file)


def push_backend():
    if settings.FCM_CREDENTIALS_FILE:
        return _fcm(settings.FCM_CREDENTIALS_FILE)
    return StoredPushBackend()
