"""URLs that projects include (``path("taskmanager/", include("taskmanager.urls"))``)."""

from django.urls import path

from taskmanager import views

urlpatterns = [
    path("logviewer/<int:pk>/", views.LogViewerView.as_view(), name="log_viewer"),
    path("logviewer/<int:pk>/download/", views.LogDownloadView.as_view(), name="log_download"),
]
