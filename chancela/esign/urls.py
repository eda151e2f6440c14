from django.urls import path

from chancela.esign import promotion_views, purge_views, views

app_name = "esign"

urlpatterns = [
    path("configuracoes/", views.config_list, name="config_list"),
    path("configuracoes/nova/", views.config_create, name="config_create"),
    path("configuracoes/<uuid:public_id>/", views.config_detail, name="config_detail"),
    path("configuracoes/<uuid:public_id>/editar/", views.config_edit, name="config_edit"),
    path(
        "configuracoes/<uuid:public_id>/ativa/", views.config_set_active, name="config_set_active"
    ),
    path(
        "configuracoes/<uuid:public_id>/testar-conexao/",
        views.config_test_connection,
        name="config_test_connection",
    ),
    path(
        "configuracoes/<uuid:public_id>/registrar-webhook/",
        views.config_register_webhook,
        name="config_register_webhook",
    ),
    path("tipos-de-documento/", views.document_type_list, name="document_type_list"),
    path("tipos-de-documento/novo/", views.document_type_create_view, name="document_type_create"),
    path(
        "tipos-de-documento/<uuid:public_id>/editar/",
        views.document_type_edit,
        name="document_type_edit",
    ),
    path(
        "tipos-de-documento/<uuid:public_id>/signatarios/",
        views.document_type_signer_add_view,
        name="document_type_signer_add",
    ),
    path(
        "tipos-de-documento/<uuid:public_id>/signatarios/<uuid:signer_id>/",
        views.document_type_signer_change,
        name="document_type_signer_change",
    ),
    path(
        "configuracoes/<uuid:public_id>/promover/",
        promotion_views.promotion_start,
        name="promotion_start",
    ),
    path(
        "configuracoes/<uuid:public_id>/promover/dados/",
        promotion_views.promotion_credentials,
        name="promotion_credentials",
    ),
    path(
        "configuracoes/<uuid:public_id>/promover/conexao/",
        promotion_views.promotion_connection,
        name="promotion_connection",
    ),
    path(
        "configuracoes/<uuid:public_id>/promover/webhook/",
        promotion_views.promotion_webhook,
        name="promotion_webhook",
    ),
    path(
        "configuracoes/<uuid:public_id>/promover/tipos-de-documento/",
        promotion_views.promotion_document_types_view,
        name="promotion_document_types",
    ),
    path(
        "configuracoes/<uuid:public_id>/promover/confirmar/",
        promotion_views.promotion_confirm,
        name="promotion_confirm",
    ),
    path(
        "configuracoes/<uuid:public_id>/promover/abandonar/",
        promotion_views.promotion_abandon,
        name="promotion_abandon",
    ),
    path(
        "pessoas-registradas/limpeza/",
        purge_views.signer_registration_purge,
        name="signer_registration_purge",
    ),
]
