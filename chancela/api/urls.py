from django.urls import path

from chancela.api import views

app_name = "api_keys"

urlpatterns = [
    path("chaves-de-api/", views.api_key_list, name="list"),
    path("chaves-de-api/nova/", views.api_key_create_view, name="create"),
    path("chaves-de-api/<uuid:public_id>/revogar/", views.api_key_revoke_view, name="revoke"),
]
