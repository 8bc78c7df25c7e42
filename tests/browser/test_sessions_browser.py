"""Two browser sessions side by side: neither sees the other's uploaded data or saved scenarios.

Session A uploads the toy data set, runs a siting and saves a scenario; session B, open at the same
time on the same server, still sees the default data set, and after uploading the very same files
finds no scenario until it uploads A's downloaded scenario file itself.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._app_server import ARGS, CHROMIUM, ROOT, streamlit_server, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                       "(apt-get install -y chromium)"),
    pytest.mark.skipif(not (ROOT / "data" / "xian").is_dir(), reason="the bundled data set data/xian is missing"),
]
# The default scenario name, in words (app_support.scenarios_view.default_name), and its file.
SCENARIO_NAME = "社区客厅1处（最大覆盖）"
SCENARIO = "社区客厅1处_最大覆盖_"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sessions = tmp_path_factory.mktemp("sessions")
    with streamlit_server(tmp_path_factory.mktemp("streamlit") / "server.log",
                          env={"TMPDIR": str(sessions)}) as (url, _):
        yield url


@pytest.fixture(scope="module")
def toy_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.geo._toy import write_toy_dataset

    folder = write_toy_dataset(tmp_path_factory.mktemp("toy") / "toy")
    archive = folder.parent / "toy.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, path.name)
    return archive


def _upload_whole(page, archive: Path) -> None:
    page.get_by_text("上传自己的数据", exact=True).click()
    uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="整套数据")
    uploader.locator("input[type='file']").set_input_files(str(archive))
    page.get_by_text(archive.name).first.wait_for(timeout=30_000)
    page.get_by_role("button", name="载入上传的数据").click()
    page.get_by_text("已载入: 测试").first.wait_for(timeout=120_000)
    wait_idle(page, 120.0)


def test_two_sessions_do_not_see_each_others_data_or_scenarios(app_url: str, toy_zip: Path,
                                                               tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            a = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True).new_page()
            b = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True).new_page()
            for page in (a, b):
                page.goto(app_url)
                page.get_by_text("西安中心城区（二环内）").first.wait_for(timeout=120_000)
                wait_idle(page, 120.0)

            # A: its own data, a siting run, a saved scenario.
            _upload_whole(a, toy_zip)
            a.get_by_role("link", name="选址").click()
            a.get_by_role("button", name="开始选址").wait_for(timeout=90_000)
            a.get_by_label("新址数量").fill("1")
            a.get_by_role("button", name="开始选址").click()
            a.get_by_text("推荐新址 1 处").wait_for(timeout=120_000)
            wait_idle(a, 120.0)
            a.get_by_role("button", name="保存方案").click()
            a.get_by_text(f"方案已保存：{SCENARIO_NAME}").wait_for(timeout=60_000)
            download = a.get_by_role("button", name=f"下载 {SCENARIO}.gpkg")
            download.wait_for(timeout=60_000)
            with a.expect_download(timeout=60_000) as info:
                download.click()
            scenario_file = tmp_path / f"{SCENARIO}.gpkg"
            info.value.save_as(str(scenario_file))
            assert scenario_file.read_bytes()[:16] == b"SQLite format 3\x00"

            # B: still the default data set, after A's upload.
            b.reload()
            b.get_by_text("西安中心城区（二环内）").first.wait_for(timeout=120_000)
            wait_idle(b, 120.0)
            assert b.get_by_text("已载入: 测试").count() == 0
            # The same files uploaded in B: B's own copy, and none of A's scenarios.
            _upload_whole(b, toy_zip)
            b.get_by_role("link", name="选址").click()
            b.get_by_text("尚无已保存的方案。").wait_for(timeout=90_000)
            wait_idle(b, 120.0)
            assert b.get_by_role("button", name=f"下载 {SCENARIO}.gpkg").count() == 0
            b.screenshot(path=str(tmp_path / "b_siting.png"), full_page=True)

            # A's scenario reaches B only as a file B uploads itself.
            uploader = b.locator("[data-testid='stFileUploader']").filter(has_text="上传方案文件")
            uploader.locator("input[type='file']").set_input_files(str(scenario_file))
            b.get_by_text(f"已载入方案：{SCENARIO_NAME}").wait_for(timeout=60_000)
            b.get_by_role("button", name=f"下载 {SCENARIO}.gpkg").wait_for(timeout=60_000)

            # A kept its data set and its scenario throughout (a reload would start a new session:
            # that is what the download is for).
            a.get_by_role("link", name="数据与设置").click()
            a.get_by_text("已载入: 测试").first.wait_for(timeout=120_000)
            wait_idle(a, 120.0)
            a.get_by_role("link", name="选址").click()
            a.get_by_role("button", name=f"下载 {SCENARIO}.gpkg").wait_for(timeout=120_000)
        finally:
            browser.close()
