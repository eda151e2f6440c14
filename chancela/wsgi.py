import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings")

django_application = get_wsgi_application()

from chancela.callbacks.wsgi import with_lean_webhooks  # noqa: E402 - needs Django set up

# Clicksign's webhook deliveries skip the browser middleware (chancela/callbacks/wsgi.py).
application = with_lean_webhooks(django_application)
