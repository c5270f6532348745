# Cinema seat booking: gunicorn serving Django, static files by whitenoise.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config default-libmysqlclient-dev \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-otel.txt constraints.txt /tmp/
# --build-arg WITH_OTEL=true adds the optional OpenTelemetry packages (tracing
# turns on only when OTEL_EXPORTER_OTLP_ENDPOINT is set at run time).
ARG WITH_OTEL=false
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt -c /tmp/constraints.txt \
 && if [ "$WITH_OTEL" = "true" ]; then /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements-otel.txt -c /tmp/constraints.txt; fi

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 app
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=cinema.settings
WORKDIR /app
COPY --chown=app:app . /app
# collectstatic builds the hashed manifest the DEBUG-off runtime serves; settings only need
# non-empty secrets to import, and these throwaway values never reach runtime.
RUN DEBUG=false SECRET_KEY=build-only PAYMENT_WEBHOOK_SECRET=unused JWT_PRIVATE_KEY=unused JWT_PUBLIC_KEY=unused \
    python manage.py collectstatic --noinput -v0 \
 && rm -rf /app/.keys && mkdir -p /app/.cache /app/secrets \
 && chown -R app:app /app/staticfiles /app/.cache /app/secrets
USER app
EXPOSE 8000
# Liveness (/health/live, no database): a database outage must not mark every app
# container unhealthy and get it restarted; readiness is /health.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2).status == 200 else 1)"
# Missing SECRET_KEY / JWT keys are created once in /app/secrets (mount a volume
# there to keep them); then migrate and serve.
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "cinema.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
