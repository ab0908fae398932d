"""The channels' small print: the webhook signature and choosing a push backend."""

import hashlib
import hmac
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from notifications.transports import (
    FcmBackend,
    StoredPushBackend,
    push_backend,
    webhook_signature,
)


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    body = b'{"event":"flag.raised"}'
    expected = hmac.new(b"secret", b"1700000000." + body, hashlib.sha256).hexdigest()

    assert webhook_signature("secret", "1700000000", body) == f"sha256={expected}"
    # Another time with the same body does not verify: a replay needs a fresh signature.
    assert webhook_signature("secret", "1700000001", body) != f"sha256={expected}"


def test_push_is_stored_unless_fcm_credentials_are_configured(settings):
    settings.FCM_CREDENTIALS_FILE = ""
    assert isinstance(push_backend(), StoredPushBackend)


def test_fcm_is_used_when_a_service_account_file_is_configured(settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    account = tmp_path / "service-account.json"
    account.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "csf-diary-test",
                "private_key_id": "test",
                "private_key": pem,
                "client_email": "push@csf-diary-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    settings.FCM_CREDENTIALS_FILE = str(account)

    backend = push_backend()  # nothing leaves the machine until a message is sent

    assert isinstance(backend, FcmBackend)
    assert backend.app.project_id == "csf-diary-test"
