import os

from django.core.wsgi import get_wsgi_application

# Forced, not setdefault: the bench exports the app's settings for its own use.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"

application = get_wsgi_application()
