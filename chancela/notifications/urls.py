from django.urls import path

from chancela.notifications import views

app_name = "notifications"

urlpatterns = [
    path("integracoes/eventos/", views.endpoint_list, name="endpoint_list"),
    path("integracoes/eventos/<uuid:public_id>/", views.endpoint_detail, name="endpoint_detail"),
    path(
        "integracoes/eventos/<uuid:public_id>/ativo/",
        views.endpoint_set_active,
        name="endpoint_set_active",
    ),
]
