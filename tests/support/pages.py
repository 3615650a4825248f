"""Every page of the app, for proofs that walk them all (stored XSS in a browser, hostile forms)."""

from __future__ import annotations


def every_page(app, args: dict) -> list[str]:
    """Every GET page of the app (not the API, not static files), once for each seeded thing its parameters can
    name (each item, asset, place, document, report and dashboard tile)."""
    from itertools import product

    from app.csvio.kinds import KINDS as CSV_KINDS
    from app.dashboard.routes import TILES
    from app.reports.queries import KINDS as REPORTS

    choices = {**{name: values for name, values in args.items() if isinstance(values, list)},
               "name": [k.name for k in REPORTS] + [t.name for t in TILES], "kind": list(CSV_KINDS)}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "auth.logout") or rule.rule.startswith("/api/"):
            continue
        if rule.rule.endswith((".csv", "/sample")) or "export" in rule.endpoint:
            continue  # downloads (CSV), not pages: their escaping is the CSV writer's, tested in test_csv_*
        names = sorted(rule.arguments)
        unknown = [name for name in names if name not in choices and not name.endswith("id")]
        assert not unknown, f"{rule.rule}: say which seeded things its {unknown} can name"
        options = [choices.get(name, [1]) for name in names]
        for values in product(*options):
            try:
                urls.append(rule.build(dict(zip(names, values, strict=True)), append_unknown=False)[1])
            except Exception:  # noqa: BLE001, S112 - a rule we cannot fill is not a page we can visit
                continue
    return sorted(set(urls))
