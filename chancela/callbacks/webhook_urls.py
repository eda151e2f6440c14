"""The URL configuration of the lean webhook handler (chancela/callbacks/wsgi.py): only the
receivers, so resolving a delivery's path does not walk every pattern of the site."""

from chancela.callbacks.urls import RECEIVERS

urlpatterns = RECEIVERS
