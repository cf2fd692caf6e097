#!/usr/bin/env bash
# Runs the example CRM on SQLite with demo data, on a fresh machine with Python 3.11+:
# installs the app into .venv-demo/, migrates, seeds demo customers and contacts,
# creates an admin login (printed below) and serves http://127.0.0.1:8000/admin/ and the
# CRM's pages, with the app's customer pages under /customers/<pk>/contacts/.
#   PORT=8080 ./demo.sh
set -euo pipefail
cd "$(dirname "$0")"

for dir in "$HOME"/.pyenv/versions/3.1[123]*/bin; do
    [ -d "$dir" ] && PATH="$dir:$PATH"
done
python=""
for candidate in python3.12 python3.13 python3.11 python3; do
    if command -v "$candidate" >/dev/null; then python="$candidate"; break; fi
done

if [ ! -x .venv-demo/bin/python ]; then
    "$python" -m venv .venv-demo
fi
.venv-demo/bin/python -m pip install -q --upgrade pip
.venv-demo/bin/python -m pip install -q -e .

cd example_project
manage() { ../.venv-demo/bin/python manage.py "$@"; }
manage migrate --noinput -v 0
manage seed_demo
DJANGO_SUPERUSER_PASSWORD=admin manage createsuperuser --noinput --username admin --email admin@example.com \
    >/dev/null 2>&1 || true

port="${PORT:-8000}"
echo
echo "Example CRM: http://127.0.0.1:${port}/admin/  (log in as admin / admin)"
echo "Customer pages (a customer's contacts outside the admin): http://127.0.0.1:${port}/customers/1/contacts/"
echo
exec ../.venv-demo/bin/python manage.py runserver "127.0.0.1:${port}"
