"""Throttles tell clients apart by the connection's address: a client cannot pick a fresh X-Forwarded-For to
escape its limits (unless NUM_PROXIES says that many proxies in front of the site are trusted)."""
from django.test import RequestFactory, override_settings
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


def ident(**meta) -> str:
    return AnonRateThrottle().get_ident(Request(RequestFactory().get("/api/memes/", **meta)))


def test_a_forwarded_for_header_is_not_believed_by_default():
    assert ident(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="203.0.113.9") == "10.0.0.7"


def test_behind_one_trusted_proxy_its_forwarded_address_is_the_client(settings):
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):  # DRF reloads its settings
        assert api_settings.NUM_PROXIES == 1
        assert ident(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4, 203.0.113.9") == "203.0.113.9"
