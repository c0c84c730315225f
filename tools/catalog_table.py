"""Dump the translations of catalogs into the JSON table ``fill_translations.py`` reads.

Merging branches that each added messages: dump every branch's catalogs, run ``make locales``
on the merged code, then fill from the union — no hand-merging of .po conflicts.
Usage: ``catalog_table.py OUT.json LOCALES_DIR [LOCALES_DIR ...]`` (later directories win).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po


def main(out: str, *directories: str) -> int:
    table: dict[str, dict[str, str]] = {}
    for directory in directories:
        for locale in ("zh_Hans", "zh_Hant"):
            path = Path(directory) / locale / "LC_MESSAGES" / "messages.po"
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            for message in catalog:
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                text = message.string if isinstance(message.string, str) else message.string[0]
                if msgid and text and "fuzzy" not in message.flags:
                    table.setdefault(msgid, {})[locale] = text
    Path(out).write_text(json.dumps(table, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(table)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
