from django.urls import path

from chancela.callbacks import views

app_name = "callbacks"

urlpatterns = [
    # Clicksign never follows redirects: both spellings answer directly.
    path("callbackclicksign", views.receive, name="receive_bare"),
    path("callbackclicksign/", views.receive),
    path("callbackclicksign/<uuid:config_public_id>", views.receive, name="receive"),
    path("callbackclicksign/<uuid:config_public_id>/", views.receive),
    path("callbacks/", views.monitor, name="monitor"),
    path("callbacks/<uuid:public_id>/reprocessar/", views.reprocess, name="reprocess"),
    path("callbacks/reprocessar/", views.reprocess_selected, name="reprocess_selected"),
]
