"""The app in headless Chromium: map layers, no failed script/style requests, language switch,
a siting run on the default data set, a file download. Screenshots go to test-output/browser/.

Needs the Debian ``chromium`` package (``/usr/bin/chromium``); never a browser downloaded by a
test tool.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._app_server import streamlit_server, wait_settled

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "browser"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                       "(apt-get install -y chromium)"),
    pytest.mark.skipif(not (ROOT / "data" / "xian").is_dir(), reason="the bundled data set data/xian is missing"),
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run streamlit_app.py`` on a free port, headless; stopped after the module."""
    with streamlit_server(tmp_path_factory.mktemp("streamlit") / "server.log") as (url, _server):
        yield url


def _wait_idle(page, timeout_s: float = 120.0) -> None:
    """Wait until Streamlit has finished running the script and no map layer is still coming."""
    wait_settled(page, timeout_s)


def _overlay_names(frame) -> list[str]:
    labels = frame.locator(".leaflet-control-layers-overlays label")
    labels.first.wait_for(state="attached", timeout=90_000)
    return [text.strip() for text in labels.all_text_contents()]


def test_app_in_chromium(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    outside: list[str] = []  # an intranet reaches nothing but the app itself
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100}, accept_downloads=True)

            def on_failed(request) -> None:
                if request.resource_type in ("script", "stylesheet"):
                    failed.append(f"{request.url} ({request.failure})")

            def on_response(response) -> None:
                if response.status >= 400 and response.request.resource_type in ("script", "stylesheet"):
                    failed.append(f"{response.url} (HTTP {response.status})")

            def on_request(request) -> None:
                if not request.url.startswith((app_url.rstrip("/"), "data:", "blob:", "about:")):
                    outside.append(request.url)

            page.on("requestfailed", on_failed)
            page.on("response", on_response)
            page.on("request", on_request)

            # Home: the default data set is loaded and described.
            page.goto(app_url)
            page.get_by_text("社区便民服务圈规划").first.wait_for(timeout=90_000)
            page.get_by_text("西安中心城区（二环内）").first.wait_for(timeout=120_000)
            _wait_idle(page)
            page.screenshot(path=str(SHOTS / "home.png"), full_page=True)

            # Map: layers in the layer control, drawn on canvas, with local Leaflet.
            page.get_by_role("link", name="地图").click()
            frame = page.frame_locator(MAP_FRAME)
            names = _overlay_names(frame)
            assert "社区/村" in names and "圈外居民" in names, names
            assert any(n.startswith("设施 · ") for n in names), names
            assert frame.locator(".leaflet-container canvas").count() >= 1
            assert frame.locator(".map-legend").count() == 1
            _wait_idle(page)
            page.screenshot(path=str(SHOTS / "map.png"), full_page=True)

            # Clicking a community (the map is fitted to them, so its centre is one) shows its row;
            # on 社区客厅, which has no facility in Xi'an, no marker lies under the click.
            page.locator("[data-testid='stSelectbox']").filter(has_text="服务类别").first.click()
            page.get_by_role("option", name="社区客厅", exact=True).click()
            _wait_idle(page)
            frame.locator(".leaflet-container").wait_for(timeout=90_000)
            box = page.locator(MAP_FRAME).bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.55)
            page.get_by_text("所选社区").first.wait_for(state="attached", timeout=60_000)
            assert frame.locator(".leaflet-popup .popup-table").count() == 1
            _wait_idle(page)
            page.screenshot(path=str(SHOTS / "map_clicked.png"), full_page=True)

            # Changing the category redraws the map (time printed for the record).
            started = time.perf_counter()
            page.locator("[data-testid='stSelectbox']").filter(has_text="服务类别").click()
            page.get_by_role("option", name="社区卫生服务站").click()
            _wait_idle(page)
            frame.locator(".leaflet-control-layers-overlays label", has_text="服务圈").first.wait_for(
                state="attached", timeout=90_000)
            print(f"\ncategory change → map redrawn in {time.perf_counter() - started:.2f} s (browser)")
            caption = page.get_by_text("地图生成用时").first.text_content()
            print(f"server side: {caption}")
            page.screenshot(path=str(SHOTS / "map_health.png"), full_page=True)
            # Back to a category drawn before: everything it needs is cached.
            started = time.perf_counter()
            page.locator("[data-testid='stSelectbox']").filter(has_text="服务类别").click()
            page.get_by_role("option", name="社区客厅", exact=True).click()
            _wait_idle(page)
            print(f"category change (cached) → map redrawn in {time.perf_counter() - started:.2f} s (browser), "
                  f"{page.get_by_text('地图生成用时').first.text_content()}")

            # Language switch: labels and map layers in English.
            page.get_by_text("English", exact=True).click()
            page.get_by_role("heading", name="Map").wait_for(timeout=60_000)
            _wait_idle(page)
            names_en = _overlay_names(page.frame_locator(MAP_FRAME))
            assert "Communities and villages" in names_en, names_en
            assert "Residents outside the circle" in names_en, names_en
            page.screenshot(path=str(SHOTS / "map_en.png"), full_page=True)
            page.get_by_text("简体中文", exact=True).click()
            page.get_by_role("heading", name="地图").wait_for(timeout=60_000)
            _wait_idle(page)

            # Indicators.
            page.get_by_role("link", name="指标").click()
            page.get_by_text("指标与目标").first.wait_for(timeout=90_000)
            _wait_idle(page)
            page.screenshot(path=str(SHOTS / "indicators.png"), full_page=True)

            # Siting on the default data: ranked sites shown.
            page.get_by_role("link", name="选址").click()
            page.get_by_role("button", name="开始选址").wait_for(timeout=90_000)
            number = page.get_by_label("新址数量")
            number.fill("3")
            page.get_by_role("button", name="开始选址").click()
            page.get_by_text("推荐新址 3 处").wait_for(timeout=240_000)
            _wait_idle(page, 240)
            sites_frame = page.frame_locator(MAP_FRAME)
            sites_frame.locator(".site-icon").first.wait_for(state="attached", timeout=60_000)
            assert sites_frame.locator(".site-icon").count() == 3
            page.screenshot(path=str(SHOTS / "siting.png"), full_page=True)

            # Export: a table download returns a non-empty file.
            page.get_by_role("link", name="导出").click()
            button = page.get_by_role("button", name="下载 指标.csv")
            button.wait_for(timeout=90_000)
            _wait_idle(page)
            with page.expect_download(timeout=60_000) as info:
                button.click()
            path = info.value.path()
            data = Path(path).read_bytes()
            assert data.startswith(b"\xef\xbb\xbf") and "指标".encode() in data
            page.get_by_role("button", name="生成文件").click()
            gpkg = page.get_by_role("button", name="下载 xian_service_circles.gpkg")
            gpkg.wait_for(timeout=120_000)
            with page.expect_download(timeout=60_000) as info:
                gpkg.click()
            assert Path(info.value.path()).read_bytes()[:16] == b"SQLite format 3\x00"
            page.screenshot(path=str(SHOTS / "export.png"), full_page=True)
        finally:
            browser.close()
    assert not failed, "scripts or styles failed to load:\n" + "\n".join(failed)
    assert not outside, "requests left this machine:\n" + "\n".join(outside)
