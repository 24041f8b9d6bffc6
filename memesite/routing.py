from django.urls import path

from gallery.consumers import GalleryConsumer
from generator.consumers import JobConsumer

websocket_urlpatterns = [
    path("ws/jobs/<uuid:job_id>/", JobConsumer.as_asgi()),
    path("ws/gallery/", GalleryConsumer.as_asgi()),
]
