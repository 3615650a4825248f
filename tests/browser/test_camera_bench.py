"""The camera benchmark's measuring machinery (bench/camera.py) works: run briefly against the test live server, it
collects frame → result measures with plausible values, names the decoder and reads the first-load and cache figures.
No timing is asserted here: the speed targets live only in the benchmark report."""

from __future__ import annotations

from app.stock.services import create_item
from app.uow import UnitOfWork
from bench import camera
from bench.data import ean13
from tests.conftest import PASSWORD


def test_the_camera_benchmark_collects_frame_to_result_measures_from_the_scan_page(
    playwright_instance, live_server, make_user, tmp_path
):
    codes = [ean13(i) for i in range(1, 5)]
    for n, code in enumerate(codes, 1):
        create_item(sku=f"CAM-{n}", name=f"Camera bench item {n}", uow=UnitOfWork(), barcodes=[(code, "each", 1)])
    user = make_user("staff")

    res = camera.measure(live_server.url, user.email, PASSWORD, codes, workdir=tmp_path, seconds=7,
                         start_timeout=30, playwright=playwright_instance)

    assert res["ok"], res.get("error")
    assert res["count"] >= 3
    assert all(ms > 0 for ms in res["durations_ms"])
    assert res["median_ms"] > 0 and res["p95_ms"] >= res["median_ms"]
    assert res["decoders"] == ["wasm"]  # Chromium on Linux has no native BarcodeDetector
    assert res["decode_median_ms"] > 0
    assert res["unexpected"] == []
    assert set(res["resolve_statuses"]) == {"200"}  # every read was an item the server knows
    first = res["first_load"]
    assert first["bytes"] > 0 and first["decoder_in_it"] == []
    assert any(r["name"].startswith("/scan/") for r in first["resources"])
    assert res["decoder_reload"]["cached"] in (True, False)
    assert any(".wasm" in f for f in res["decoder_reload"]["files"])
    assert not (tmp_path / "bench-camera.y4m").exists()  # the video is cleaned up


def test_without_chromium_the_camera_benchmark_says_so_instead_of_a_figure(monkeypatch, tmp_path):
    monkeypatch.setattr(camera, "CHROMIUM", str(tmp_path / "no-chromium"))
    res = camera.measure("http://127.0.0.1:9", "x@example.test", "x", [ean13(1)], workdir=tmp_path, seconds=1)
    assert res["ok"] is False and "Chromium not found" in res["error"]
    assert "median_ms" not in res
    assert "NOT MEASURED" in camera.summary_lines(res)[0]
