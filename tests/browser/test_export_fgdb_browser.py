"""The export page in headless Chromium: a File Geodatabase of the bundled data set, downloaded,
reopened with GDAL with its Chinese field aliases, named after the data set and coordinates.
Needs the Debian ``chromium`` package (``/usr/bin/chromium``)."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from planning.output._gdal import field_aliases, gdal_library
from tests._app_server import ARGS, CHROMIUM, streamlit_server, wait_idle

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                       "(apt-get install -y chromium)"),
    pytest.mark.skipif(not (ROOT / "data" / "xian").is_dir(), reason="the bundled data set data/xian is missing"),
]


def test_file_geodatabase_downloaded_from_the_export_page(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with streamlit_server(tmp_path / "server.log") as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1200}, accept_downloads=True)
            page.goto(url)
            page.get_by_text("西安中心城区（二环内）").first.wait_for(timeout=180_000)
            wait_idle(page, 180.0)
            page.get_by_role("link", name="导出").click()
            page.get_by_role("button", name="生成文件").wait_for(timeout=120_000)
            wait_idle(page, 180.0)
            page.locator("[data-testid='stSelectbox']").filter(has_text="格式").click()
            page.get_by_role("option", name="File Geodatabase (.gdb.zip, ArcGIS)").click()
            wait_idle(page, 180.0)
            page.locator("[data-testid='stSelectbox']").filter(has_text="坐标系").click()
            page.get_by_role("option", name="CGCS2000 经纬度（EPSG:4490）").click()
            wait_idle(page, 180.0)
            page.get_by_role("button", name="生成文件").click()
            button = page.get_by_role("button", name="下载 xian_cgcs2000.gdb.zip")
            button.wait_for(timeout=300_000)
            with page.expect_download(timeout=120_000) as info:
                button.click()
            saved = tmp_path / info.value.suggested_filename
            info.value.save_as(saved)
        finally:
            browser.close()
    assert saved.name == "xian_cgcs2000.gdb.zip"
    communities = pyogrio.read_dataframe(saved, layer="communities", read_geometry=False)
    assert len(communities) == 159 and set(communities["kind"]) <= {"城市社区", "农村社区（村）"}
    info = pyogrio.read_info(saved, layer="communities")
    assert "4490" in str(info["crs"])
    if gdal_library() is not None:
        aliases = field_aliases(saved)["communities"]
        assert aliases["coverage_pct_health"] == "社区卫生服务站覆盖率(%)"
        assert aliases["households"] == "户数"
