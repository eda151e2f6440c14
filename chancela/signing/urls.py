from django.urls import path

from chancela.signing import data_subject_views, verification_views, views, workspace_views

app_name = "signing"

urlpatterns = [
    path("enviar/", views.request_create, name="request_create"),
    path("enviar/previa/", views.request_preview, name="request_preview"),
    path("enviar/pessoas/", views.people_search_view, name="people_search"),
    path("solicitacoes/", workspace_views.request_list, name="request_list"),
    path("solicitacoes/exportar.csv", workspace_views.request_list_csv, name="request_list_csv"),
    path("solicitacoes/<uuid:public_id>/", views.request_detail, name="request_detail"),
    path(
        "solicitacoes/<uuid:public_id>/comprovante/",
        verification_views.request_receipt,
        name="request_receipt",
    ),
    path("verificar/", verification_views.verify, name="verify"),
    path("privacidade/titular/", data_subject_views.data_subject, name="data_subject"),
    path("solicitacoes/<uuid:public_id>/linha/", workspace_views.request_row, name="request_row"),
    path(
        "solicitacoes/<uuid:public_id>/versao/",
        workspace_views.request_version,
        name="request_version",
    ),
    path(
        "solicitacoes/<uuid:public_id>/arquivos.zip",
        workspace_views.request_files_zip,
        name="request_files_zip",
    ),
    path(
        "solicitacoes/<uuid:public_id>/lembrar/",
        workspace_views.request_remind,
        name="request_remind",
    ),
    path(
        "solicitacoes/<uuid:public_id>/cancelar/",
        workspace_views.request_cancel,
        name="request_cancel",
    ),
    path(
        "solicitacoes/<uuid:public_id>/reenviar/",
        workspace_views.request_retry,
        name="request_retry",
    ),
    path(
        "solicitacoes/<uuid:public_id>/enviar-novamente/",
        workspace_views.request_copy,
        name="request_copy",
    ),
    path(
        "solicitacoes/<uuid:public_id>/signatarios/<uuid:signer_id>/corrigir/",
        workspace_views.signer_correct,
        name="signer_correct",
    ),
    path(
        "solicitacoes/<uuid:public_id>/documentos/<uuid:document_id>/<str:kind>/",
        views.document_download,
        name="document_download",
    ),
]
