from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from chancela.api.api import api
from chancela.web.admin_names import portuguese_app_list

admin.site.site_header = "Chancela — administração"
admin.site.site_title = "Chancela"
admin.site.index_title = "Administração"
portuguese_app_list(admin.site)

urlpatterns = [
    path("entrar/", auth_views.LoginView.as_view(), name="login"),
    path("sair/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("chancela.esign.urls")),
    path("", include("chancela.notifications.urls")),
    path("api/v1/", api.urls),
    path("", include("chancela.api.urls")),
    path("", include("chancela.signing.urls")),
    path("", include("chancela.callbacks.urls")),
    path("", include("chancela.batches.urls")),
    path("", include("chancela.ops.urls")),
    path("", include("chancela.web.urls")),
]

# Portuguese error pages (with DEBUG on too: see chancela.web.errors).
handler400 = "chancela.web.errors.bad_request"
handler403 = "chancela.web.errors.permission_denied"
handler404 = "chancela.web.errors.page_not_found"
handler500 = "chancela.web.errors.server_error"
