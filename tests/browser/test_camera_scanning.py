"""The camera scanner, fed by Chromium's fake camera with videos made by the test, decoded by the real decoder.

Chromium on Linux has no native BarcodeDetector, so these exercise the zxing-wasm decoder in its worker. Each
video needs its own browser launch (the fake camera file is a launch flag).
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest

from app.extensions import db
from app.locations.services import create_location
from app.stock.services import create_item
from app.uow import UnitOfWork
from tests.browser.conftest import PHONE, LiveServer, launch_chromium, sign_in_page
from tests.browser.fake_camera import FNC1, ean13_video, gs1_128_video, gs1_datamatrix_video, qr_video
from tests.browser.helpers import wait_for
from tests.conftest import PASSWORD
from tests.support import scan_action
from tests.support.scan_action import make_action_app

FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@contextmanager
def camera_browser(playwright_instance, video):
    browser = launch_chromium(playwright_instance, FAKE_CAMERA + [f"--use-file-for-fake-video-capture={video}"])
    try:
        yield browser
    finally:
        browser.close()


@contextmanager
def phone_page(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.requests = requests
    sign_in_page(page, user.email, PASSWORD)
    try:
        yield page
    finally:
        context.close()


def start_camera(page):
    page.click("[data-scanner-toggle]")
    try:
        # Started: the decoder is in place (a code in view may already have been read and the camera stopped).
        wait_for(page, "document.querySelector('[data-scanner]')?.dataset.decoder", timeout=45)
    except AssertionError:
        state = page.evaluate("[document.querySelector('[data-scanner]')?.dataset.scannerState,"
                              " document.querySelector('[data-scanner-status]').textContent]")
        raise AssertionError(f"the camera did not start: {state}, errors {page.js_errors}") from None


@pytest.fixture(scope="module")
def qr_browser(playwright_instance, tmp_path_factory):
    video = qr_video("LOC-A1", tmp_path_factory.mktemp("video") / "qr.y4m")
    with camera_browser(playwright_instance, video) as b:
        yield b


def test_a_qr_code_of_a_location_seen_by_the_camera_resolves_to_that_location(qr_browser, live_server, make_user):
    create_location(code="LOC-A1", name="Aisle one", kind="site", uow=UnitOfWork())
    user = make_user("staff")
    with phone_page(qr_browser, live_server, user) as page:
        page.goto("/scan/")
        start_camera(page)
        result = page.locator("#scan-result")
        result.filter(has_text="Aisle one").wait_for()
        # htmx settles the new element's attributes a moment after the swap; wait for the settled class.
        wait_for(page, "document.querySelector('#scan-result').classList.contains('result-ok')", timeout=5)
        resolve = [u for u in page.requests if "/scan/resolve" in u]
        assert resolve and "format=qr_code" in resolve[0] and "source=camera" in resolve[0]
        assert page.get_attribute("[data-scanner]", "data-decoder") == "wasm"
        # Not continuous: one read, then the camera stops and the light goes off (and the keyboard may show again).
        wait_for(page, "document.querySelector('[data-scanner]')?.dataset.scannerState === 'stopped'")
        assert page.get_attribute("[data-scan-input]", "inputmode") == "text"
        assert page.evaluate("performance.getEntriesByName('storekeeper:frame-to-result').length") == 1
        assert page.js_errors == []


def test_the_camera_check_page_shows_the_decoder_in_use_and_a_live_test_decode(qr_browser, live_server, make_user):
    user = make_user("technician")
    with phone_page(qr_browser, live_server, user) as page:
        page.goto("/scan/check")
        assert page.text_content("[data-check=secure]") == "Yes"
        start_camera(page)
        decoded = wait_for(page, "document.querySelector('[data-camera-check]')?.dataset.decoded")
        assert decoded == "LOC-A1"
        assert "wasm" in page.text_content("[data-check=decoder]")
        assert "1" in page.text_content("[data-check=cameras]")
        # A test decode sends nothing to the server.
        assert not [u for u in page.requests if "/scan/resolve" in u]


NATIVE_DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() {
    return ["qr_code", "ean_13", "ean_8", "upc_a", "upc_e", "code_128", "code_39", "data_matrix"];
  }
  constructor(options) { window.nativeFormats = options.formats; }
  async detect(video) { return video.videoWidth ? [{rawValue: "LOC-N1", format: "qr_code"}] : []; }
};
"""


def test_where_the_browser_has_a_barcode_detector_it_is_used_and_the_wasm_decoder_never_loads(
    qr_browser, live_server, make_user
):
    create_location(code="LOC-N1", name="Native shelf", kind="site", uow=UnitOfWork())
    user = make_user("staff")
    with phone_page(qr_browser, live_server, user) as page:
        page.context.add_init_script(NATIVE_DETECTOR)  # as on Android, macOS and ChromeOS
        page.context.route("**/sw.js", lambda route: route.abort())  # the worker would precache the decoder
        page.goto("/scan/")
        start_camera(page)
        page.locator("#scan-result").filter(has_text="Native shelf").wait_for()
        assert page.get_attribute("[data-scanner]", "data-decoder") == "native"
        assert "data_matrix" in page.evaluate("window.nativeFormats")
        assert not [u for u in page.requests if "zxing" in u or "decoder-worker" in u or "ponyfill" in u]


def test_an_ean13_item_barcode_seen_by_the_camera_is_resolved_by_the_server(
    playwright_instance, tmp_path, live_server, make_user
):
    create_item(sku="PEN-BLUE", name="Blue pen", uow=UnitOfWork(), barcodes=[("4006381333931", "each", 1)])
    user = make_user("staff")
    with camera_browser(playwright_instance, ean13_video("4006381333931", tmp_path / "ean.y4m")) as b:
        with phone_page(b, live_server, user) as page:
            page.goto("/scan/")
            start_camera(page)
            result = page.locator("#scan-result")
            result.filter(has_text="Blue pen").wait_for()
            assert "PEN-BLUE" in result.inner_text()
            assert page.input_value("[data-scan-input]") == "4006381333931"
            assert any("format=ean_13" in u for u in page.requests)
    db.session.remove()


def test_a_gs1_128_code_seen_by_the_camera_shows_its_gtin_lot_and_expiry_with_the_separator_kept(
    playwright_instance, tmp_path, live_server, make_user
):
    # The lot is a variable-length field followed by another AI: only the FNC1 → GS separator tells where it ends.
    message = "0109501101530003" + "10LOT42" + FNC1 + "17261231"
    user = make_user("staff")
    with camera_browser(playwright_instance, gs1_128_video(message, tmp_path / "gs1.y4m")) as b:
        with phone_page(b, live_server, user) as page:
            page.goto("/scan/")
            start_camera(page)
            result = page.locator("#scan-result")
            result.filter(has_text="LOT42").wait_for()
            text = result.inner_text()
            assert "Unknown code 09501101530003" in text
            assert "2026-12-31" in text
            assert page.evaluate("document.querySelector('[data-scan-input]').value") == (
                "0109501101530003" + "10LOT42" + "\x1d" + "17261231"
            )


def test_in_continuous_mode_a_code_that_stays_in_view_counts_once_and_the_camera_keeps_running(
    qr_browser, live_server, make_user
):
    create_location(code="LOC-A1", name="Aisle one", kind="site", uow=UnitOfWork())
    user = make_user("staff")
    with phone_page(qr_browser, live_server, user) as page:
        page.goto("/scan/")
        page.check("[data-scanner-continuous]")
        start_camera(page)
        page.locator("#scan-result").filter(has_text="Aisle one").wait_for()
        time.sleep(3.5)  # longer than the duplicate window, with the code in view all the time
        assert len([u for u in page.requests if "/scan/resolve" in u]) == 1
        assert page.get_attribute("[data-scanner]", "data-scanner-state") == "scanning"
        assert page.evaluate("Storekeeper.lastFeedback") == "ok"
        # The choice is remembered for the next visit.
        page.reload()
        assert page.is_checked("[data-scanner-continuous]")


def test_the_camera_pauses_while_the_page_is_hidden_and_resumes_when_it_is_back(qr_browser, live_server, make_user):
    user = make_user("staff")
    with phone_page(qr_browser, live_server, user) as page:
        page.goto("/scan/check")
        page.check("[data-scanner-continuous]")
        start_camera(page)
        page.evaluate(
            "() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
            " document.dispatchEvent(new Event('visibilitychange')); }"
        )
        assert page.get_attribute("[data-scanner]", "data-scanner-state") == "paused"
        assert page.evaluate("document.querySelector('[data-scanner-video]').srcObject") is None
        page.evaluate(
            "() => { Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});"
            " document.dispatchEvent(new Event('visibilitychange')); }"
        )
        wait_for(page, "document.querySelector('[data-scanner]')?.dataset.scannerState === 'scanning'")


def test_a_gs1_datamatrix_seen_by_the_camera_keeps_its_fnc1_separators_as_gs(
    playwright_instance, tmp_path, live_server, make_user
):
    message = "0109501101530003" + "10LOT42" + "\x1d" + "17261231"
    user = make_user("technician")
    with camera_browser(playwright_instance, gs1_datamatrix_video(message, tmp_path / "dm.y4m")) as b:
        with phone_page(b, live_server, user) as page:
            page.goto("/scan/")
            start_camera(page)
            result = page.locator("#scan-result")
            result.filter(has_text="LOT42").wait_for()
            assert "2026-12-31" in result.inner_text()
            assert page.evaluate("document.querySelector('[data-scan-input]').value") == message
            assert any("format=data_matrix" in u for u in page.requests)


@pytest.fixture(scope="module")
def action_server(database_url):
    app = make_action_app(database_url)
    server = LiveServer(app).start()
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_scan_action_form_gets_the_camera_in_its_empty_slot_and_keeps_it_running_across_swaps(
    qr_browser, action_server, make_user
):
    scan_action.reset()
    user = make_user("staff")
    with phone_page(qr_browser, action_server, user) as page:
        page.goto("/test-scan/")
        first_id = page.input_value("[data-scan-id]")
        page.check("[data-scanner-continuous]")
        start_camera(page)
        page.locator("[data-result]").filter(has_text="Applied LOC-A1").wait_for()
        assert dict(scan_action.APPLIED) == {first_id: 1}
        assert scan_action.SOURCES[first_id] == "camera" and scan_action.FORMATS[first_id] == "qr_code"
        # The panel (and the slot inside it) was replaced by the server's answer; the same camera keeps running in
        # the new slot, and the new form has a new scan id for the next scan.
        wait_for(page, "document.querySelector('#test-panel [data-scanner]')?.dataset.scannerState === 'scanning'")
        # The re-rendered scan field does not pop up the on-screen keyboard over the running camera.
        assert page.get_attribute("[data-scan-input]", "inputmode") == "none"
        assert page.evaluate("document.querySelectorAll('[data-scanner]').length") == 1
        assert page.evaluate("!document.querySelector('[data-scanner-video]').paused")
        assert page.input_value("[data-scan-id]") != first_id
        time.sleep(1)
        assert sum(scan_action.APPLIED.values()) == 1  # still in view: the duplicate window holds


def test_a_remembered_camera_that_is_gone_falls_back_to_the_default_one(qr_browser, live_server, make_user):
    user = make_user("staff")
    with phone_page(qr_browser, live_server, user) as page:
        page.goto("/scan/check")
        page.evaluate("localStorage.setItem('sk.camera', 'a-camera-that-was-unplugged')")
        start_camera(page)
        assert page.evaluate("localStorage.getItem('sk.camera')") is None
        options = page.evaluate("[...document.querySelectorAll('[data-scanner-camera] option')].map(o => o.selected)")
        assert options == [True]
        # Choosing a camera is remembered (the picker shows when a phone has more than one).
        chosen = page.evaluate(
            "() => { const s = document.querySelector('[data-scanner-camera]');"
            " s.dispatchEvent(new Event('change')); return s.value; }"
        )
        assert chosen and page.evaluate("localStorage.getItem('sk.camera')") == chosen
        wait_for(page, "document.querySelector('[data-scanner]')?.dataset.scannerState === 'scanning'")
