"""Percentiles without numpy (nearest-rank)."""

from __future__ import annotations


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def summary(seconds: list[float]) -> dict:
    v = sorted(seconds)
    return {"p50_ms": round(pct(v, 50) * 1000, 2), "p95_ms": round(pct(v, 95) * 1000, 2),
            "p99_ms": round(pct(v, 99) * 1000, 2), "mean_ms": round(sum(v) / len(v) * 1000, 2) if v else 0.0}
