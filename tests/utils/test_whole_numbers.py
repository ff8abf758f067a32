"""utils/whole_numbers.py: the one rule for whole numbers read from text (flags, method options, torchrun's environment)."""

import pytest

from utils.whole_numbers import whole_number


def test_bounds_are_inclusive_and_the_refusal_says_them():
    assert whole_number(1)("1") == 1 and whole_number(0, 5)("5") == 5
    for parse, text, bounds in ((whole_number(1), "0", "of at least 1"), (whole_number(0, 5), "6", "from 0 to 5"),
                                (whole_number(1), "1.5", "of at least 1"), (whole_number(1), "two", "of at least 1")):
        with pytest.raises(ValueError, match=f"expected a whole number {bounds}, got '{text}'"):
            parse(text)
