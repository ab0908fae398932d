"""Compile the translation catalogues (locale/<lang>/LC_MESSAGES/django.po → .mo).

With Babel (pure Python, pinned in requirements.txt) rather than Django's
compilemessages, which needs GNU gettext's msgfmt: `make run` must work on
a machine with nothing but Python. Only the .po files are kept in git.

    python -m config.catalogues
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
# Apps' own catalogues too: the patient app's texts (djangojs) are in patient_app/locale/.
APP_LOCALE_DIRS = sorted(ROOT.glob("*/locale"))


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write each .mo older than its .po; answers the files written."""
    written = []
    dirs = [locale_dir, *APP_LOCALE_DIRS] if locale_dir == LOCALE_DIR else [locale_dir]
    for po in [po for d in dirs for po in sorted(d.glob("*/LC_MESSAGES/*.po"))]:
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with mo.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogues():
        print(f"compiled {path.relative_to(ROOT)}")
