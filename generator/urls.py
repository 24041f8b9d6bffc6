from django.urls import path, re_path

from . import views

app_name = "generator"

urlpatterns = [
    path("", views.pick, name="pick"),
    path("photo/", views.photo, name="photo"),  # before the templates' slugs: "photo" and "own" name no template
    path("own/", views.own, name="own"),
    path("remix/<int:meme_id>/", views.remix, name="remix"),
    path("<slug:slug>/", views.make, name="make"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/choose/", views.choose, name="choose"),
    path("jobs/<uuid:job_id>/face/", views.face, name="face"),
    path("jobs/<uuid:job_id>/expression/", views.expression, name="expression"),
]

# Image addresses, at the site's root (memesite/urls.py). /t/<slug>/ itself is the template's gallery page;
# these are only the deeper paths that end in an image extension.
image_patterns = [
    re_path(r"^m/(?P<meme_id>[0-9]+)/(?P<key>[0-9a-f]{20})\.(?P<extension>jpg|png|webp|gif)$", views.meme_image,
            name="meme"),
    re_path(r"^t/(?P<slug>[-a-zA-Z0-9_]+)/(?P<path>.+)\.(?P<extension>jpg|jpeg|png|webp|gif)$", views.template_image,
            name="template"),
    # memegen.link's own path, so that a link or bot made for it needs only the host changed.
    re_path(r"^images/(?P<slug>[-a-zA-Z0-9_]+)/(?P<path>.+)\.(?P<extension>jpg|jpeg|png|webp|gif)$",
            views.template_image, name="memegen"),
]  # fmt: skip
