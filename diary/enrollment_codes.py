"""One-time enrolment codes: easy to type from paper, hard to guess.

12 characters of Crockford base32 (60 bits), shown as XXXX-XXXX-XXXX. Only
the SHA-256 of the normalised code is stored.
"""

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread
LENGTH = 12
_MISREAD = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def normalize(code: str) -> str:
    return code.upper().replace("-", "").replace(" ", "").translate(_MISREAD)


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()
