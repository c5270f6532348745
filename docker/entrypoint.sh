#!/bin/sh
# Container start: fill in missing secrets from a persistent folder (created on
# the first start, never in the image or in git), migrate, then run the command.
set -eu
SECRETS_DIR="${SECRETS_DIR:-/app/secrets}"
mkdir -p "$SECRETS_DIR"

# The app and the background workers start together on one secrets volume:
# one at a time creates and reads them, so all get the same secrets and a
# matching JWT key pair.
exec 9>"$SECRETS_DIR/.lock"
flock 9

if [ -z "${SECRET_KEY:-}" ]; then
  [ -s "$SECRETS_DIR/secret_key" ] || python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$SECRETS_DIR/secret_key"
  SECRET_KEY="$(cat "$SECRETS_DIR/secret_key")"
  export SECRET_KEY
fi

if [ -z "${PAYMENT_WEBHOOK_SECRET:-}" ]; then
  [ -s "$SECRETS_DIR/payment_webhook_secret" ] || python -c 'import secrets; print("whsec_" + secrets.token_urlsafe(32))' > "$SECRETS_DIR/payment_webhook_secret"
  PAYMENT_WEBHOOK_SECRET="$(cat "$SECRETS_DIR/payment_webhook_secret")"
  export PAYMENT_WEBHOOK_SECRET
fi

if [ -z "${JWT_PRIVATE_KEY:-}" ] || [ -z "${JWT_PUBLIC_KEY:-}" ]; then
  private="$(python -m cinema.keys "$SECRETS_DIR" "${JWT_ALGORITHM:-RS256}")"
  JWT_PRIVATE_KEY="$(cat "$private")"
  JWT_PUBLIC_KEY="$(cat "${private%.pem}.pub.pem")"
  export JWT_PRIVATE_KEY JWT_PUBLIC_KEY
fi
flock -u 9
exec 9>&-

# Background workers sharing the database set MIGRATE=false: the app migrates.
[ "${MIGRATE:-true}" = "false" ] || python manage.py migrate --noinput
exec "$@"
