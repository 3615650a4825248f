"""Insights as pure calculations: forecasts, reorder points, robust anomalies, reliability, idleness, CSV safety.

No Flask, no session. Every calculation returns its figures together with a `Derivation` — the inputs, the
method and its parameters, and the steps in words — so a page can explain each number it shows.

Forecasting intermittent demand. Stock in a stockroom is picked on some days and not on others; plain exponential
smoothing then forecasts a spike right after each pick and decays in between, and Croston's method (Croston 1972)
keeps forecasting demand for an item that has stopped selling. We use TSB — Teunter, Syntetos & Babai (2011),
"Intermittent demand: linking forecasting to inventory obsolescence", EJOR 214(3):606–615 — which smooths the
*probability* that demand occurs in a period every period, and the *size* of demand only when it occurs; the
forecast per period is probability × size, and it decays towards zero when demand stops. statsmodels has no
Croston/TSB; statsforecast has both but brings pandas, numba and polars into a Flask app for 20 lines of arithmetic,
so the method is implemented here (see `tsb`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from statistics import NormalDist

from ..errors import Invalid

ZERO = Decimal(0)


@dataclass(frozen=True)
class Derivation:
    """How a figure was made: the method, what went in, the knobs, and the steps in words."""

    method: str
    inputs: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    steps: tuple[str, ...] = ()
    note: str = ""


# ---------------------------------------------------------------------------------------------------------------
# Demand forecast (TSB)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    per_period: float  # expected demand per period (a day unless said otherwise)
    probability: float  # smoothed probability that a period has demand
    size: float  # smoothed size of a demand when it occurs
    periods: int
    nonzero: int
    sigma: float  # standard deviation of demand per period (for safety stock)
    derivation: Derivation

    @property
    def confident(self) -> bool:
        return self.periods >= 2 and self.nonzero >= 2


def tsb(series: Sequence[float], *, alpha: float = 0.1, beta: float = 0.1) -> Forecast:
    """TSB forecast (Teunter, Syntetos & Babai 2011) of demand per period from a series of per-period demands.

    Start: p₀ = share of periods with demand, z₀ = mean size of the non-zero demands. Then for each period t:
    p ← p + β·(1[dₜ>0] − p) every period; z ← z + α·(dₜ − z) only when dₜ > 0. Forecast = p·z per period.
    No history, or no demand at all, forecasts zero and says why; a single period forecasts that period.
    """
    if not 0 < alpha <= 1 or not 0 < beta <= 1:
        raise Invalid("Smoothing constants must be above 0 and at most 1.", field="alpha")
    xs = [max(0.0, float(x)) for x in series]
    params = {"alpha (size)": alpha, "beta (probability)": beta}
    n, nonzero = len(xs), [x for x in xs if x > 0]
    if n == 0:
        return Forecast(0.0, 0.0, 0.0, 0, 0, 0.0, Derivation(
            "TSB (Teunter–Syntetos–Babai)", {"periods": 0}, params, ("No movements in the window.",),
            note="No history: nothing to forecast from, so the forecast is 0."))
    if not nonzero:
        return Forecast(0.0, 0.0, 0.0, n, 0, 0.0, Derivation(
            "TSB (Teunter–Syntetos–Babai)", {"periods": n, "total demand": 0}, params,
            (f"All {n} periods had zero demand.",), note="No demand in the window: the forecast is 0."))
    p = len(nonzero) / n
    z = sum(nonzero) / len(nonzero)
    steps = [f"Start: probability p₀ = {len(nonzero)}/{n} = {p:.3f}, size z₀ = mean of non-zero = {z:.3f}."]
    for x in xs:
        p = p + beta * ((1.0 if x > 0 else 0.0) - p)
        if x > 0:
            z = z + alpha * (x - z)
    sigma = statistics.pstdev(xs) if n > 1 else 0.0
    steps.append(f"After {n} periods: p = {p:.3f}, z = {z:.3f}; forecast = p × z = {p * z:.3f} per period.")
    steps.append(f"Spread of demand per period (population standard deviation) σ = {sigma:.3f}.")
    note = "Only one period of history: the forecast repeats it; treat it as a guess." if n == 1 else ""
    return Forecast(p * z, p, z, n, len(nonzero), sigma, Derivation(
        "TSB (Teunter–Syntetos–Babai)", {"periods": n, "periods with demand": len(nonzero),
                                         "total demand": sum(xs)}, params, tuple(steps), note=note))


# ---------------------------------------------------------------------------------------------------------------
# Reorder point and order quantity
# ---------------------------------------------------------------------------------------------------------------


def z_for(service_level: float) -> float:
    """The standard normal quantile of the cycle service level (0.95 → 1.645)."""
    if not 0.5 <= service_level < 1:
        raise Invalid("The service level is a share between 0.50 and 0.999 (e.g. 0.95).", field="service_level")
    return NormalDist().inv_cdf(service_level)


@dataclass(frozen=True)
class ReorderAdvice:
    ok: bool
    message: str
    reorder_point: Decimal | None
    safety_stock: Decimal | None
    lead_time_demand: Decimal | None
    suggested_qty: Decimal
    derivation: Derivation


def _up(x: float) -> Decimal:
    return Decimal(math.ceil(round(x, 9)))


def reorder(*, daily_demand: float, daily_sigma: float, lead_time_days: int | None, service_level: float,
            available: Decimal, on_order: Decimal, cover_days: int = 30, sku: str = "") -> ReorderAdvice:
    """Reorder point = expected demand over the lead time + safety stock, safety stock = z·σ_d·√L.

    When what is available plus what is on order falls to the reorder point or below, order enough to come back up
    to the reorder point plus `cover_days` of expected demand: ⌈ROP + d·cover − available − on order⌉. Both
    figures are rounded up to whole units. An item without a lead time gets a message instead of a number.
    """
    z = z_for(service_level)
    params = {"service level": service_level, "z": round(z, 4), "cover days": cover_days}
    if not lead_time_days or lead_time_days <= 0:
        msg = (f"{sku + ': ' if sku else ''}no lead time is set, so no reorder point can be worked out; "
               "enter the supplier's lead time in days on the item.")
        return ReorderAdvice(False, msg, None, None, None, ZERO, Derivation(
            "Reorder point", {"lead time (days)": lead_time_days}, params, (), note=msg))
    lead_demand = daily_demand * lead_time_days
    safety = z * daily_sigma * math.sqrt(lead_time_days)
    rop = _up(lead_demand + safety)
    position = available + on_order
    suggest = ZERO
    if position <= rop and (daily_demand > 0 or rop > 0):
        suggest = max(ZERO, _up(float(rop) + daily_demand * cover_days - float(position)))
    steps = (
        f"Demand over the lead time = {daily_demand:.3f}/day × {lead_time_days} days = {lead_demand:.3f}.",
        f"Safety stock = z × σ × √L = {z:.3f} × {daily_sigma:.3f} × √{lead_time_days} = {safety:.3f}.",
        f"Reorder point = ⌈{lead_demand:.3f} + {safety:.3f}⌉ = {rop}.",
        f"Stock position = available {available} + on order {on_order} = {position}.",
        (f"At or below the reorder point: order ⌈{rop} + {daily_demand:.3f} × {cover_days} − {position}⌉ = {suggest}."
         if suggest else "Above the reorder point (or no demand): nothing to order."),
    )
    msg = f"Order {suggest}." if suggest else "No order needed."
    return ReorderAdvice(True, msg, rop, Decimal(str(round(safety, 3))), Decimal(str(round(lead_demand, 3))),
                         suggest, Derivation("Reorder point at a service level", {
                             "daily demand": round(daily_demand, 4), "σ daily": round(daily_sigma, 4),
                             "lead time (days)": lead_time_days, "available": str(available),
                             "on order": str(on_order)}, params, steps))


# ---------------------------------------------------------------------------------------------------------------
# Robust anomalies (median and MAD)
# ---------------------------------------------------------------------------------------------------------------

MODIFIED_Z_CUTOFF = 3.5
_MAD_SCALE = 0.6745  # Iglewicz & Hoaglin (1993): M = 0.6745 (x − median) / MAD
_MEANAD_SCALE = 1.253314  # when MAD is 0: M = (x − median) / (1.253314 · mean absolute deviation)


@dataclass(frozen=True)
class Scored:
    key: object
    value: float
    score: float
    anomalous: bool


@dataclass(frozen=True)
class Anomalies:
    scored: list[Scored]
    median: float
    mad: float
    derivation: Derivation

    @property
    def flagged(self) -> list[Scored]:
        return [s for s in self.scored if s.anomalous]


def modified_z(values: Sequence[tuple[object, float]], *, cutoff: float = MODIFIED_Z_CUTOFF) -> Anomalies:
    """Flag values whose modified z-score |0.6745·(x − median)/MAD| exceeds the cutoff (Iglewicz & Hoaglin).

    The median and the median absolute deviation are not pulled by the outliers they are meant to find. When MAD
    is 0 (most values equal) the mean absolute deviation stands in; when both are 0 nothing is anomalous.
    """
    xs = [float(v) for _, v in values]
    params = {"cutoff |M|": cutoff}
    if len(xs) < 3:
        return Anomalies([Scored(k, float(v), 0.0, False) for k, v in values], 0.0, 0.0, Derivation(
            "Modified z-score (median, MAD)", {"values": len(xs)}, params, (),
            note="Fewer than 3 values: too few to tell what is unusual."))
    med = statistics.median(xs)
    mad = statistics.median([abs(x - med) for x in xs])
    if mad > 0:
        scale, how = mad / _MAD_SCALE, f"MAD = {mad:g}; M = 0.6745 × (x − {med:g}) / {mad:g}"
    else:
        mean_ad = statistics.fmean([abs(x - med) for x in xs])
        scale = _MEANAD_SCALE * mean_ad
        how = f"MAD = 0, so mean absolute deviation {mean_ad:g} stands in; M = (x − {med:g}) / (1.2533 × {mean_ad:g})"
    scored = []
    for (k, _v), x in zip(values, xs, strict=True):
        score = (x - med) / scale if scale > 0 else 0.0
        scored.append(Scored(k, x, score, abs(score) > cutoff))
    return Anomalies(scored, med, mad, Derivation(
        "Modified z-score (median, MAD)", {"values": len(xs)}, params,
        (f"Median = {med:g}.", how + ".", f"Flagged when |M| > {cutoff}: {sum(s.anomalous for s in scored)}.")))


# ---------------------------------------------------------------------------------------------------------------
# Reliability: mean time between failures
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reliability:
    failures: int
    mtbf_days: float | None
    next_failure: date | None
    derivation: Derivation


def mtbf(*, in_service: date, failures: Iterable[date], today: date) -> Reliability:
    """MTBF = mean of the intervals in service → 1st failure → 2nd failure …; next expected failure = last + MTBF.

    With no failure there is no MTBF (only the days it has run without one)."""
    days = sorted(failures)
    if not days:
        run = (today - in_service).days
        return Reliability(0, None, None, Derivation(
            "Mean time between failures", {"in service": in_service.isoformat(), "corrective repairs": 0}, {},
            (), note=f"No corrective repair in {run} days of service: no failure rate to estimate yet."))
    points = [in_service, *days]
    gaps = [(b - a).days for a, b in zip(points, points[1:], strict=False)]
    mean = sum(gaps) / len(gaps)
    nxt = days[-1] + _days(mean)
    return Reliability(len(days), mean, nxt, Derivation(
        "Mean time between failures", {"in service": in_service.isoformat(), "corrective repairs": len(days)}, {},
        (f"Intervals (days): {', '.join(str(g) for g in gaps)}.",
         f"MTBF = {sum(gaps)} / {len(gaps)} = {mean:.1f} days.",
         f"Next expected failure = last failure {days[-1].isoformat()} + {mean:.1f} days = {nxt.isoformat()}.")))


def _days(x: float):
    from datetime import timedelta

    return timedelta(days=round(x))


# ---------------------------------------------------------------------------------------------------------------
# Idle assets and turns
# ---------------------------------------------------------------------------------------------------------------


def days_since(moment: datetime | date | None, today: date) -> int | None:
    if moment is None:
        return None
    d = moment.date() if isinstance(moment, datetime) else moment
    return (today - d).days


def stock_turns(*, cost_of_goods: Decimal, days: int, inventory_value: Decimal) -> tuple[Decimal | None, Derivation]:
    """Annualised turns = cost of goods over the period × 365/days ÷ inventory value now."""
    if inventory_value <= 0 or days <= 0:
        return None, Derivation("Stock turns", {"cost of goods": str(cost_of_goods), "inventory value":
                                                str(inventory_value)}, {"days": days},
                                note="No inventory value: turns cannot be worked out.")
    annual = cost_of_goods * Decimal(365) / Decimal(days)
    turns = (annual / inventory_value).quantize(Decimal("0.01"))
    return turns, Derivation("Stock turns (annualised)", {"cost of goods": str(cost_of_goods),
                                                          "inventory value": str(inventory_value)}, {"days": days},
                             (f"{cost_of_goods} × 365 / {days} = {annual.quantize(Decimal('0.01'))} a year.",
                              f"÷ inventory value {inventory_value} = {turns} turns a year."))


def days_of_cover(on_hand: Decimal, daily_demand: float) -> float | None:
    """On hand ÷ expected daily demand; None when there is no demand (cover is unlimited)."""
    if daily_demand <= 0:
        return None
    return float(on_hand) / daily_demand


def idle_derivation(days: int, found: int) -> Derivation:
    return Derivation("Idle assets", {"assets found": found}, {"idle after (days)": days}, (
        "Assets in stock or deployed, registered more than N days ago,",
        "with no check-out, check-in, transfer, deployment or receipt event in the last N days.",
        "Idle days = today − the last such event (or the registration when there was none)."))


def compliance_derivation(audit_days: int, warranty: int, unseen: int, licences: int = 0) -> Derivation:
    return Derivation("Compliance risks", {"past warranty, still out": warranty, "not audited": unseen,
                                           "licence risks": licences},
                      {"audit within (days)": audit_days}, (
                          "Past warranty: warranty end before today while the asset is deployed or checked out.",
                          "Not audited: live assets (not planned, retired or disposed) whose last audit scan is "
                          "older than N days, or that were never seen in one.",
                          "Licences: expired with seats still given out, or more seats given out than bought."))


def shrinkage_derivation(days: int) -> Derivation:
    return Derivation("Shrinkage by item and place", {}, {"window (days)": days}, (
        "Count adjustments of the window grouped by item and the counted place.",
        "Lost = Σ of the negative adjustments; value lost = their cost drawn from the cost layers.",
        "Found = Σ of the positive adjustments."))


# ---------------------------------------------------------------------------------------------------------------
# Reports: dates (CSV cells are made safe by app.csvio.writer)
# ---------------------------------------------------------------------------------------------------------------

def parse_day(raw: str | None, field: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"{raw!r} is not a date; use YYYY-MM-DD.", field=field) from None


def date_range(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """Both ends inclusive. Refuses malformed dates and an end before the start."""
    a, b = parse_day(start, "start"), parse_day(end, "end")
    if a and b and b < a:
        raise Invalid(f"The end date {b.isoformat()} is before the start date {a.isoformat()}.", field="end")
    return a, b


def up_to_unit(x: Decimal) -> Decimal:
    return x.to_integral_value(rounding=ROUND_CEILING)
