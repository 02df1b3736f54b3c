"""The word-level diff the post page and the API show between two revisions (``operations.diff_texts``)."""

from __future__ import annotations

import random
import string

from hypothesis import given
from hypothesis import strategies as st

from approval.operations import DIFF_BUDGET, diff_texts

WORDS = st.lists(st.sampled_from(["Le", "match", "ce", "soir", "au", "stade", ".", ",", "!", "\n", "Paris"]),
                 max_size=40).map(" ".join)


def _sides(ops) -> tuple[str, str]:  # noqa: ANN001
    old = "".join(op.text for op in ops if op.op in ("equal", "delete"))
    new = "".join(op.text for op in ops if op.op in ("equal", "insert"))
    return old, new


@given(WORDS, WORDS)
def test_the_diff_gives_back_both_texts(old, new):
    assert _sides(diff_texts(old, new)) == (old, new)


def test_an_edit_in_the_middle_of_a_long_text_is_shown_as_that_edit():
    words = [f"mot{n}" for n in range(20000)]
    old, new = " ".join(words), " ".join(words[:9000] + ["nouveau"] + words[9001:])
    ops = diff_texts(old, new)
    assert [op.op for op in ops] == ["equal", "delete", "insert", "equal"]
    assert (ops[1].text, ops[2].text) == ("mot9000", "nouveau")


def test_two_long_unrelated_texts_are_one_replacement_not_minutes_of_comparing():
    """63,000 characters of short random words each side took 90 s word by word (the post page diffs by default,
    and a community manager can write such a text): past the budget, the changed stretch is replaced whole."""
    chance = random.Random(7)

    def text() -> str:
        return " ".join("".join(chance.choice(string.ascii_lowercase) for _ in range(chance.randint(1, 4)))
                        for _ in range(21000))

    old, new = text(), text()
    ops = diff_texts(old, new)
    assert len(ops) <= 4 and _sides(ops) == (old, new)
    assert len(old.split()) * 2 * len(new.split()) * 2 > DIFF_BUDGET  # the case the budget is for


def test_texts_sharing_only_their_spaces_are_one_replacement():
    """1,000 words each side, no word in common: the spaces were the only shared tokens and anchored a match each
    (40 s for the post page). They anchor none now: the stretch is one replacement."""
    old = " ".join(f"w{i}" for i in range(990))
    new = " ".join(f"v{i}" for i in range(990))
    assert [op.op for op in diff_texts(old, new)] == ["delete", "insert"]


def test_a_word_changed_between_shared_words_is_that_word():
    ops = diff_texts("Le match ce soir au stade.", "Le match demain soir au stade.")
    assert [(op.op, op.text) for op in ops] == [("equal", "Le match "), ("delete", "ce"), ("insert", "demain"),
                                                ("equal", " soir au stade.")]
