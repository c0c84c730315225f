"""The counting rules: exact edges, and properties over arbitrary ballots (hypothesis)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services import tally
from bot.services.tally import (
    ABSTAIN,
    AGREE,
    BLOCK,
    C_ABSTAIN,
    CONSENSUS,
    DISAGREE,
    MAJORITY,
    MULTIPLE,
    NO,
    SINGLE,
    THRESHOLDS,
    TWO_THIRDS,
    UNANIMOUS,
    YES,
    YES_NO,
    Rules,
)


def yesno(threshold: str = MAJORITY, quorum: int = 0) -> Rules:
    return Rules(YES_NO, 3, threshold, quorum)


def ballots(**how_many: int) -> list[list[int]]:
    index = {"yes": YES, "no": NO, "abstain": ABSTAIN}
    return [[index[name]] for name, n in how_many.items() for _ in range(n)]


# -- exact edges -------------------------------------------------------------------------------

def test_quorum_exactly_at_passes_and_one_below_is_not_decided() -> None:
    rules = yesno(quorum=50)
    assert tally.quorum_needed(50, 10) == 5
    assert tally.quorum_needed(50, 11) == 6  # ceil(5.5)
    assert tally.quorum_needed(34, 3) == 2  # ceil(1.02)
    assert tally.quorum_needed(100, 7) == 7 and tally.quorum_needed(0, 7) == 0
    at = tally.tally(rules, ballots(yes=3, no=1, abstain=1), eligible=10)
    assert at.quorum_met and at.passed and at.reason == tally.PASSED
    below = tally.tally(rules, ballots(yes=3, no=1), eligible=10)
    assert not below.quorum_met and not below.passed and not below.decided
    assert below.reason == tally.NO_QUORUM


def test_abstentions_count_toward_quorum_but_not_the_majority() -> None:
    result = tally.tally(yesno(quorum=60), ballots(yes=2, no=1, abstain=3), eligible=10)
    assert result.quorum_met and result.counted == 3 and result.passed


def test_simple_majority_edges_and_ties() -> None:
    rules = yesno()
    assert tally.tally(rules, ballots(yes=3, no=2), 5).passed
    assert not tally.tally(rules, ballots(yes=2, no=2, abstain=1), 5).passed  # tie
    assert tally.tally(rules, ballots(yes=2, no=2), 5).reason == tally.REJECTED
    assert not tally.tally(rules, ballots(abstain=4), 5).passed  # nobody for it


def test_two_thirds_exactly_at_passes_one_below_fails() -> None:
    rules = yesno(TWO_THIRDS)
    assert tally.tally(rules, ballots(yes=4, no=2), 9).passed  # exactly 2/3
    assert not tally.tally(rules, ballots(yes=3, no=2), 9).passed  # 60 %
    assert tally.tally(rules, ballots(yes=6, no=3, abstain=5), 20).passed
    assert not tally.tally(rules, ballots(yes=5, no=3, abstain=5), 20).passed


def test_unanimity_ignores_abstentions_but_not_a_single_no() -> None:
    rules = yesno(UNANIMOUS)
    assert tally.tally(rules, ballots(yes=4, abstain=3), 7).passed
    assert not tally.tally(rules, ballots(yes=6, no=1), 7).passed
    assert not tally.tally(rules, ballots(abstain=7), 7).passed


def test_consensus_passes_without_block_and_more_agree_than_disagree() -> None:
    rules = Rules(CONSENSUS, 4)
    vote = {"a": AGREE, "s": C_ABSTAIN, "d": DISAGREE, "b": BLOCK}

    def result(letters: str, eligible: int = 10) -> tally.Result:
        return tally.tally(rules, [[vote[c]] for c in letters], eligible)

    assert result("aaads").passed
    assert not result("aadd").passed  # tie
    blocked = result("aaaaaaaab")
    assert not blocked.passed and blocked.reason == tally.BLOCKED
    assert result("ass").passed  # abstentions do not oppose
    assert not result("sss").passed


def test_single_choice_needs_a_real_majority_of_ballots() -> None:
    rules = Rules(SINGLE, 3)
    assert tally.tally(rules, [[0], [0], [1]], 5).winners == (0,)
    split = tally.tally(rules, [[0], [0], [1], [1], [2]], 5)
    assert split.winners == () and split.reason == tally.NO_WINNER
    assert tally.tally(Rules(SINGLE, 3, TWO_THIRDS), [[2], [2], [1]], 5).winners == (2,)


def test_multiple_choice_adopts_each_option_with_enough_support() -> None:
    rules = Rules(MULTIPLE, 4, MAJORITY, max_choices=2)
    result = tally.tally(rules, [[0, 1], [0, 2], [0, 1], [3]], 4)
    assert result.counts == (3, 2, 1, 1) and result.winners == (0,)
    with pytest.raises(ValueError):
        tally.tally(rules, [[0, 1, 2]], 4)
    with pytest.raises(ValueError):
        tally.tally(rules, [[]], 4)


def test_settled_when_the_missing_votes_cannot_change_it() -> None:
    rules = yesno()
    # 10 eligible: 6 yes already; 4 missing can only make it 6-4.
    assert tally.settled(rules, [6, 0, 0], 6, 10)
    assert not tally.settled(rules, [5, 0, 0], 5, 10)  # 5-5 would be a tie
    assert tally.settled(rules, [0, 5, 0], 5, 10)  # 5 no: yes can reach only a tie
    assert not tally.settled(yesno(quorum=80), [6, 0, 0], 6, 10)  # quorum not reached yet
    assert tally.settled(Rules(CONSENSUS, 4), [3, 0, 0, 1], 4, 10)  # blocked for good
    assert not tally.settled(Rules(CONSENSUS, 4), [9, 0, 0, 0], 9, 10)  # anyone may block


# -- properties --------------------------------------------------------------------------------

@st.composite
def rules_and_ballots(draw: st.DrawFn, max_eligible: int = 12) -> tuple[Rules, list[frozenset[int]], int]:
    kind = draw(st.sampled_from(tally.KINDS))
    options = len(tally.FIXED_OPTIONS[kind]) if kind in tally.FIXED_OPTIONS else draw(
        st.integers(2, 5))
    max_choices = draw(st.integers(1, options)) if kind == MULTIPLE else 1
    rules = Rules(kind, options, draw(st.sampled_from(THRESHOLDS)),
                  draw(st.integers(0, 100)), max_choices)
    eligible = draw(st.integers(0, max_eligible))
    ballot = st.frozensets(st.integers(0, options - 1), min_size=1, max_size=max_choices)
    cast = draw(st.lists(ballot, max_size=eligible))
    return rules, cast, eligible


@given(rules_and_ballots(), st.randoms())
def test_the_outcome_does_not_depend_on_ballot_order(case: tuple, random: object) -> None:
    rules, cast, eligible = case
    shuffled = list(cast)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert tally.tally(rules, cast, eligible) == tally.tally(rules, shuffled, eligible)


@given(rules_and_ballots(), st.data())
def test_a_changed_vote_counts_once(case: tuple, data: st.DataObject) -> None:
    """A ballot box keyed by member: changing a vote replaces it, never adds to it."""
    rules, cast, eligible = case
    if not cast:
        return
    box = dict(enumerate(cast))
    member = data.draw(st.sampled_from(sorted(box)))
    new = data.draw(st.frozensets(st.integers(0, rules.options - 1), min_size=1,
                                  max_size=rules.max_choices))
    for earlier in (box[member], new, box[member]):
        box[member] = earlier
    box[member] = new
    result = tally.tally(rules, box.values(), eligible)
    assert result.voted == len(cast)
    direct = [*(b for m, b in enumerate(cast) if m != member), new]
    assert result == tally.tally(rules, direct, eligible)


@given(rules_and_ballots())
def test_counts_and_invariants(case: tuple) -> None:
    rules, cast, eligible = case
    result = tally.tally(rules, cast, eligible)
    assert sum(result.counts) == sum(len(b) for b in cast)
    assert result.passed == bool(result.winners)
    if result.passed:
        assert result.quorum_met
    if rules.kind == CONSENSUS and result.counts[BLOCK]:
        assert not result.passed
    if rules.threshold != MAJORITY or rules.kind != MULTIPLE:
        assert len(result.winners) <= 1 or rules.kind == MULTIPLE


def _every_extension(rules: Rules, remaining: int) -> list[list[frozenset[int]]]:
    choices = [frozenset(c) for size in range(1, rules.max_choices + 1)
               for c in itertools.combinations(range(rules.options), size)]
    found = []
    for voters in range(remaining + 1):
        found.extend(list(combo) for combo in
                     itertools.combinations_with_replacement(choices, voters))
    return found


@settings(max_examples=150, deadline=None)
@given(rules_and_ballots(max_eligible=4))
def test_settled_agrees_with_trying_every_way_the_rest_could_vote(case: tuple) -> None:
    rules, cast, eligible = case
    counts, total = tally.count(rules, cast)
    now = tally.outcome(rules, counts, total, eligible).key
    remaining = eligible - total
    possible = {tally.tally(rules, [*cast, *more], eligible).key
                for more in _every_extension(rules, remaining)}
    assert tally.settled(rules, counts, total, eligible) == (possible == {now})
