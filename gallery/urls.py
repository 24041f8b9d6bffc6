from django.urls import path

from . import views

app_name = "gallery"

urlpatterns = [
    path("", views.gallery, {"ranking": "hot"}, name="hot"),
    path("new/", views.gallery, {"ranking": "new"}, name="new"),
    path("best/", views.gallery, {"ranking": "best"}, name="best"),
    path("top/", views.gallery, {"ranking": "top"}, name="top"),
    path("t/<slug:slug>/", views.template_gallery, name="template"),
    path("m/<int:meme_id>/", views.meme, name="meme"),
    path("m/<int:meme_id>/vote/", views.vote, name="vote"),
    path("m/<int:meme_id>/report/", views.report, name="report"),
    path("m/<int:meme_id>/hide/", views.hide, name="hide"),
    path("m/<int:meme_id>/publish/", views.publish, name="publish"),
]
