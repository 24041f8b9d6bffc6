from django.urls import path

from . import views

app_name = "generator"

urlpatterns = [
    path("", views.pick, name="pick"),
    path("photo/", views.photo, name="photo"),  # before the templates' slugs: "photo" names no template
    path("<slug:slug>/", views.make, name="make"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/choose/", views.choose, name="choose"),
    path("jobs/<uuid:job_id>/face/", views.face, name="face"),
    path("jobs/<uuid:job_id>/expression/", views.expression, name="expression"),
]
