"""Token families: every login starts one, every refresh rotates within it.

A refresh token is good for one refresh. Presented again within `GRACE` of
its first use (a phone that lost the reply on a bad network) it answers a
new pair of the same family. Presented again later, someone else holds a copy:
the whole family is revoked and the caller told `token_reused`. Logging out,
changing or resetting the password revoke families too, so however many
chains a family has grown (simultaneous refreshes all win within the grace),
none outlives the logout.

Access tokens carry the family (`fam` claim): `api.authentication` refuses one
whose family is revoked, so a logout ends the access token as well.
"""

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import IssuedRefreshToken, TokenFamily, User

GRACE = dt.timedelta(seconds=30)
FAMILY_CLAIM = "fam"


class TokenRefused(Exception):
    """Not a refresh token of a live family (expired, forged, logged out)."""


class TokenReused(Exception):
    """Used again after the grace: the family it belonged to is now revoked."""


def login_begin(*, user: User) -> RefreshToken:
    """A new family and its first refresh token (the access token is `.access_token`)."""
    family = TokenFamily.objects.create(user=user)
    return _issue(family)


def token_refresh(*, raw: str, now: dt.datetime | None = None) -> RefreshToken:
    """The next refresh token of the family `raw` belongs to.

    Commits its own transaction before raising TokenReused: the revocation
    must stand although the request answers an error.
    """
    now = now or timezone.now()
    with transaction.atomic():
        token = _parse(raw)
        family_id = token.get(FAMILY_CLAIM)
        if family_id is None:  # issued before families: its chain starts one
            user = User.objects.filter(pk=token[api_settings.USER_ID_CLAIM]).first()
            if user is None or not user.is_active:
                raise TokenRefused
            token.blacklist()
            return login_begin(user=user)
        family = (
            TokenFamily.objects.select_for_update()
            .select_related("user")
            .filter(pk=family_id, revoked_at__isnull=True)
            .first()
        )
        issued = (
            family
            and IssuedRefreshToken.objects.filter(
                jti=token[api_settings.JTI_CLAIM], family=family
            ).first()
        )
        if issued is None or not family.user.is_active:
            raise TokenRefused
        reused = issued.used_at is not None and now - issued.used_at > GRACE
        if reused:
            _revoke(TokenFamily.objects.filter(pk=family.pk), reason="reused", now=now)
        else:
            if issued.used_at is None:
                issued.used_at = now
                issued.save(update_fields=["used_at"])
            return _issue(family)
    raise TokenReused


def family_end(*, raw: str, everywhere: bool = False, now: dt.datetime | None = None) -> int:
    """Logout: the family of this refresh token ends (every chain of it). Answers the user id.

    `everywhere`: every family of the token's user ends (every phone's login),
    in one UPDATE. That asks for a token of a live family: one of a login that
    already ended (a reuse, a logout) may end itself again, never the others.
    """
    token = _parse(raw)
    family_id = token.get(FAMILY_CLAIM)
    user_id = token[api_settings.USER_ID_CLAIM]
    if everywhere:
        if (
            family_id is not None
            and not TokenFamily.objects.filter(pk=family_id, revoked_at__isnull=True).exists()
        ):
            raise TokenRefused("Token is invalid or expired")
        families_end(user=user_id, reason="logout_all", now=now)
    elif family_id is not None:
        _revoke(TokenFamily.objects.filter(pk=family_id), reason="logout", now=now)
    token.blacklist()
    return user_id


def families_end(
    *, user: User | int, reason: str, keep: uuid.UUID | str | None = None, now=None
) -> None:
    """Log out every login of this user but `keep` (the one asking, if any)."""
    _revoke(TokenFamily.objects.filter(user=user).exclude(pk=keep), reason=reason, now=now)
    # Refresh tokens from before families have no family to revoke: blacklist them.
    kept = IssuedRefreshToken.objects.filter(family_id=keep).values("jti")
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=t) for t in outstanding.exclude(jti__in=kept)],
        ignore_conflicts=True,
    )


def tokens_purge_expired(*, now: dt.datetime) -> int:
    """Forget refresh tokens past their lifetime (they cannot be presented any
    more) and families left without one; answers how many rows went."""
    cutoff = now - api_settings.REFRESH_TOKEN_LIFETIME
    tokens, _ = IssuedRefreshToken.objects.filter(issued_at__lt=cutoff).delete()
    families, _ = TokenFamily.objects.filter(created_at__lt=cutoff, tokens__isnull=True).delete()
    return tokens + families


def _revoke(families, *, reason: str, now=None) -> None:
    families.filter(revoked_at__isnull=True).update(
        revoked_at=now or timezone.now(), revoked_reason=reason
    )


def _parse(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError as exc:
        raise TokenRefused(str(exc)) from exc


def _issue(family: TokenFamily) -> RefreshToken:
    refresh = RefreshToken.for_user(family.user)
    refresh[FAMILY_CLAIM] = str(family.pk)
    IssuedRefreshToken.objects.create(jti=refresh[api_settings.JTI_CLAIM], family=family)
    return refresh
