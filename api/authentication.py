"""Who is calling: simplejwt's access tokens, with the patient's diary row in
the same query as the login (nearly every phone request needs both), and the
token family's state in that query too (a logged-out family's access tokens
stop at once, not when they expire)."""

import uuid

from django.db import connections, router
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import TokenFamily, User
from accounts.tokens import FAMILY_CLAIM


class JWTAuthentication(authentication.JWTAuthentication):
    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None and "HTTP_ACCEPT_LANGUAGE" not in request.META:
            # No Accept-Language: messages follow the user's own language.
            translation.activate(found[0].language)
            request.LANGUAGE_CODE = found[0].language
        return found

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        users = User.objects.select_related("patient")
        family = validated_token.get(FAMILY_CLAIM)
        if family is not None:
            users = users.annotate(family_revoked=_family_revoked(family))
        user = users.filter(pk=user_id).first()
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if getattr(user, "family_revoked", False):
            raise InvalidToken(_("This login has ended: log in again."))
        return user


def _family_revoked(family: str) -> RawSQL:
    """Whether the token's family has ended, as a column of the login's query.

    Plain SQL: an ORM Exists() costs more to build than the database spends
    on it, and every API request asks.
    """
    connection = connections[router.db_for_read(TokenFamily)]
    quote = connection.ops.quote_name
    sql = (
        f"NOT EXISTS (SELECT 1 FROM {quote(TokenFamily._meta.db_table)} f "  # noqa: S608
        f"WHERE f.id = %s AND f.user_id = {quote(User._meta.db_table)}.id "
        "AND f.revoked_at IS NULL)"
    )
    family_id = TokenFamily._meta.pk.get_db_prep_value(uuid.UUID(family), connection)
    return RawSQL(sql, [family_id], output_field=BooleanField())  # noqa: S611 - table names only


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI description of simplejwt's scheme, for the class above."""

    target_class = "api.authentication.JWTAuthentication"
