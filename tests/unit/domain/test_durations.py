import pytest

from domain.durations import in_words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(604800, "7 days"), (86400, "1 day"), (3600, "1 hour"), (5400, "90 minutes"), (1200, "20 minutes"),
     (60, "1 minute"), (30, "30 seconds"), (1, "1 second"), (90061, "90061 seconds")],
)
def test_the_largest_unit_that_divides_evenly(seconds, words):
    assert in_words(seconds) == words


def test_a_duration_is_positive():
    with pytest.raises(ValueError):
        in_words(0)
