from django.urls import path

from . import views

app_name = "gallery"

urlpatterns = [
    path("", views.new, name="new"),
    path("m/<int:meme_id>/", views.meme, name="meme"),
]
