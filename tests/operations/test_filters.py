"""What staff type as a flow filter, checked before it reaches Temporal's query language."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from operations.errors import BadFilter
from operations.filters import FlowFilter, flow_filter, parse_age

NOW = datetime(2026, 11, 28, 16, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, age",
    [("15m", timedelta(minutes=15)), ("90s", timedelta(seconds=90)), ("2h", timedelta(hours=2)),
     ("1d", timedelta(days=1)), (" 15M ", timedelta(minutes=15)), ("PT15M", timedelta(minutes=15)),
     ("P1DT2H", timedelta(days=1, hours=2)), ("pt30s", timedelta(seconds=30))],
)
def test_ages_read_as_operators_write_them(text, age):
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["", "soon", "15", "15 minutes", "-5m", "P", "PT", "1w", "15m'"])
def test_anything_else_is_refused_with_the_accepted_forms(text):
    with pytest.raises(BadFilter, match="15m, 2h, 1d, 90s or PT15M"):
        parse_age(text)


def test_the_query_asks_for_running_flows_of_ours_and_each_given_filter():
    assert FlowFilter().query(NOW) == "ExecutionStatus = 'Running' AND AtrezzoProcess IS NOT NULL"
    wanted = flow_filter("registration", "check_email", "15m")
    assert wanted.query(NOW) == (
        "ExecutionStatus = 'Running' AND AtrezzoProcess IS NOT NULL AND AtrezzoProcess = 'registration'"
        " AND AtrezzoStep = 'check_email' AND AtrezzoStepSince < '2026-11-28T15:45:00Z'"
    )


def test_blank_fields_mean_any():
    assert flow_filter(" ", None, "") == FlowFilter()


@pytest.mark.parametrize("field, value", [("process", "registration' OR 'a'='a"), ("step", "check email"),
                                          ("process", "Registration"), ("step", "x" * 65)])
def test_names_that_could_change_the_query_are_refused(field, value):
    with pytest.raises(BadFilter, match=f"{field} must be a name"):
        flow_filter(**{field: value})


@pytest.mark.parametrize("text", ["999999d", "P999999999D", "999999h"])
def test_an_age_too_long_for_a_date_is_a_clear_refusal_not_an_overflow(text):
    with pytest.raises(BadFilter, match="at most 3650 days"):
        flow_filter(older_than=text).query(datetime.now(timezone.utc))
