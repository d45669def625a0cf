"""django-helpdesk's URLs at the root: `/tickets/submit/` is the public submission form."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
