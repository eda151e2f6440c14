from django.urls import path

from chancela.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("informacoes-compartilhadas/", views.sharing_policy, name="sharing_policy"),
]
