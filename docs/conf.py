"""Sphinx configuration for the django-customer-contacts documentation.

The build needs neither Django settings nor network access: there is no autodoc
and no intersphinx. Build with::

    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import tomllib
from pathlib import Path

_pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())

project = "django-customer-contacts"
author = "django-customer-contacts developers"
copyright = author
release = _pyproject["project"]["version"]
version = release

extensions: list[str] = []

root_doc = "index"
exclude_patterns = ["_build", "requirements.txt"]

html_theme = "furo"
html_title = f"{project} {release}"

# Python examples: unknown names in inline ``code`` never resolve, so don't try.
default_role = "literal"
