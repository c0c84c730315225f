"""Decision views stay within Telegram's 4096 characters and never break their HTML."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import use_locale
from bot.services import tally
from bot.services.decisions import Details, Standing
from bot.views import decisions as views
from storage.models import Alliance, Proposal
from tests.conftest import NOW


class Balanced(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag


def balanced(html: str) -> bool:
    parser = Balanced()
    parser.feed(html)
    return not parser.open


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=2500),
       st.lists(st.text(min_size=1, max_size=40), min_size=10, max_size=10, unique=True),
       st.sampled_from(["en", "zh_Hans", "zh_Hant"]))
def test_the_longest_proposal_fits_in_one_message(title: str, text: str, options: list[str],
                                                   locale: str) -> None:
    proposal = Proposal(id=12, alliance_id=1, title=title, text=text, kind=tally.MULTIPLE,
                        options=options, max_choices=10, quorum_pct=50,
                        threshold=tally.TWO_THIRDS, secret=False, results_while_open=True,
                        electorate="members", status="open", opened_at=NOW,
                        closes_at=NOW, reminded_at=NOW)
    alliance = Alliance(id=1, name="A", locale=locale, timezone="Asia/Taipei")
    names = [f"<Business & Sons {n:03d}>" * 2 for n in range(300)]
    standing = Standing(tally.Rules(tally.MULTIPLE, 10, tally.TWO_THIRDS, 50, 10),
                        [300] * 10, 300, 600)
    info = Details(proposal, alliance, standing, [names] * 10, names, 999)
    with use_locale(locale):
        details = views.details_text(info, None)
        card, _ = views.card(proposal, alliance, standing, None)
    for html in (details, card):
        assert len(html) <= 4096 and balanced(html)
