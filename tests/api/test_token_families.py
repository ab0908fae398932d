"""v1.1 token families: a 30-second grace for a lost reply, reuse revokes the family."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import TokenFamily
from accounts.tokens import family_end
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(username="alice"):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def refresh(token):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def logout(token):
    return APIClient().post("/api/v1/auth/logout/", {"refresh": token}, format="json")


def me(access):
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {access}").get("/api/v1/me/").status_code


def test_every_login_starts_a_family(cast):
    login()
    login()
    assert TokenFamily.objects.filter(user=cast.patient_a.user).count() == 2


def test_a_refresh_whose_reply_was_lost_is_answered_again_within_30_seconds(cast):
    first = login()["refresh"]
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        lost = refresh(first)  # the phone never sees this reply
    with time_machine.travel(start + dt.timedelta(seconds=29), tick=False):
        retried = refresh(first)
        onwards = refresh(retried.json()["refresh"])

    assert lost.status_code == retried.status_code == onwards.status_code == 200
    assert retried.json()["refresh"] != lost.json()["refresh"]
    assert TokenFamily.objects.get().revoked_at is None


def test_a_refresh_token_used_again_later_revokes_the_whole_family(cast):
    tokens = login()
    first = tokens["refresh"]
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        rotated = refresh(first).json()
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        reused = refresh(first)
        # Everyone holding a token of that family is out, the rightful phone too.
        after = refresh(rotated["refresh"])
        access_after = me(rotated["access"])

    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_reused"
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "token_not_valid"
    assert access_after == 401
    family = TokenFamily.objects.get()
    assert (family.revoked_at is not None, family.revoked_reason) == (True, "reused")


def test_a_reuse_leaves_other_logins_alone(cast):
    mine, other = login(), login()
    refresh(mine["refresh"])
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)):
        assert refresh(mine["refresh"]).status_code == 401
        assert refresh(other["refresh"]).status_code == 200


def test_logout_ends_every_chain_of_the_family(cast):
    first = login()["refresh"]
    chains = [refresh(first).json() for _ in range(3)]  # within the grace: three chains

    assert logout(chains[0]["refresh"]).status_code == 205

    for chain in chains:
        assert refresh(chain["refresh"]).status_code == 401
        assert me(chain["access"]) == 401


def logout_everywhere(token):
    return APIClient().post(
        "/api/v1/auth/logout/", {"refresh": token, "everywhere": True}, format="json"
    )


def test_logout_everywhere_ends_every_login_of_the_user_and_no_one_elses(cast):
    here, phone, tablet = login(), login(), login()
    bobs = login("bob")

    assert logout_everywhere(here["refresh"]).status_code == 205

    for other in (phone, tablet):
        assert refresh(other["refresh"]).status_code == 401
        assert me(other["access"]) == 401
    assert refresh(here["refresh"]).status_code == 401
    assert me(here["access"]) == 401
    assert me(bobs["access"]) == 200
    assert refresh(bobs["refresh"]).status_code == 200
    assert set(
        TokenFamily.objects.filter(user=cast.patient_a.user).values_list(
            "revoked_reason", flat=True
        )
    ) == {"logout_all"}
    assert not TokenFamily.objects.filter(user=cast.patient_b.user, revoked_at__isnull=False)


def test_logout_everywhere_revokes_the_families_in_one_update(cast):
    for _ in range(3):
        login()
    here = login()["refresh"]
    with CaptureQueriesContext(connection) as queries:
        family_end(raw=here, everywhere=True)
    updates = [q["sql"] for q in queries if 'UPDATE "accounts_tokenfamily"' in q["sql"]]
    assert len(updates) == 1


def test_logout_everywhere_asks_for_a_live_login(cast):
    """A refresh token of a login that ended already (a reuse revoked it) ends no other."""
    stolen, other = login(), login()
    refresh(stolen["refresh"])
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)):
        assert refresh(stolen["refresh"]).status_code == 401  # the reuse: family revoked
    response = logout_everywhere(stolen["refresh"])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "token_not_valid"
    assert me(other["access"]) == 200
    assert refresh(other["refresh"]).status_code == 200


def test_a_plain_logout_still_ends_this_login_only(cast):
    here, other = login(), login()

    assert logout(here["refresh"]).status_code == 205

    assert refresh(here["refresh"]).status_code == 401
    assert refresh(other["refresh"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_simultaneous_refreshes_never_leave_two_live_chains_after_logout(postgres_only, cast):
    first = login()["refresh"]
    barrier = threading.Barrier(4)
    answers = []

    def use():
        try:
            barrier.wait()
            answers.append(refresh(first))
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ok = [a.json() for a in answers if a.status_code == 200]
    assert len(ok) == 4  # all within the grace: the same family, four chains
    assert logout(ok[0]["refresh"]).status_code == 205
    assert [refresh(pair["refresh"]).status_code for pair in ok] == [401] * 4
    assert [me(pair["access"]) for pair in ok] == [401] * 4
    assert TokenFamily.objects.filter(revoked_at__isnull=True).count() == 0


def test_enrolment_and_reset_start_families_too(cast, api):
    body = (
        api(cast.coordinator)
        .post(
            "/api/v1/patients/", {"display_name": "Eve", "timezone": "Europe/Paris"}, format="json"
        )
        .json()
    )
    enrolled = APIClient().post(
        "/api/v1/auth/enroll/",
        {"code": body["enrollment_code"], "username": "eve", "password": "a long passphrase"},
        format="json",
    )

    assert enrolled.status_code == 201
    assert TokenFamily.objects.filter(user__username="eve").count() == 1
    assert refresh(enrolled.json()["refresh"]).status_code == 200


def test_expired_refresh_tokens_and_their_families_are_purged(cast, settings):
    from accounts.models import IssuedRefreshToken
    from accounts.tasks import purge_expired_tokens
    from accounts.tokens import tokens_purge_expired

    old = login()["refresh"]
    refresh(old)
    later = dt.datetime.now(dt.UTC) + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    with time_machine.travel(later - dt.timedelta(days=1)):
        live = login()  # a family of yesterday

    assert tokens_purge_expired(now=later + dt.timedelta(minutes=1)) == 3  # 2 tokens, 1 family
    assert list(TokenFamily.objects.values_list("user_id", flat=True)) == [cast.patient_a.user_id]
    assert IssuedRefreshToken.objects.count() == 1
    assert purge_expired_tokens() == 0  # now: nothing has expired yet
    assert live["refresh"]
