#!/usr/bin/env bash
# Serve the portal on the embedded default: Django's server, a Celery worker and
# Celery beat (the SQLite broker under var/celery/, DatabaseScheduler). Ctrl-C
# stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# Links in the e-mails the worker writes to var/mail/ point at this server.
export PORTAL_BASE_URL=${PORTAL_BASE_URL:-http://$HOST:$PORT}
mkdir -p var/log

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# solo pool: SQLite allows one writer; the embedded default is for one person.
$PY -m celery -A safety_portal worker --pool=solo --loglevel=INFO >var/log/worker.log 2>&1 &
pids+=($!)
$PY -m celery -A safety_portal beat --loglevel=INFO \
    --schedule=var/celerybeat-schedule >var/log/beat.log 2>&1 &
pids+=($!)

cat <<MSG

  safety_portal is starting at http://$HOST:$PORT/
  Celery worker and beat are running (logs in var/log/worker.log, var/log/beat.log).
  Sign in with the demo logins printed above, e.g. s01-safety or inspector.
  Press Ctrl-C to stop.

MSG
$PY manage.py runserver "$HOST:$PORT"
