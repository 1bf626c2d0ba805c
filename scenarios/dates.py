"""Calendar dates in a scenario: ``start_date`` is the date of hour 0, and dated keys (demand
knots and events, storms) become hours from it once, when the world is built.

Dates are local calendar dates (no time zone: the twin runs on the network's local clock, as the
hour-of-day profile does). A date may carry a time of day (``2017-11-24T06:00``); a date alone
means its midnight.
"""

from __future__ import annotations

import datetime

from scenarios.errors import ConfigError

HOURS_PER_DAY = 24.0
# hour 0 of a scenario that names no start_date: a Monday, as day 0 was before dates existed
DEFAULT_START_DATE = "2025-03-03"


def parse_date(key: str, value: object) -> datetime.date:
    """An ISO date such as ``2025-03-03`` (the value of ``start_date``)."""
    if not isinstance(value, str):
        raise ConfigError(key, "an ISO date such as 2025-03-03", value)
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(key, "an ISO date such as 2025-03-03", value) from None


def parse_moment(key: str, value: object) -> datetime.datetime:
    """An ISO date, or a local date and time without offset (``2017-11-24T06:00``)."""
    expected = "an ISO date such as 2017-11-24, or a local time such as 2017-11-24T06:00"
    if not isinstance(value, str):
        raise ConfigError(key, expected, value)
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(key, expected, value) from None
    if moment.tzinfo is not None:
        raise ConfigError(key, f"{expected} (local: no UTC offset)", value)
    return moment


def hours_from(start: datetime.date, key: str, value: object) -> float:
    """Hours from midnight of ``start`` (hour 0) to the date or local time ``value``."""
    origin = datetime.datetime.combine(start, datetime.time(0))
    return (parse_moment(key, value) - origin).total_seconds() / 3600.0


def date_at(start: datetime.date, hour: float) -> datetime.datetime:
    """The local time at simulated ``hour`` (for charts and reports)."""
    return datetime.datetime.combine(start, datetime.time(0)) + datetime.timedelta(hours=hour)
