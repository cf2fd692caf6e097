"""Keep the app's German and French catalogues complete.

    python scripts/translations.py update   # extract every marked string, merge into the .po files, compile .mo
    python scripts/translations.py check    # fail when a marked string is missing or untranslated,
                                            # a .po file doesn't compile, or a .mo file is stale

Needs GNU gettext (xgettext, msgmerge, msgfmt) and polib. ``check`` extracts into a
temporary copy, so it changes nothing in the tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "django_customer_contacts"
LANGUAGES = ["de", "fr"]


def makemessages(package: Path) -> None:
    """Run Django's makemessages in ``package`` (its ``locale/`` gets the .po files)."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=True)
        django.setup()
    from django.core.management import call_command

    (package / "locale").mkdir(exist_ok=True)
    cwd = os.getcwd()
    os.chdir(package)
    try:
        call_command(
            "makemessages",
            locale=LANGUAGES,
            extensions=["html", "txt", "py"],
            ignore_patterns=["migrations/*"],
            no_obsolete=True,
            verbosity=0,
        )
    finally:
        os.chdir(cwd)


def po_path(package: Path, language: str) -> Path:
    return package / "locale" / language / "LC_MESSAGES" / "django.po"


def keys(catalogue: polib.POFile) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in catalogue if not entry.obsolete}


def untranslated(catalogue: polib.POFile) -> list[str]:
    missing = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            missing.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            if not entry.msgstr_plural or not all(entry.msgstr_plural.values()):
                missing.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            missing.append(f"untranslated: {entry.msgid!r}")
    return missing


def mo_entries(path: Path) -> list[tuple[str, str, str, tuple[tuple[int, str], ...]]]:
    """A compiled catalogue's entries, comparable with another's."""
    return sorted(
        (entry.msgctxt or "", entry.msgid, entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        for entry in polib.mofile(str(path))
    )


def compile_to(po: Path, mo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["msgfmt", "--check", "--output-file", str(mo), str(po)], capture_output=True, text=True, check=False
    )


def update() -> int:
    makemessages(PACKAGE)
    status = 0
    for language in LANGUAGES:
        po = po_path(PACKAGE, language)
        result = compile_to(po, po.with_suffix(".mo"))
        if result.returncode:
            print(result.stderr, file=sys.stderr)
            status = 1
        missing = untranslated(polib.pofile(str(po)))
        print(f"{language}: {len(keys(polib.pofile(str(po))))} strings, {len(missing)} to translate")
    return status


def check() -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / PACKAGE.name
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
        makemessages(copy)
        for language in LANGUAGES:
            committed_po = po_path(PACKAGE, language)
            if not committed_po.exists():
                problems.append(f"{language}: {committed_po.relative_to(ROOT)} is missing")
                continue
            committed = polib.pofile(str(committed_po))
            extracted = polib.pofile(str(po_path(copy, language)))
            for context, msgid in sorted(keys(extracted) - keys(committed), key=str):
                problems.append(f"{language}: not in the catalogue: {msgid!r}" + (f" ({context})" if context else ""))
            problems += [f"{language}: {problem}" for problem in untranslated(committed)]
            fresh_mo = Path(tmp) / f"{language}.mo"
            result = compile_to(committed_po, fresh_mo)
            if result.returncode:
                problems.append(f"{language}: the .po file doesn't compile: {result.stderr.strip()}")
                continue
            committed_mo = committed_po.with_suffix(".mo")
            if not committed_mo.exists() or mo_entries(committed_mo) != mo_entries(fresh_mo):
                stale = committed_mo.relative_to(ROOT)
                problems.append(f"{language}: {stale} is stale: run scripts/translations.py update")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problem(s)" if problems else "Catalogues complete: " + ", ".join(LANGUAGES))
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    sys.exit({"update": update, "check": check}[command]())
