"""What accounts do: sign up, manage API tokens, tell who is asking."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from .models import User, username_key


def username_clean(username: str) -> str:
    """A new user's name, as the sign-up form and the API both take it: Unicode-normalised as Django's form does
    (NFKC: fullwidth 'ａｌｉｃｅ' is 'alice'), checked as the model checks it, and refused when it is taken or looks like
    a name that is (Cyrillic 'аlice', 'aIice' with a capital i)."""
    username = User.normalize_username(username)
    User._meta.get_field("username").clean(username, None)  # NFKC may lengthen a name, or change its characters
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError("That username is taken.", code="unique")
    if User.objects.filter(username_key=username_key(username)).exists():
        raise ValidationError("That username looks too much like one that is taken.", code="confusable")
    return username


def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create a user after Django's password validators agree (raises ValidationError)."""
    user = User(username=username, email=email)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def token_rotate(*, user: User) -> Token:
    """Replace the user's API token with a new one; the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_get(*, user: User) -> Token:
    """The user's API token, made on first use; logging in for it again leaves other clients' copies working."""
    return Token.objects.get_or_create(user=user)[0]


def request_user(request):
    """Who is asking, on a plain page that API clients fetch too (an image's address): the owner of the API token
    in the Authorization header, as the API would say, else the session's user. AuthenticationFailed for a bad
    token."""
    authenticated = TokenAuthentication().authenticate(request)
    return authenticated[0] if authenticated else request.user
