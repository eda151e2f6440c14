from django.urls import path

from chancela.callbacks import views

app_name = "callbacks"

# The receivers: also all that the lean webhook handler resolves (chancela/callbacks/wsgi.py).
RECEIVERS = [
    # Clicksign never follows redirects: both spellings answer directly.
    path("callbackclicksign", views.receive, name="receive_bare"),
    path("callbackclicksign/", views.receive),
    path("callbackclicksign/<uuid:config_public_id>", views.receive, name="receive"),
    path("callbackclicksign/<uuid:config_public_id>/", views.receive),
]

urlpatterns = [
    *RECEIVERS,
    path("callbacks/", views.monitor, name="monitor"),
    path("callbacks/<uuid:public_id>/reprocessar/", views.reprocess, name="reprocess"),
    path("callbacks/reprocessar/", views.reprocess_selected, name="reprocess_selected"),
]
