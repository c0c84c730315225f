"""How a proposal's votes are counted: ballots in, outcome out. Pure — no database, no clock.

The rules, exactly as ``/proposal <id>`` states them to members:

* **One ballot per member.** A ballot holds one option (yes/no, single choice, consensus) or
  one to *k* options (multiple choice). A changed ballot replaces the old one; it is never
  counted twice.
* **Eligible voters** are counted *live*: the members eligible now (active members, or active
  members for whom a coordinator acts, as the proposal says). Ballots of members who are no
  longer eligible (suspended, left) do not count; a member who became eligible while the vote
  was open may vote.
* **Turnout** = members who cast a ballot (abstentions included) / eligible members.
  **Quorum needed** = ceil(quorum % × eligible). Turnout below it → *not decided*, whatever
  the ballots say.
* **Counted ballots** decide the threshold. Abstentions count toward turnout and quorum but
  never toward the threshold. Yes/no: Yes + No. Consensus: Agree + Disagree + Block. Single
  and multiple choice: every ballot.
* **Thresholds** (support / counted ballots): *simple majority* — more than half (a tie is
  not a majority); *two thirds* — at least two thirds; *unanimous* — all of them, with at
  least one. No counted ballot at all (everyone abstained) → not passed.
* **Yes/no** passes when Yes meets the threshold. **Consensus** passes when nobody blocks and
  Agree meets the threshold (with a simple majority: more Agree than Disagree); one Block
  stops it. **Single choice**: the option that meets the threshold wins (with a simple
  majority: more than half of the ballots, so a tie or a split vote has no winner).
  **Multiple choice**: every option chosen on enough ballots to meet the threshold is adopted;
  none → no winner.
* **The outcome can no longer change** when every way the members who have not voted yet
  might still vote (or not vote) leads to the same result — counted with the ballots already
  cast as they stand. Because every rule above is monotone in each option's support, it is
  enough to try the extremes: nobody else votes, or all of them choose the same one option.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

YES_NO, SINGLE, MULTIPLE, CONSENSUS = "yesno", "single", "multiple", "consensus"
KINDS = (YES_NO, SINGLE, MULTIPLE, CONSENSUS)
MAJORITY, TWO_THIRDS, UNANIMOUS = "majority", "two_thirds", "unanimous"
THRESHOLDS = (MAJORITY, TWO_THIRDS, UNANIMOUS)

# Fixed options of the fixed kinds, by index (stored ballots hold indexes).
YES, NO, ABSTAIN = 0, 1, 2
AGREE, C_ABSTAIN, DISAGREE, BLOCK = 0, 1, 2, 3
FIXED_OPTIONS = {YES_NO: ("yes", "no", "abstain"),
                 CONSENSUS: ("agree", "abstain", "disagree", "block")}

# Why a proposal ended as it did.
PASSED, REJECTED, BLOCKED, NO_WINNER, NO_QUORUM = (
    "passed", "rejected", "blocked", "no_winner", "no_quorum")


@dataclass(frozen=True, slots=True)
class Rules:
    kind: str
    options: int  # how many options there are
    threshold: str = MAJORITY
    quorum_pct: int = 0
    max_choices: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.threshold not in THRESHOLDS:
            raise ValueError(f"unknown kind or threshold: {self.kind}, {self.threshold}")
        if self.kind in FIXED_OPTIONS and self.options != len(FIXED_OPTIONS[self.kind]):
            raise ValueError(f"{self.kind} has {len(FIXED_OPTIONS[self.kind])} options")
        if self.options < 2 or not 0 <= self.quorum_pct <= 100:
            raise ValueError("at least two options; quorum 0-100 %")
        if not 1 <= self.max_choices <= self.options:
            raise ValueError("max_choices must be between 1 and the number of options")

    @property
    def abstain(self) -> int | None:
        return {YES_NO: ABSTAIN, CONSENSUS: C_ABSTAIN}.get(self.kind)


@dataclass(frozen=True, slots=True)
class Result:
    eligible: int
    voted: int  # ballots cast by eligible members, abstentions included
    quorum_needed: int
    counts: tuple[int, ...]  # ballots naming each option
    counted: int  # ballots that count toward the threshold
    passed: bool
    winners: tuple[int, ...]  # options adopted (yes/no: (YES,) when passed)
    reason: str

    @property
    def quorum_met(self) -> bool:
        return self.voted >= self.quorum_needed

    @property
    def decided(self) -> bool:
        return self.reason != NO_QUORUM

    @property
    def key(self) -> tuple[bool, bool, tuple[int, ...]]:
        """What members care about: decided or not, passed or not, and what won."""
        return self.decided, self.passed, self.winners


def quorum_needed(quorum_pct: int, eligible: int) -> int:
    """ceil(quorum % × eligible), in integers (no float rounding at the edges)."""
    return (quorum_pct * eligible + 99) // 100


def meets(support: int, counted: int, threshold: str) -> bool:
    if counted <= 0 or support <= 0:
        return False
    if threshold == MAJORITY:
        return 2 * support > counted
    if threshold == TWO_THIRDS:
        return 3 * support >= 2 * counted
    return support == counted


def valid_ballot(rules: Rules, choices: Iterable[int]) -> frozenset[int]:
    chosen = frozenset(choices)
    if not chosen or any(not 0 <= c < rules.options for c in chosen):
        raise ValueError("a ballot names at least one existing option")
    limit = rules.max_choices if rules.kind == MULTIPLE else 1
    if len(chosen) > limit:
        raise ValueError(f"at most {limit} option(s) on one ballot")
    return chosen


def count(rules: Rules, ballots: Iterable[Iterable[int]]) -> tuple[list[int], int]:
    """Per-option counts and the number of ballots."""
    counts = [0] * rules.options
    total = 0
    for ballot in ballots:
        total += 1
        for choice in valid_ballot(rules, ballot):
            counts[choice] += 1
    return counts, total


def outcome(rules: Rules, counts: Sequence[int], ballots: int, eligible: int) -> Result:
    """The result of ``ballots`` ballots (``counts`` per option) among ``eligible`` members."""
    needed = quorum_needed(rules.quorum_pct, eligible)
    counts = tuple(counts)
    if rules.kind == YES_NO:
        counted = counts[YES] + counts[NO]
        passed = meets(counts[YES], counted, rules.threshold)
        winners: tuple[int, ...] = (YES,) if passed else ()
        reason = PASSED if passed else REJECTED
    elif rules.kind == CONSENSUS:
        counted = counts[AGREE] + counts[DISAGREE] + counts[BLOCK]
        blocked = counts[BLOCK] > 0
        passed = not blocked and meets(counts[AGREE], counted, rules.threshold)
        winners = (AGREE,) if passed else ()
        reason = PASSED if passed else (BLOCKED if blocked else REJECTED)
    else:
        counted = ballots
        winners = tuple(o for o in range(rules.options) if meets(counts[o], counted,
                                                                 rules.threshold))
        passed = bool(winners)
        reason = PASSED if passed else NO_WINNER
    if ballots < needed:
        passed, winners, reason = False, (), NO_QUORUM
    return Result(eligible=eligible, voted=ballots, quorum_needed=needed, counts=counts,
                  counted=counted, passed=passed, winners=winners, reason=reason)


def tally(rules: Rules, ballots: Iterable[Iterable[int]], eligible: int) -> Result:
    counts, total = count(rules, ballots)
    return outcome(rules, counts, total, eligible)


def settled(rules: Rules, counts: Sequence[int], ballots: int, eligible: int) -> bool:
    """True when the members who have not voted can no longer change the outcome."""
    remaining = eligible - ballots
    if remaining <= 0:
        return True
    now = outcome(rules, counts, ballots, eligible).key
    for option in range(rules.options):
        extended = list(counts)
        extended[option] += remaining
        if outcome(rules, extended, ballots + remaining, eligible).key != now:
            return False
    return True
