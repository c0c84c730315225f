"""Message text the way Telegram turns it into text + entities.

The HTML parser follows tdlib's ``parse_html`` (which the Bot API server uses): the same
tags, the same treatment of ``&`` entities (only ``&lt; &gt; &amp; &quot;`` and numeric ones are
decoded; any other ``&`` stays literal, as on Telegram), and the same error messages, so a bot
that forgets to escape user input fails here exactly as it would in production.
Offsets and lengths are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import bad_request

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_SPACES = frozenset(" \t\r\n\v\f")
_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "s": "strikethrough",
    "strike": "strikethrough", "del": "strikethrough", "u": "underline", "ins": "underline",
    "tg-spoiler": "spoiler", "span": "spoiler", "code": "code",
}  # fmt: skip
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")


class HtmlError(Exception):
    """A parse failure; the message is tdlib's wording."""


def utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` an entity covers (entity offsets count UTF-16 code units)."""
    if text.isascii():
        return text[offset : offset + length]
    encoded = text.encode("utf-16-le")
    return encoded[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``pos`` → (character, next position), or None to keep ``&``."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
                if value >= 0x10FFFF:
                    return None
        else:
            while end < n and text[end].isdigit() and text[end].isascii():
                value = value * 10 + int(text[end])
                end += 1
                if value >= 0x10FFFF:
                    return None
        if value == 0 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


def _decode_attribute(value: str) -> str:
    if "&" not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """``"<b>Hi</b> &amp; bye"`` → ``("Hi & bye", [bold 0..2])``; raises :class:`HtmlError`."""
    out: list[str] = []
    offset = 0  # UTF-16 offset in the output
    stack: list[list[Any]] = []  # [tag, argument, start offset, expandable]
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0

    def at(index: int) -> str:
        return text[index] if index < n else ""

    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is None:
                out.append("&")
                offset += 1
                i += 1
            else:
                out.append(decoded[0])
                offset += utf16_len(decoded[0])
                i = decoded[1]
            continue
        if char != "<":
            match = _SPECIAL.search(text, i)
            end = match.start() if match else n
            chunk = text[i:end]
            out.append(chunk)
            offset += utf16_len(chunk)
            i = end
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while i < n and text[i] not in _SPACES and text[i] != ">":
                i += 1
            if i >= n:
                raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _TAGS:
                raise HtmlError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            argument = ""
            expandable = False
            while at(i) != ">":
                while i < n and text[i] in _SPACES:
                    i += 1
                if at(i) == ">":
                    break
                if i >= n:
                    raise HtmlError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                name_begin = i
                while i < n and text[i] not in _SPACES and text[i] not in "=>":
                    i += 1
                name = text[name_begin:i].lower()
                if not name:
                    raise HtmlError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(text, begin)}"
                    )
                while i < n and text[i] in _SPACES:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and name == "expandable":
                        expandable = True
                        continue
                    raise HtmlError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                i += 1
                while i < n and text[i] in _SPACES:
                    i += 1
                if i >= n:
                    raise HtmlError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                if text[i] not in "\"'":
                    token_begin = i
                    while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if at(i) not in _SPACES and at(i) != ">":
                        raise HtmlError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = text[i]
                    end = text.find(quote, i + 1)
                    if end < 0:
                        raise HtmlError(
                            f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                        )
                    value = _decode_attribute(text[i + 1 : end])
                    i = end + 1
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise HtmlError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            stack.append([tag, argument, offset, expandable])
            i += 1
            continue

        if not stack:
            raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        name_begin = i
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        end_name = text[name_begin:i].lower()
        while i < n and text[i] in _SPACES:
            i += 1
        if at(i) != ">":
            raise HtmlError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        tag, argument, start, expandable = stack.pop()
        if end_name and end_name != tag:
            raise HtmlError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        i += 1
        length = offset - start
        if length <= 0:
            continue
        entity = _entity(tag, argument, expandable, start, length, out)
        if entity is None:
            continue
        if tag == "code" and argument and stack and stack[-1][0] == "pre" and stack[-1][2] == start:
            stack[-1][1] = argument  # <pre><code class="language-x"> is one pre entity
            continue
        entities.append(entity)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity(
    tag: str, argument: str, expandable: bool, start: int, length: int, out: list[str]
) -> dict[str, Any] | None:
    kind = _SIMPLE.get(tag)
    if kind is not None:
        return {"type": kind, "offset": start, "length": length}
    if tag == "a":
        url = _link_url(argument or _tail(out, length))
        if url is None:
            return None  # Telegram silently drops links it cannot use
        return {"type": "text_link", "offset": start, "length": length, "url": url}
    if tag == "pre":
        entity = {"type": "pre", "offset": start, "length": length}
        if argument:
            entity["language"] = argument
        return entity
    if tag == "blockquote":
        kind = "expandable_blockquote" if expandable else "blockquote"
        return {"type": kind, "offset": start, "length": length}
    if tag == "tg-emoji":
        return {
            "type": "custom_emoji",
            "offset": start,
            "length": length,
            "custom_emoji_id": argument,
        }
    return None


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOST = re.compile(r"[\w-]+(\.[\w-]+)+(:\d+)?([/?#].*)?", re.DOTALL)


def _link_url(url: str) -> str | None:
    """tdlib's check_url, roughly: keep real links, add http:// when the scheme is missing."""
    url = url.strip()
    if _SCHEME.match(url):
        return url if url.lower().startswith(("http://", "https://", "tg://", "ton://")) else None
    return f"http://{url}" if _HOST.fullmatch(url) else None


def _tail(out: list[str], length16: int) -> str:
    text = "".join(out)
    encoded = text.encode("utf-16-le")
    return encoded[len(encoded) - 2 * length16 :].decode("utf-16-le")


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram drops leading and trailing whitespace, shifting and clipping entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def render_text(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    caption: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """Text and entities as stored on the message, or the ``ApiError`` Telegram gives."""
    if entities is None and parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            try:
                text, entities = parse_html(text)
            except HtmlError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif mode in ("markdown", "markdownv2"):
            raise bad_request(f"parse_mode {parse_mode} is not supported by the emulator")
        else:
            raise bad_request(f"unsupported parse_mode {parse_mode}")
    text, entities = _trim(text, list(entities or ()))
    limit = CAPTION_LIMIT if caption else MESSAGE_LIMIT
    if not text and not caption:
        raise bad_request("message text is empty")
    if len(text) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return text, entities


_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")
_HASHTAG = re.compile(r"(?<![\w#])#\w+")
_URL = re.compile(r"(?<![\w/])https?://[^\s<>\"]+")


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram finds by itself in plain text sent by people."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in (
        ("bot_command", _COMMAND),
        ("mention", _MENTION),
        ("hashtag", _HASHTAG),
        ("url", _URL),
    ):
        for match in pattern.finditer(text):
            found.append((match.start(), match.end(), kind))
    found.sort()
    entities = []
    last_end = -1
    for start, end, kind in found:
        if start < last_end:
            continue
        last_end = end
        offset = utf16_len(text[:start])
        entities.append({"type": kind, "offset": offset, "length": utf16_len(text[start:end])})
    return entities
