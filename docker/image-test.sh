#!/usr/bin/env bash
# make image-test: build the project image, start the compose stack (app, MySQL-compatible
# database, Redis, RabbitMQ and, when the image has them, the event workers), wait for
# /health, run docker/smoke.py through the API, check /metrics and (with the events app)
# that an event reached RabbitMQ, then tear everything down.
#
#   make image-test                 # podman (default; installed with the base images if missing)
#   ENGINE=docker make image-test   # Docker with the compose plugin
#
# Podman on a machine without an image registry: the public base images are built
# locally by ../shared/tools/container-bases.sh (CONTAINER_BASES=path), about 5 min once.
# Host ports: APP_PORT (28080). Takes 3-6 minutes after the first build.
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=${ENGINE:-podman}
PROJECT=${IMAGE_TEST_PROJECT:-cinema-image-test}
export APP_PORT=${APP_PORT:-28080}
export APP_IMAGE=${APP_IMAGE:-cinema-app:image-test}
export LOG_FORMAT=${LOG_FORMAT:-json}
WAIT_SECONDS=${WAIT_SECONDS:-300}
BASE="http://127.0.0.1:$APP_PORT"

say() { printf '\n=== %s\n' "$*"; }

if [ "$ENGINE" = podman ]; then
  bases=${CONTAINER_BASES:-../shared/tools/container-bases.sh}
  missing=0
  command -v podman >/dev/null && command -v podman-compose >/dev/null || missing=1
  for image in python:3.11-slim-bookworm mysql:8.4 redis:7 rabbitmq:3; do
    [ $missing = 1 ] || podman image exists "docker.io/library/$image" || missing=1
  done
  if [ $missing = 1 ]; then
    if [ -f "$bases" ]; then
      say "building the local base images ($bases)"
      bash "$bases"
    elif ! command -v podman >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc podman-compose >/dev/null
    fi
  fi
  # podman-compose from PyPI (requirements-dev.txt; `make image-test` passes its path):
  # Debian's 1.0.3 leaves ${VAR:-} unexpanded.
  COMPOSE=("${PODMAN_COMPOSE:-podman-compose}" -p "$PROJECT")
  # Builds reach PyPI and Debian the way the host does; docker format keeps HEALTHCHECK.
  BUILD=(podman build --format docker --network host)
else
  COMPOSE=(docker compose -p "$PROJECT")
  BUILD=(docker build)
fi

health_runner=
cleanup() {
  status=$?
  [ -z "$health_runner" ] || kill "$health_runner" 2>/dev/null || true
  if [ $status != 0 ]; then
    say "FAILED; the app's last log lines"
    "${COMPOSE[@]}" logs app 2>/dev/null | tail -n 60 || true
  fi
  say "tearing down"
  "${COMPOSE[@]}" down -v >/dev/null 2>&1 || true
  if [ "$ENGINE" = podman ]; then  # podman-compose 1.0 leaves named volumes behind
    podman volume ls -q | grep "^${PROJECT}_" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  fi
  exit $status
}
trap cleanup EXIT

say "building $APP_IMAGE"
"${BUILD[@]}" -t "$APP_IMAGE" .

# The event workers exist once the events app does; the stack runs them only then.
services=(db redis rabbitmq app)
has_events=false
if "$ENGINE" run --rm --entrypoint python -e DEBUG=true "$APP_IMAGE" manage.py help outbox_relay >/dev/null 2>&1; then
  has_events=true
  services+=(relay audit)
fi
echo "events app in the image: $has_events"

say "starting ${services[*]}"
"${COMPOSE[@]}" down -v >/dev/null 2>&1 || true
if [ "$ENGINE" = podman ] && ! pidof systemd >/dev/null; then
  # Without systemd nothing runs podman's health checks on their interval, and
  # depends_on: service_healthy would wait forever; run them from here meanwhile.
  ( while sleep 3; do
      for c in $(podman ps -q --filter "label=io.podman.compose.project=$PROJECT"); do
        podman healthcheck run "$c" >/dev/null 2>&1 || true
      done
    done ) &
  health_runner=$!
fi
"${COMPOSE[@]}" up -d --no-build "${services[@]}"

say "waiting for $BASE/health (up to ${WAIT_SECONDS}s)"
deadline=$((SECONDS + WAIT_SECONDS))
until body=$(python3 - "$BASE/health" <<'PY' 2>/dev/null
import json, sys, urllib.request
body = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))
assert all(body.get(k) == "ok" for k in ("database", "cache", "broker")), body
print(body)
PY
); do
  [ $SECONDS -lt $deadline ] || { echo "the stack did not become healthy"; exit 1; }
  sleep 3
done
echo "$body"

say "demo data"
# `run`, not `exec`: it goes through the entrypoint, which reads the generated secrets.
"${COMPOSE[@]}" run --rm -T --no-deps app python manage.py seed_demo --force >/dev/null

if $has_events; then
  # The checks below speak AMQP with pika; bring it into /tmp if the image lacks it.
  "${COMPOSE[@]}" exec -T app sh -c 'python -c "import pika" 2>/dev/null || pip install -q --target /tmp/smoke-pika pika==1.4.4'
  # Bind a queue to the product exchange before booking, so the event has somewhere to go.
  "${COMPOSE[@]}" exec -T -e PYTHONPATH=/tmp/smoke-pika app python - <<'PY'
import os, pika
ch = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"])).channel()
ch.exchange_declare("cinema.events", exchange_type="topic", durable=True)
ch.queue_declare("image-test.events", durable=False, auto_delete=False)
ch.queue_bind("image-test.events", "cinema.events", routing_key="#")
PY
fi

say "smoke flow through the API"
python3 docker/smoke.py "$BASE"

say "/metrics from inside the container (loopback)"
"${COMPOSE[@]}" exec -T app python - <<'PY'
import urllib.request
body = urllib.request.urlopen("http://127.0.0.1:8000/metrics", timeout=5).read().decode()
lines = [l for l in body.splitlines() if l.startswith("django_http_requests_total_by_view_transport_method_total")]
booked = [l for l in lines if 'method="POST"' in l and "booking" in l]
assert booked, "no booking request counted:\n" + "\n".join(lines)
assert "cinema_holds_placed_total" in body
print("\n".join(booked))
PY
status=$(python3 -c "import urllib.request,urllib.error,sys
try: print(urllib.request.urlopen('$BASE/metrics', timeout=5).status)
except urllib.error.HTTPError as e: print(e.code)")
echo "/metrics from the host through the port mapping: $status (200 only if the host's address counts as allowed)"

if $has_events; then
  say "an event reached RabbitMQ"
  "${COMPOSE[@]}" exec -T -e PYTHONPATH=/tmp/smoke-pika app python - <<'PY'
import json, os, time, pika
ch = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"])).channel()
deadline, seen = time.monotonic() + 60, []
while time.monotonic() < deadline:
    method, props, body = ch.basic_get("image-test.events", auto_ack=True)
    if method is None:
        time.sleep(1)
        continue
    event = json.loads(body)
    seen.append(event["type"])
    if event["type"] in ("booking.confirmed", "order.created"):
        print("received", event["type"], event["id"])
        break
else:
    raise SystemExit(f"no booking event within 60 s; saw {seen}")
ch.queue_delete("image-test.events")
PY
else
  echo "(skipped the RabbitMQ event check: no outbox_relay command in the image yet)"
fi

say "image test passed"
