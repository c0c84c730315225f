"""The Chinese glossary (locales/glossary.toml): load it, check a catalog against it, render it.

One home for the rules, so whoever adds strings (a person, a helper, a merge) re-applies them
with the same code: ``tests/unit/test_glossary.py`` checks the catalogs, and
``python tools/glossary.py`` rewrites docs/glossary.md from the TOML.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "locales" / "glossary.toml"
RENDERED = ROOT / "docs" / "glossary.md"
CHINESE = ("zh_Hans", "zh_Hant")
HAN = "\u3400-\u9fff"
# An ASCII separator glued to Chinese text: "類別：汽車維修, 輪胎", "聯盟合計: 1", "（第 1 頁) ".
ASCII_SEPARATORS = (
    re.compile(f"[{HAN}][,;:](?=\\s|$)"),
    re.compile(f"[,;:]\\s*[{HAN}]"),
    re.compile(f"\\([^)]*[{HAN}][^)]*\\)"),
)


@dataclass(frozen=True)
class Rule:
    why: str
    pattern: re.Pattern[str]


def load() -> dict:
    return tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))


def _pattern(entry: str) -> re.Pattern[str]:
    return re.compile(entry[3:] if entry.startswith("re:") else re.escape(entry))


def rules(locale: str, glossary: dict | None = None) -> list[Rule]:
    """Every banned form for ``locale``, each with the reason a failure message shows."""
    glossary = glossary or load()
    meta = glossary["locale"][locale]
    found = [Rule(f"quote marks: {meta['quotes']}", _pattern(q)) for q in meta["banned_quotes"]]
    found += [Rule(f"register: {meta['register']}", _pattern(r)) for r in meta["banned_register"]]
    for term in glossary["term"]:
        for entry in term.get(f"banned_{locale}", []):
            found.append(Rule(f"{term['concept']}: write {term[locale]}", _pattern(entry)))
    found += [Rule("ASCII separator in Chinese: use 、 ： （）", p) for p in ASCII_SEPARATORS]
    return found


def messages(locale: str, directory: Path = ROOT / "locales") -> list[tuple[str, str]]:
    """(msgid, msgstr) for every translated form, plural forms included."""
    with (directory / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(msgid, form) for form in forms if form]
    return pairs


def violations(locale: str, directory: Path = ROOT / "locales") -> list[str]:
    found = []
    checks = rules(locale)
    for msgid, text in messages(locale, directory):
        for rule in checks:
            hit = rule.pattern.search(text)
            if hit:
                found.append(f"{msgid!r} -> {text!r}: {hit.group(0)!r} ({rule.why})")
    return found


def render(glossary: dict | None = None) -> str:
    glossary = glossary or load()
    lines = ["# Chinese glossary", "",
             "Generated from `locales/glossary.toml` by `python tools/glossary.py`; "
             "`tests/unit/test_glossary.py` fails on a banned variant, the other locale's quote "
             "marks or an ASCII separator in Chinese, naming the msgid.", ""]
    lines += ["| | zh_Hans | zh_Hant |", "|---|---|---|"]
    for key in ("name", "register", "quotes", "list_separator", "label_colon", "parentheses"):
        hans, hant = (glossary["locale"][loc][key] for loc in CHINESE)
        lines.append(f"| {key.replace('_', ' ')} | {hans} | {hant} |")
    lines += ["", "| concept | en | zh_Hans | zh_Hant | banned zh_Hans | banned zh_Hant | note |",
              "|---|---|---|---|---|---|---|"]
    for term in glossary["term"]:
        banned = [", ".join(f"`{b}`" for b in term.get(f"banned_{loc}", [])) for loc in CHINESE]
        cells = [term["concept"], term["en"], term["zh_Hans"], term["zh_Hant"], *banned,
                 term.get("note", "")]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    RENDERED.parent.mkdir(exist_ok=True)
    RENDERED.write_text(render(), encoding="utf-8")
    problems = [f"{loc}: {v}" for loc in CHINESE for v in violations(loc)]
    print("\n".join(problems) or "catalogs follow the glossary")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
