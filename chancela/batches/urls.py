from django.urls import path

from chancela.batches import views

app_name = "batches"

urlpatterns = [
    path("lotes/", views.batch_list, name="batch_list"),
    path("lotes/novo/", views.batch_new, name="batch_new"),
    path("lotes/modelo.csv", views.template_download, name="template"),
    path("lotes/modelo.xlsx", views.template_xlsx_download, name="template_xlsx"),
    path("lotes/<uuid:public_id>/", views.batch_detail, name="batch_detail"),
    path("lotes/<uuid:public_id>/progresso/", views.batch_progress, name="batch_progress"),
    path(
        "lotes/<uuid:public_id>/ocorrencias.csv",
        views.batch_occurrences_csv,
        name="batch_occurrences_csv",
    ),
    path("lotes/<uuid:public_id>/iniciar/", views.batch_run, name="batch_run"),
    path(
        "lotes/<uuid:public_id>/excluir-com-problemas/",
        views.batch_exclude_problems,
        name="batch_exclude_problems",
    ),
    path("lotes/<uuid:public_id>/linhas/<int:line>/", views.row_edit, name="row_edit"),
    path(
        "lotes/<uuid:public_id>/linhas/<int:line>/excluir/", views.row_exclude, name="row_exclude"
    ),
]
