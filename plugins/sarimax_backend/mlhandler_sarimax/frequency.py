"""The frequency of a series: parse the `freq` parameter, infer it from timestamps, and place
timestamps on the model's grid of periods (period 0 is the first training timestamp)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from mlhandler.errors import BadRequest
from mlhandler_sarimax.timestamps import UNIT, iso

# Predictions and _steps reach at most this many periods past the training data: a forecast
# that far out is meaningless, and an unbounded one could exhaust memory.
MAX_HORIZON = 10_000
EXAMPLES = "D (daily), W (weekly), MS (month start), ME (month end), QS (quarter start), h (hourly)"


def parse_freq(value: object) -> str:
    """A pandas offset alias, normalised (`QS` → `QS-JAN`). Raises BadRequest naming `freq`."""
    try:
        return to_offset(str(value).strip()).freqstr
    except (ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else ""
        raise BadRequest(
            f"freq={value!r} is not a pandas frequency ({reason}); use an offset alias such as "
            f"{EXAMPLES}.",
            param="freq",
        ) from None


def infer_freq(index: pd.DatetimeIndex) -> str | None:
    """The frequency of sorted, unique timestamps, or None when they are irregular."""
    if len(index) < 3:
        return None
    with warnings.catch_warnings():
        # pandas 3 warns that infer_freq will return an offset; to_offset accepts either.
        warnings.simplefilter("ignore")
        found = pd.infer_freq(index)
    return None if found is None else to_offset(found).freqstr


def irregular_message(index: pd.DatetimeIndex, column: str) -> str:
    """Why no frequency could be inferred, what the frequency seems to be, and how to fix it."""
    if len(index) < 3:
        return (
            f"SARIMAX needs at least 3 timestamps in {column!r} to infer their frequency; send "
            f"more rows, or set it with PUT ?freq=… ({EXAMPLES})."
        )
    likely = _likely_freq(index)
    found = ""
    if likely is not None:
        periods = grid_between(index[0], index[-1], likely)
        gaps, off = periods.difference(index), index.difference(periods)
        details = [f"{len(gaps)} period(s) have no row (the first is {iso(gaps[0])})"] if len(gaps) else []
        if len(off):
            details.append(f"{len(off)} timestamp(s) fall between periods (the first is {iso(off[0])})")
        found = f": they look like {likely}, but {' and '.join(details)}" if details else ""
    suggestion = f"?freq={likely}" if likely else "?freq=…"
    return (
        f"The timestamps in {column!r} are irregular, so their frequency cannot be inferred"
        f"{found}. Set the frequency with PUT {suggestion} (pandas offset aliases: {EXAMPLES}); "
        f"periods with no row are then treated as missing values."
    )


def _likely_freq(index: pd.DatetimeIndex, windows: int = 200) -> str | None:
    """The frequency most runs of 3 consecutive timestamps agree on (a sample of them)."""
    starts = np.unique(np.linspace(0, len(index) - 3, num=min(windows, len(index) - 2)).astype(int))
    votes = pd.Series([infer_freq(index[i:i + 3]) for i in starts]).dropna()
    if votes.empty:
        return None
    likely = votes.mode().iloc[0]
    step = grid(index[0], 2, likely)[1] - index[0]
    # Only when a grid of that frequency over the data's span stays small.
    return likely if (index[-1] - index[0]) / step <= 10 * len(index) else None


def grid(start: pd.Timestamp, periods: int, freq: str) -> pd.DatetimeIndex:
    return pd.date_range(start=start, periods=periods, freq=freq).as_unit(UNIT)


def grid_between(start: pd.Timestamp, end: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    return pd.date_range(start=start, end=end, freq=freq).as_unit(UNIT)


def end_of(start: pd.Timestamp, nobs: int, freq: str) -> pd.Timestamp:
    return grid(start, nobs, freq)[-1]


def periods_of(timestamps: pd.Series, start: pd.Timestamp, nobs: int, freq: str,
               column: str) -> np.ndarray:
    """The period number of each timestamp (0 = `start`; `nobs` = the first period after the
    training data). Raises BadRequest for a timestamp before `start`, between two periods, or
    more than MAX_HORIZON periods after the training data."""
    early = timestamps[timestamps < start]
    if len(early):
        raise BadRequest(
            f"{column}={iso(early.iloc[0])} is before the training data starts ({iso(start)}); "
            f"SARIMAX predicts from {iso(start)} on. (Numbers are read as epoch milliseconds.)",
            column=column,
        )
    limit = nobs + MAX_HORIZON
    latest = timestamps.max()
    step = (grid(start, 11, freq)[-1] - start) / 10  # the average period, roughly
    # The rough count first, so that a timestamp centuries ahead never builds a huge range.
    reach = grid_between(start, latest, freq) if (latest - start) / step <= 3 * limit else None
    if reach is None or len(reach) > limit:
        raise BadRequest(
            f"{column}={iso(latest)} is too far ahead: predictions reach at most {MAX_HORIZON} "
            f"periods ({freq}) past the end of the training data ({iso(end_of(start, nobs, freq))}).",
            column=column,
        )
    found = reach.get_indexer(pd.DatetimeIndex(timestamps).as_unit(UNIT))
    off = timestamps[found < 0]
    if len(off):
        at = off.iloc[0]
        before = reach[reach.searchsorted(at) - 1]
        after = grid(before, 2, freq)[-1]
        raise BadRequest(
            f"{column}={iso(at)} is not one of the model's periods (frequency {freq}): the "
            f"nearest are {iso(before)} and {iso(after)}. Send timestamps on the model's "
            f"frequency.",
            column=column,
        )
    return found
