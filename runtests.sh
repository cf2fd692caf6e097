#!/usr/bin/env bash
# Runs the test suite: every database on one Django, SQLite on every supported
# Django and Python, the swapped-model scenario, lint, mypy, the migrations check, docs.
# Works on a fresh machine that has Python 3.11+ and the database servers:
# it installs tox (with tox-uv) into .tools/ and MariaDB's client headers if missing.
#   ./runtests.sh                          # the CI set (tox -m ci)
#   ./runtests.sh -e py312-django52-sqlite # any tox arguments
set -euo pipefail
cd "$(dirname "$0")"

# Python interpreters installed with pyenv are found through their bin folders
# (the pyenv shims confuse uv).
for dir in "$HOME"/.pyenv/versions/3.1[123]*/bin; do
    [ -d "$dir" ] && PATH="$dir:$PATH"
done
export PATH
export UV_PYTHON_DOWNLOADS=never

# mysqlclient builds against MariaDB's client library.
if ! command -v mariadb_config >/dev/null && ! command -v mysql_config >/dev/null; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "Installing MariaDB client headers (libmariadb-dev) for mysqlclient..."
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q libmariadb-dev pkg-config >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libmariadb-dev pkg-config >/dev/null; }
    else
        echo "mysqlclient needs MariaDB's client headers: install libmariadb-dev (Debian/Ubuntu)." >&2
    fi
fi

# The translations check runs GNU gettext (xgettext, msgmerge, msgfmt).
if ! command -v msgfmt >/dev/null; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "Installing GNU gettext for the translations check..."
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null; }
    else
        echo "The translations check needs GNU gettext: install gettext (Debian/Ubuntu)." >&2
    fi
fi

# The browser test drives Debian's Chromium (no browser download).
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "Installing Chromium for the browser test..."
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
    else
        echo "The browser test needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH)." >&2
    fi
fi

python=""
for candidate in python3.12 python3.13 python3.11 python3; do
    if command -v "$candidate" >/dev/null; then python="$candidate"; break; fi
done
if [ ! -x .tools/bin/tox ]; then
    "$python" -m venv .tools
    .tools/bin/python -m pip install -q --upgrade pip
    .tools/bin/python -m pip install -q "tox>=4.2" "tox-uv>=1.11"
fi

if [ "$#" -eq 0 ]; then
    set -- -m ci
fi
exec .tools/bin/tox "$@"
