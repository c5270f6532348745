import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema.settings")

# Tracing must hook in before Django builds its middleware chain; off (and not
# even imported) unless an OTLP endpoint is configured.
if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
    from cinema.tracing import tracing_setup

    tracing_setup()

django_application = get_wsgi_application()  # sets Django up

from cinema.readfront import ReadFront  # noqa: E402 (needs the apps loaded)

# Fresh cached anonymous reads are answered before Django's handler (issue 13).
application = ReadFront(django_application)
