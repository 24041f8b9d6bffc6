"""ASGI entry point: Django for HTTP, Channels for websockets."""

import os

from memesite.handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memesite.settings")
# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from memesite.routing import websocket_urlpatterns  # noqa: E402
from memesite.static import static_files_first  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": static_files_first(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
