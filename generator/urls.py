from django.urls import path

from . import views

app_name = "generator"

urlpatterns = [
    path("", views.pick, name="pick"),
    path("<slug:slug>/", views.make, name="make"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/choose/", views.choose, name="choose"),
]
