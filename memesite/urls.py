from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from gallery import api as gallery_api
from gallery import views as gallery_views
from generator import api as generator_api
from generator import urls as generator_urls

router = DefaultRouter()
router.register("templates", generator_api.TemplateViewSet, basename="template")
router.register("memes", gallery_api.MemeViewSet, basename="meme")
router.register("jobs", generator_api.JobViewSet, basename="job")

api_patterns = [
    path("", include(router.urls)),
    path("users/", accounts_api.SignUpView.as_view(), name="api-signup"),
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("me/token/", accounts_api.TokenView.as_view(), name="api-token"),
    path("token/", accounts_api.TokenLoginView.as_view(), name="api-token-login"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", include("gallery.urls")),
    path("", include((generator_urls.image_patterns, "images"))),
    path("make/", include("generator.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("u/<str:username>/", gallery_views.profile, name="profile"),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

# Under /api/, an unknown address (and a crash) answers in the API's error format.
handler404 = "memesite.api.not_found"
handler500 = "memesite.api.server_error"
