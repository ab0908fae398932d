"""Who is calling: simplejwt's access tokens, with the patient's diary row in
the same query as the login (nearly every phone request needs both), and the
token family's state in that query too (a logged-out family's access tokens
stop at once, not when they expire)."""

import functools
import uuid

from django.db import connections, router
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import TokenFamily, User
from accounts.tokens import FAMILY_CLAIM
from diary.models import Patient


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
        user = login_with_patient(user_id, validated_token.get(FAMILY_CLAIM))
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if getattr(user, "family_revoked", False):
            raise InvalidToken(_("This login has ended: log in again."))
        return user


def login_with_patient(user_id, family: str | None) -> User | None:
    """The user, their diary row (`user.patient`, or none) and `family_revoked`, one query.

    What `User.objects.select_related("patient").annotate(...)` would give, from
    SQL built once a process: building that query through the ORM cost more than
    the database spends answering it, and every API request asks.
    """
    alias = router.db_for_read(User)
    sql, user_columns, patient_columns = _login_sql(alias, with_family=family is not None)
    connection = connections[alias]
    params = [User._meta.pk.get_db_prep_value(user_id, connection)]
    if family is not None:
        params.insert(0, TokenFamily._meta.pk.get_db_prep_value(uuid.UUID(family), connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    user = _instance(User, alias, user_columns, row)
    user.family_revoked = bool(row[-1])
    patient = None
    if row[len(user_columns) + PATIENT_PK_INDEX] is not None:
        patient = _instance(Patient, alias, patient_columns, row, start=len(user_columns))
        Patient._meta.get_field("user").set_cached_value(patient, user)
    User._meta.get_field("patient").set_cached_value(user, patient)  # none: DoesNotExist
    return user


def _instance(model, alias, columns, row, *, start=0):
    connection = connections[alias]
    values = []
    for i, (_field, col, converters) in enumerate(columns, start):
        value = row[i]
        for converter in converters:  # as the ORM applies them to a selected column
            value = converter(value, col, connection)
        values.append(value)
    return model.from_db(alias, [field.attname for field, _col, _converters in columns], values)


PATIENT_PK_INDEX = Patient._meta.concrete_fields.index(Patient._meta.pk)


@functools.cache
def _login_sql(alias: str, *, with_family: bool):
    """(SQL, user columns, patient columns) for `alias`; a column: (field, Col, converters)."""
    connection = connections[alias]
    quote = connection.ops.quote_name

    def columns(model, table):
        chosen = []
        for field in model._meta.concrete_fields:
            col = field.get_col(table)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            chosen.append((field, col, tuple(converters)))
        return chosen

    user_table, patient_table = User._meta.db_table, Patient._meta.db_table
    user_columns, patient_columns = columns(User, user_table), columns(Patient, patient_table)
    selected = [
        f"{quote(table)}.{quote(field.column)}"
        for table, fields in ((user_table, user_columns), (patient_table, patient_columns))
        for field, _col, _converters in fields
    ]
    # A token without a family (an old one) has none to end.
    revoked = (
        f"NOT EXISTS (SELECT 1 FROM {quote(TokenFamily._meta.db_table)} f "  # noqa: S608
        f"WHERE f.id = %s AND f.user_id = {quote(user_table)}.id AND f.revoked_at IS NULL)"
        if with_family
        else "FALSE"
    )
    sql = (
        f"SELECT {', '.join(selected)}, {revoked} "  # noqa: S608 - names from the models' meta
        f"FROM {quote(user_table)} LEFT JOIN {quote(patient_table)} "
        f"ON {quote(patient_table)}.{quote(Patient._meta.get_field('user').column)} "
        f"= {quote(user_table)}.id WHERE {quote(user_table)}.id = %s"
    )
    return sql, user_columns, patient_columns


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI description of simplejwt's scheme, for the class above."""

    target_class = "api.authentication.JWTAuthentication"
