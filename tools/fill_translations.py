"""Merge translations from a JSON file {msgid: {"zh_Hans": ..., "zh_Hant": ...}} into the catalogs.

Used by whoever translates a batch of new strings (person or helper); the .po files stay the
source of truth and are what the bot loads.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def main(path: str) -> int:
    table = json.loads(Path(path).read_text(encoding="utf-8"))
    for locale in ("zh_Hans", "zh_Hant"):
        po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        filled = 0
        for message in catalog:
            entry = table.get(message.id if isinstance(message.id, str) else message.id[0])
            if entry and entry.get(locale):
                message.string = entry[locale]
                message.flags.discard("fuzzy")
                filled += 1
        with po_path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False)
        print(f"{locale}: {filled} filled")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
