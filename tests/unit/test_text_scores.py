"""SQuAD-style answer scores, worked by hand (normalisation, several references, empty answers)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.inference.text_scores import exact_match, normalize_answer, score_answers, token_f1


@pytest.mark.parametrize("text, normalised", [
    ("The Eiffel Tower!", "eiffel tower"),
    ("  a   cat,  an apple ", "cat apple"),
    ("Super Bowl LII LII LII", "super bowl lii lii lii"),  # repetition is kept, never trimmed
    ("theory", "theory"),  # 'the' only as a word
    ("", ""),
])
def test_normalisation(text, normalised):
    assert normalize_answer(text) == normalised


def test_exact_match_uses_the_best_reference():
    assert exact_match("the Baker.", ["pilot", "baker"]) == 1.0
    assert exact_match("baker pilot", ["baker"]) == 0.0
    assert exact_match("", ["baker"]) == 0.0
    assert exact_match("", [""]) == 1.0


def test_token_f1_by_hand():
    # prediction "super bowl lii lii lii" vs reference "super bowl lii": common = 3 (lii counted once)
    # precision 3/5, recall 3/3 -> F1 = 2 * 0.6 * 1 / 1.6 = 0.75
    assert token_f1("Super Bowl LII LII LII", ["Super Bowl LII"]) == pytest.approx(0.75)
    # several references: the best one counts (1 of 2 tokens vs an exact match)
    assert token_f1("paris", ["in paris", "Paris"]) == 1.0
    assert token_f1("paris", ["in paris"]) == pytest.approx(2 * 1 * 0.5 / 1.5)
    assert token_f1("a a a", ["a"]) == 1.0  # articles vanish on both sides: both empty
    assert token_f1("", ["baker"]) == 0.0
    assert token_f1("rome", []) == 0.0


def test_score_answers_arrays():
    out = score_answers(["paris", "a nurse", ""], [["Paris"], ["nurse", "cook"], ["oslo"]])
    assert out["exact_match"].tolist() == [1.0, 1.0, 0.0]
    assert out["f1"].dtype == np.float64 and out["f1"].tolist() == [1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="2 predictions for 1"):
        score_answers(["a", "b"], [["a"]])


@given(st.text(max_size=30), st.lists(st.text(max_size=30), min_size=1, max_size=3))
def test_scores_are_bounded_and_em_implies_f1(prediction, references):
    f1, em = token_f1(prediction, references), exact_match(prediction, references)
    assert 0.0 <= f1 <= 1.0 and em in (0.0, 1.0)
    if em == 1.0:
        assert f1 == 1.0
