"""Every error code the code base can answer is in the registry (api/error_codes.py).

The codes come from three places: literals passed to `error_response`,
`error_body`, `ItemError`/`ItemConflict` and exceptions' `default_code` or
`code=` in our own code; the exceptions of DRF that reach the handler; and
simplejwt's. A new code anywhere fails here until it is registered.
"""

import re
from pathlib import Path

import pytest
from rest_framework import exceptions

from api.error_codes import ErrorCode

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "api", "audit", "config", "diary", "exports", "notifications")
CALL = re.compile(
    r"(?<!def )(?<!class )\b(?:error_response|error_body|ItemError|ItemConflict)\(\s*([^,)]+)"
)
DEFAULT_CODE = re.compile(r'default_code = "(\w+)"')
# code= inside the call, past one level of nested parentheses (a gettext call).
AUTH_CODE = re.compile(r'(?:AuthenticationFailed|InvalidToken)\((?:[^()]|\([^()]*\))*code="(\w+)"')
LITERAL = re.compile(r'"(\w+)"')
# First arguments that are not literals: each names a code given elsewhere.
DYNAMIC = {
    "code",  # api/errors.py: the exception's own code (DRF, simplejwt, ours)
    "outcome.code",  # api/views/sync.py: an ItemError's code
}
# simplejwt's codes as it answers them through our views (its own source words
# some positionally, so they are listed, not scanned).
SIMPLEJWT = {"token_not_valid", "no_active_account", "bad_authorization_header"}


def sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path, path.read_text()


def codes_in_our_code() -> set[str]:
    found = set()
    for path, text in sources():
        for argument in CALL.findall(text):
            argument = argument.strip()
            literals = LITERAL.findall(argument)
            assert literals or argument in DYNAMIC, f"{path}: cannot tell the code of {argument}"
            found.update(literals)
        found.update(DEFAULT_CODE.findall(text))
        found.update(AUTH_CODE.findall(text))
    return found


def drf_codes() -> set[str]:
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {
        cls.default_code
        for cls in subclasses(exceptions.APIException)
        if cls.__module__ == "rest_framework.exceptions"
    }


def test_the_scan_finds_the_codes_it_should():
    found = codes_in_our_code()
    assert {"token_reused", "precondition_failed", "conflict", "deleted", "locked_out"} <= found


@pytest.mark.parametrize(
    "source", ["our code", "DRF", "simplejwt"], ids=["ours", "drf", "simplejwt"]
)
def test_every_answerable_code_is_registered(source):
    codes = {"our code": codes_in_our_code, "DRF": drf_codes, "simplejwt": lambda: SIMPLEJWT}[
        source
    ]()
    missing = sorted(codes - set(ErrorCode.values))
    assert not missing, f"add these to api/error_codes.py: {missing}"


def test_the_registry_holds_nothing_that_cannot_be_answered():
    answerable = codes_in_our_code() | drf_codes() | SIMPLEJWT
    # day_exists is answered by issue 13's day logs; registered ahead for the schema.
    unused = sorted(set(ErrorCode.values) - answerable - {"day_exists"})
    assert not unused, f"no code path answers these: {unused}"
