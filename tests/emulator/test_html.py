"""Telegram's HTML parse mode: tags, entities, errors and limits counted after parsing."""

from __future__ import annotations

import html

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile
from hypothesis import given
from hypothesis import strategies as st

from bot.emulator import World
from bot.emulator.telegram_text import HtmlError, detect_entities, parse_html, utf16_len


def test_supported_tags_become_entities() -> None:
    text, entities = parse_html(
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://example.org/?a=1&amp;b=2">a</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote>q</blockquote><blockquote expandable>x</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "bsieunskdpqacx = 1qx👍"
    kinds = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert kinds == [
        ("bold", 0, 1),
        ("bold", 1, 1),
        ("italic", 2, 1),
        ("italic", 3, 1),
        ("underline", 4, 1),
        ("underline", 5, 1),
        ("strikethrough", 6, 1),
        ("strikethrough", 7, 1),
        ("strikethrough", 8, 1),
        ("spoiler", 9, 1),
        ("spoiler", 10, 1),
        ("text_link", 11, 1),
        ("code", 12, 1),
        ("pre", 13, 5),
        ("blockquote", 18, 1),
        ("expandable_blockquote", 19, 1),
        ("custom_emoji", 20, 2),
    ]
    assert entities[11]["url"] == "https://example.org/?a=1&b=2"
    assert entities[13]["language"] == "python"


def test_character_entities_like_telegram() -> None:
    text, _ = parse_html("&lt;b&gt; &amp; &quot;q&quot; &#65;&#x42; A & B &nbsp; &copy;")
    # only lt, gt, amp, quot and numeric references are decoded; others stay as typed
    assert text == '<b> & "q" AB A & B &nbsp; &copy;'


def test_offsets_count_utf16_code_units() -> None:
    text, entities = parse_html("😀 <b>ok</b>")
    assert text == "😀 ok"
    assert entities == [{"type": "bold", "offset": 3, "length": 2}]
    assert utf16_len("😀") == 2


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("é<p>", 'Unsupported start tag "p" at byte offset 2'),
    ],
)
def test_parse_errors_use_tdlib_wording(source: str, error: str) -> None:
    with pytest.raises(HtmlError) as raised:
        parse_html(source)
    assert str(raised.value) == error


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200))
def test_escaped_text_always_parses_back_to_itself(raw: str) -> None:
    text, entities = parse_html(html.escape(raw))
    assert text == raw and entities == []


def test_commands_mentions_and_links_in_peoples_text() -> None:
    entities = detect_entities("/start@alliance_test_bot join-x @alice https://t.me/x #tag")
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bot_command", 0, 24),
        ("mention", 32, 6),
        ("url", 39, 14),
        ("hashtag", 54, 4),
    ]


async def test_limits_apply_after_parsing(bot: Bot, world: World) -> None:
    alice = world.user("Alice")
    long_but_fine = "<b>" + "x" * 4096 + "</b>"
    sent = await bot.send_message(alice.id, long_but_fine, parse_mode="HTML")
    assert sent.text == "x" * 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(alice.id, "<b> </b>\n", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(alice.id, "Tom <Jerry>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(alice.id, BufferedInputFile(b"x", "a.txt"), caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="parse_mode MarkdownV2 is not supported"):
        await bot.send_message(alice.id, "*x*", parse_mode="MarkdownV2")
    trimmed = await bot.send_message(alice.id, "\n  <b>hi</b>  \n", parse_mode="HTML")
    assert trimmed.text == "hi" and trimmed.entities[0].offset == 0
