"""Who is calling: simplejwt's access tokens, with the patient's diary row in
the same query as the login (nearly every phone request needs both)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication

from accounts.models import User


class _UsersWithDiary:
    """What simplejwt's get_user reads of the user model, with the join."""

    DoesNotExist = User.DoesNotExist

    @property
    def objects(self):
        return User.objects.select_related("patient")


class JWTAuthentication(authentication.JWTAuthentication):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _UsersWithDiary()


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI description of simplejwt's scheme, for the class above."""

    target_class = "api.authentication.JWTAuthentication"
