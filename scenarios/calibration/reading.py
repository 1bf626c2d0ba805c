"""How to read a log not quite in the format: its time zone and pattern, encoding, words, currency.

Real logs write local times without an offset, often not in ISO-8601 (``1/31/2018 22:56``), use
their own status words (``canceled``, ``shipped``, ``invoiced``) and keep values in their own
currency. Each is a user's statement, not a guess (``1/2/2018`` is January or February only by
the exporter's habit): ``--timezone`` names the IANA zone of offset-less times (daylight saving
included, read with :mod:`zoneinfo`), ``--time-format`` the ``strftime`` pattern of times that
are not ISO-8601, ``--encoding`` the text encoding of a CSV not saved as UTF-8 (an older
Excel or ERP export in Latin-1 or cp1252), ``--status-map`` maps words to delivered / open /
cancelled, and ``--currency CODE=USD_PER_UNIT`` converts values to US dollars. An option given
wrong is refused in one line naming the option.
"""

from __future__ import annotations

import codecs
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scenarios.errors import ConfigError

STATUSES = ("delivered", "open", "cancelled")
_CODE = re.compile(r"^[A-Za-z]{3}$")


@dataclass(frozen=True)
class ReadOptions:
    """The user's statements about a log; the defaults read the strict format only."""

    timezone: str | None = None  # IANA name for times written without an offset
    status_map: dict[str, str] = field(default_factory=dict)  # log word -> delivered/open/cancelled
    currency: str = "USD"  # what the log's values are in
    usd_per_unit: float = 1.0
    time_format: str | None = None  # strftime pattern of times not in ISO-8601 (%m/%d/%Y %H:%M)
    encoding: str = "utf-8"  # of a CSV log's bytes

    @property
    def zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.timezone) if self.timezone else None


def parse_timezone(text: str | None) -> str | None:
    """An IANA zone name that :mod:`zoneinfo` knows, or ConfigError on ``--timezone``."""
    if text is None:
        return None
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "--timezone", "an IANA time zone name like America/Sao_Paulo or Europe/Berlin", text
        ) from None
    return text


# a moment whose fields all differ, so a pattern that drops or confuses one cannot round-trip it
_PROBE = datetime(2031, 12, 25, 17, 43, tzinfo=timezone(timedelta(hours=-5)))  # %z prints too


def parse_time_format(text: str | None) -> str | None:
    """A ``strftime`` pattern with year, month, day, hour and minute, or ConfigError on
    ``--time-format`` (checked by writing and reading back a moment whose fields all differ)."""
    if text is None:
        return None
    try:
        back = datetime.strptime(_PROBE.strftime(text), text)
    except (ValueError, re.error):  # re.error: a directive twice (%m/%m)
        back = None
    wall = _PROBE.replace(tzinfo=None)
    if back is None or back.replace(second=0, microsecond=0, tzinfo=None) != wall:
        raise ConfigError(
            "--time-format",
            "a strftime pattern with year, month, day, hour and minute, like '%m/%d/%Y %H:%M'",
            text,
        )
    return text


def parse_encoding(text: str | None) -> str:
    """A text encoding Python knows (its canonical name), or ConfigError on ``--encoding``."""
    if text is None:
        return "utf-8"
    try:
        name = codecs.lookup(text.strip()).name
        b"order".decode(name)  # LookupError for a codec that is not a text encoding (base64)
    except (LookupError, ValueError):
        raise ConfigError(
            "--encoding", "a text encoding like utf-8, latin-1 or cp1252", text
        ) from None
    return name


def parse_status_map(text: str | None) -> dict[str, str]:
    """``word=status,word=status`` (case-insensitive words) into a mapping."""
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        word, eq, status = part.partition("=")
        word, status = word.strip().lower(), status.strip().lower()
        if not eq or not word or status not in STATUSES:
            raise ConfigError(
                "--status-map", "WORD=STATUS pairs, STATUS one of " + ", ".join(STATUSES), part
            )
        out[word] = status
    return out


def parse_currency(text: str | None) -> tuple[str, float]:
    """``CODE=USD_PER_UNIT`` (``BRL=0.3125``) or ``USD``; the default is USD."""
    if not text or text.strip().upper() == "USD":
        return "USD", 1.0
    code, eq, rate = text.partition("=")
    try:
        usd = float(rate)
    except ValueError:
        usd = math.nan
    if not eq or not _CODE.fullmatch(code.strip()) or not (math.isfinite(usd) and usd > 0):
        raise ConfigError(
            "--currency",
            "CODE=USD_PER_UNIT, a 3-letter code and a positive rate (BRL=0.3125)",
            text,
        )
    return code.strip().upper(), usd


def read_options(
    timezone: str | None = None,
    status_map: str | None = None,
    currency: str | None = None,
    time_format: str | None = None,
    encoding: str | None = None,
) -> ReadOptions:
    """The options from their command-line text (each checked, ConfigError on the first bad)."""
    code, usd = parse_currency(currency)
    return ReadOptions(
        parse_timezone(timezone),
        parse_status_map(status_map),
        code,
        usd,
        parse_time_format(time_format),
        parse_encoding(encoding),
    )
