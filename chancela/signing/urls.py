from django.urls import path

from chancela.signing import views

app_name = "signing"

urlpatterns = [
    path("enviar/", views.request_create, name="request_create"),
    path("enviar/pessoas/", views.people_search_view, name="people_search"),
    path("solicitacoes/<uuid:public_id>/", views.request_detail, name="request_detail"),
    path(
        "solicitacoes/<uuid:public_id>/documentos/<uuid:document_id>/<str:kind>/",
        views.document_download,
        name="document_download",
    ),
]
