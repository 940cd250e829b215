"""Which texts the pages mark for translation, and which German lacks.

Babel extracts every ``_()``/``N_()``/``ngettext()`` of the package's Python
modules and templates; a msgid counts as translated when some area's
``locale/de/LC_MESSAGES/*.po`` gives it a non-empty msgstr.

    python -m zenith_web.i18n_extract missing [PATH_PART ...]

prints the untranslated msgids (only those found in files whose path
contains one of the PATH_PARTs, e.g. ``templates/owner``) as ``.po`` entries
to paste into one's own area file and translate.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from zenith_web.i18n import LOCALE_DIR

PACKAGE_DIR = Path(__file__).parent
METHODS = [("**/static/**", "ignore"), ("**/locale/**", "ignore"),
           ("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"trimmed": "false", "newstyle_gettext": "true"}}


@dataclass
class Message:
    msgid: str
    plural: str | None = None
    places: list[str] = field(default_factory=list)


def extract(package_dir: Path = PACKAGE_DIR) -> dict[str, Message]:
    """Every marked msgid of the package, with the places it appears."""
    found: dict[str, Message] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            package_dir, METHODS, options_map=OPTIONS):
        if isinstance(message, tuple | list):
            singular, plural = message[0], message[1] if len(message) > 1 else None
        else:
            singular, plural = message, None
        if not singular:
            continue
        entry = found.setdefault(singular, Message(singular, plural))
        entry.places.append(f"{filename}:{lineno}")
    return found


def translated(locale: str = "de", locale_dir: Path = LOCALE_DIR) -> set[str]:
    """The msgids some area's catalogue of ``locale`` translates (non-empty, not fuzzy)."""
    done: set[str] = set()
    for po in sorted((locale_dir / locale / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            catalog: Catalog = read_po(handle, locale=locale)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(strings):
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                done.add(msgid)
    return done


def missing(locale: str = "de") -> list[Message]:
    have = translated(locale)
    return [m for msgid, m in sorted(extract().items()) if msgid not in have]


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def as_po(messages: Iterable[Message]) -> str:
    out = []
    for m in messages:
        out.append("#: " + " ".join(m.places))
        out.append(f"msgid {_po_string(m.msgid)}")
        if m.plural:
            out.append(f"msgid_plural {_po_string(m.plural)}")
            out.append('msgstr[0] ""')
            out.append('msgstr[1] ""')
        else:
            out.append('msgstr ""')
        out.append("")
    return "\n".join(out)


def _main(argv: list[str]) -> int:
    if argv[:1] != ["missing"]:
        print(__doc__, file=sys.stderr)
        return 2
    parts = argv[1:]
    todo = [m for m in missing()
            if not parts or any(p in place for place in m.places for p in parts)]
    print(as_po(todo), end="")
    return 1 if todo else 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
