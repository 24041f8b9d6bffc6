"""REST endpoints for accounts: sign up, log in for a token, the current user, a new token."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from .models import User
from .services import token_get, token_rotate, user_create, username_clean


class UserSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="Empty when the user gave none.")

    class Meta:
        model = User
        fields = ("id", "username", "email", "is_staff", "date_joined")
        read_only_fields = fields


class SignUpSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    def validate_username(self, value):
        try:
            return username_clean(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(list(error.messages)) from error

    def create(self, validated_data):
        try:
            return user_create(**validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(source="key", read_only=True)


class SignUpView(APIView):
    """Create an account; the response carries the new user's API token."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    @extend_schema(request=SignUpSerializer, responses={201: TokenSerializer})
    def post(self, request):
        serializer = SignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        return Response(TokenSerializer(token_rotate(user=user)).data, status=status.HTTP_201_CREATED)


class TokenLoginView(APIView):
    """Log in with a username and password for the user's API token (the same one until it is rotated)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=AuthTokenSerializer, responses={200: TokenSerializer})
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return Response(TokenSerializer(token_get(user=serializer.validated_data["user"])).data)


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class TokenView(APIView):
    """POST makes a new API token for the current user; the old one stops working."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={201: TokenSerializer})
    def post(self, request):
        return Response(TokenSerializer(token_rotate(user=request.user)).data, status=status.HTTP_201_CREATED)
