"""The planning report: content worked out by hand, self-contained HTML, PDF and a browser check;
plus the export command on a real (toy) data set."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import CRS

from geo._errors import DataError
from planning.__main__ import main
from planning.output import figures, report
from planning.output.report import ReportContent, render_report, weighted_percentile, write_report
from tests.planning import _export_layers as fx

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="/usr/bin/chromium is not installed (apt-get install "
                                    "chromium)")
CATS = ["community_living_room", "elderly_care"]


def _tables() -> dict[str, pd.DataFrame]:
    tables = fx.tables()
    tables["community_table"]["missed_targets"] = [
        "", "coverage_community_living_room",
        "coverage_community_living_room; floor_area_per_100_households"]
    tables["siting_before_after"] = pd.DataFrame({
        "name": ["和平社区", "前进村", "雨山社区"], "population": [5200.0, 830.0, 900.0],
        "covered_before": [5200.0, 500.0, 0.0], "covered_after": [5200.0, 830.0, 900.0],
        "pct_before": [100.0, 60.2, 0.0], "pct_after": [100.0, 100.0, 100.0],
    }, index=pd.Index(["C1", "C2", "C3"], name="community_id"))
    return tables


def _content(**kw: object) -> ReportContent:
    base = dict(title="雨山区示例", layers=fx.layers(), tables=_tables(), categories=CATS,
                settings={"walk_speed_m_per_min": "75"},
                attribution=["Roads © OpenStreetMap contributors (ODbL)"],
                notes=["人口为按建筑面积估算的值"], crs_note="坐标系：CGCS2000 经纬度（EPSG:4490）",
                siting_category="community_living_room")
    base.update(kw)
    return ReportContent(**base)  # type: ignore[arg-type]


def _pngs(document: str) -> list[bytes]:
    return [base64.b64decode(m) for m in
            re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', document)]


# --- numbers ----------------------------------------------------------------------------------


def test_weighted_percentile_by_hand() -> None:
    minutes = np.array([4.0, 9.5, 27.0, np.inf, 12.0, 16.5])
    weights = np.array([1200.0, 4000.0, 500.0, 330.0, 0.0, 900.0])
    # Sorted: 4 (1200), 9.5 (5200 cum), 16.5 (6100), 27 (6600), inf (6930).
    assert weighted_percentile(minutes, weights, 50) == 9.5  # 3465 ≤ 5200
    assert weighted_percentile(minutes, weights, 90) == 27.0  # 6237 ≤ 6600
    assert weighted_percentile(minutes, weights, 99) == np.inf  # 6860.7 > 6600
    assert weighted_percentile(minutes, weights, 100 * 1200 / 6930) == 4.0


def test_travel_time_table_by_hand() -> None:
    table = report.travel_time_table(_content()).set_index("category")
    assert table.loc["community_living_room"].tolist() == [9.5, 27.0, 330.0]
    # Elderly care: 6 (1200), 14 (4000 → 5200), 20 (900 → 6100), two villages unreachable (830).
    assert table.loc["elderly_care"].tolist() == [14.0, np.inf, 830.0]


def test_share_within_by_hand() -> None:
    share = figures.weighted_share_within(np.array([4.0, 9.5, np.inf]),
                                          np.array([1.0, 2.0, 1.0]), np.array([0, 4, 9, 10, 99]))
    np.testing.assert_allclose(share, [0, 25, 25, 75, 75])


# --- HTML -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def document() -> str:
    return render_report(_content())


def test_report_html_content(document: str) -> None:
    assert document.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in document
    assert "雨山区示例 · 服务圈规划评估报告" in document
    # Indicator table against targets: one target missed, one met.
    assert len(re.findall(r'<tr class="fail">', document)) == 1
    assert len(re.findall(r'<tr class="pass">', document)) == 1
    assert "社区客厅服务圈人口覆盖率" in document and "前进村、雨山社区" in document
    # Summary cards: 6,930 residents; 5,200 of them reach every category = 75.0 %.
    assert "<b>6,930</b>" in document and "<b>75.0 %</b>" in document and "<b>1 / 2</b>" in document
    # Travel-time percentiles and unreachable residents, worked out above.
    assert "<td class=\"num\">27.0</td>" in document and "<td class=\"num\">∞</td>" in document
    # Sites, and only the communities they improve, the biggest gain (雨山社区, +900) first.
    assert "原前进村委会闲置用房" in document
    section = document[document.index("新增设施后覆盖率提高的社区"):]
    section = section[:section.index("</table>")]
    assert "和平社区" not in section
    assert section.index("雨山社区") < section.index("前进村")
    # Targets each community misses, by their Chinese names.
    assert "2 个：社区客厅服务圈人口覆盖率、每百户居民拥有社区综合服务设施面积" in document
    # Sources, settings, coordinate system.
    assert "OpenStreetMap contributors" in document and "人口为按建筑面积估算的值" in document
    assert "walk_speed_m_per_min" in document and "步行速度（米/分钟）" in document
    assert "EPSG:4490" in document
    # Self-contained: no external resources, maps and charts embedded as PNG.
    assert not re.search(r'(src|href)="(https?:)?//', document)
    assert "<link" not in document and "<script" not in document
    images = _pngs(document)
    assert len(images) == 5  # overview, per-category maps, coverage bars, times, sites map
    assert all(img.startswith(b"\x89PNG\r\n\x1a\n") and len(img) > 5_000 for img in images)


def test_report_in_english_and_without_sites() -> None:
    layers = fx.layers()
    del layers["recommended_sites"]
    document = render_report(_content(layers=layers, siting_category=""), lang="en")
    assert "Service circle planning report" in document and "6. Recommended sites" not in document
    assert len(_pngs(document)) == 4
    with pytest.raises(DataError, match="needs the 'demand' layer"):
        render_report(_content(layers={"communities": layers["communities"]}))


def test_cjk_font_found_when_installed() -> None:
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                            text=True).stdout if Path("/usr/bin/fc-list").exists() else ""
    if not listed.strip():
        pytest.skip("no Chinese font installed (apt-get install fonts-noto-cjk)")
    assert report.cjk_fonts(), "a Chinese font is installed but matplotlib does not use it"


def test_write_report_replaces_and_says_when_no_pdf(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "report.html"
    out.write_text("old report", encoding="utf-8")
    monkeypatch.setattr(report, "find_chromium", lambda: None)
    # The drawing is tested above; here only the saving.
    monkeypatch.setattr(report, "render_report",
                        lambda content, lang: f"<html>{content.title} 服务圈规划评估报告</html>")
    html_path, pdf_path, message = write_report(_content(), out)
    assert html_path == out and pdf_path is None
    assert "no PDF converter was found" in message
    assert "服务圈规划评估报告" in out.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert out.stat().st_mode & 0o044 == 0o044  # readable by others, like any saved file
    with pytest.raises(DataError, match="no PDF converter was found"):
        report.html_to_pdf(out, tmp_path / "report.pdf")
    with pytest.raises(DataError, match="must be an .html file"):
        write_report(_content(), tmp_path / "report.pdf")


def test_failed_pdf_printing_keeps_the_html(tmp_path: Path, monkeypatch) -> None:
    # A "browser" that exits without printing anything.
    monkeypatch.setattr(report, "find_chromium", lambda: shutil.which("false"))
    monkeypatch.setattr(report, "render_report", lambda content, lang: "<html>报告</html>")
    html_path, pdf_path, message = write_report(_content(), tmp_path / "r.html")
    assert pdf_path is None and "Chromium could not print the PDF" in message
    assert html_path.read_text(encoding="utf-8") == "<html>报告</html>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]  # no temporary PDF left


@pytest.mark.browser
@needs_chromium
def test_report_pdf_printed_by_chromium(tmp_path: Path) -> None:
    html_path, pdf_path, message = write_report(_content(), tmp_path / "report.html")
    assert pdf_path == tmp_path / "report.pdf" and "report.pdf" in message
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 50_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2  # several A4 pages


@pytest.mark.browser
@needs_chromium
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    html_path, _, _ = write_report(_content(), tmp_path / "report.html", pdf=False)
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html_path.as_uri())
            page.wait_for_load_state("load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])")
            headings = page.eval_on_selector_all("h2", "els => els.map(e => e.innerText)")
            fail_rows = page.locator("tr.fail").count()
            cjk = page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert [r for r in requests if not r.startswith(("file:", "data:"))] == []
    assert len(images) == 5 and all(done and w > 300 and h > 200 for done, w, h in images)
    assert headings[:3] == ["一、概况", "二、指标与目标", "三、服务圈覆盖缺口"]
    assert fail_rows == 1
    assert cjk is True
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 50_000


# --- the export command on a real data set ----------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``python -m planning export ARGS`` in this process (the same code path, no start-up)."""
    code = main(["export", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_export_command_gpkg_and_shapefile(tmp_path: Path, toy_dataset_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    gpkg = tmp_path / "toy.gpkg"
    code, stdout, stderr = _run(capsys, "--data", str(toy_dataset_dir), "--format", "gpkg",
                                "--crs", "cgcs2000-gk", "--out", str(gpkg))
    assert code == 0, stderr
    assert stdout.strip() == f"wrote {gpkg}"
    names = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    assert {"communities", "facilities", "demand", "circles", "uncovered", "indicators",
            "community_table", "category_summary", "layer_styles"} <= names
    info = pyogrio.read_info(gpkg, layer="communities")
    # The toy data lie at 118.70°E, east of 118.5°E where the zones of CM 117°E and 120°E
    # meet: CM 120°E, EPSG 4534 + (120 − 75) / 3 = 4549.
    assert CRS.from_user_input(info["crs"]).to_epsg() == 4549
    assert info["features"] == 4
    communities = pyogrio.read_dataframe(gpkg, layer="communities")
    assert sorted(communities["name"]) == sorted(["花山社区", "采石村", "金家庄社区", "新桥村"])
    demand = pyogrio.read_info(gpkg, layer="demand")
    assert demand["features"] == 9

    shp = tmp_path / "toy.zip"
    code, _, stderr = _run(capsys, "--data", str(toy_dataset_dir), "--format", "shp",
                           "--encoding", "gbk", "--category", "health", "elderly_care",
                           "--out", str(shp))
    assert code == 0, stderr
    with zipfile.ZipFile(shp) as zf:
        names = set(zf.namelist())
        assert zf.read("communities.cpg").strip() == b"GBK"
        assert "花山社区".encode("gbk") in zf.read("communities.dbf")
    assert {"demand.shp", "demand_fields.csv", "indicators.csv"} <= names
    fields = pyogrio.read_info(f"/vsizip/{shp}/demand.shp")["fields"].tolist()
    assert "min_hlth" in fields and "min_eld" in fields and "min_csc" not in fields


def test_export_command_report(tmp_path: Path, toy_dataset_dir: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new" / "folder" / "report.html"  # folders that do not exist yet are made
    code, _, stderr = _run(capsys, "--data", str(toy_dataset_dir), "--format", "html",
                           "--no-pdf", "--out", str(out))
    assert code == 0, stderr
    document = out.read_text(encoding="utf-8")
    assert "测试 · 服务圈规划评估报告" in document  # title_zh of the toy dataset.toml
    assert "Roads: test grid" in document
    assert len(_pngs(document)) == 4


@pytest.mark.parametrize("args,words", [
    (["--format", "dwg", "--out", "x.dwg"], "--format 'dwg' is not known"),
    (["--format", "gpkg", "--crs", "bd09", "--out", "x.gpkg"], "--crs 'bd09' is not known"),
    (["--format", "gpkg", "--category", "karaoke", "--out", "x.gpkg"], "not a facility category"),
    (["--format", "gpkg", "--data", "/nonexistent/data", "--out", "x.gpkg"], "does not exist"),
    # x.blocker is a file, so no folder can be made below it.
    (["--format", "gpkg", "--out", "x.blocker/x.gpkg"], "cannot create the output folder"),
    # --new-sites alone used to be ignored without a word: the export held no sites.
    (["--format", "gpkg", "--new-sites", "3", "--out", "x.gpkg"],
     "error: --new-sites needs --site-category. give --site-category KEY"),
    (["--format", "gpkg", "--out", "x.shp"], "a GeoPackage export must end in .gpkg"),
])
def test_export_command_bad_input(tmp_path: Path, toy_dataset_dir: Path,
                                  capsys: pytest.CaptureFixture[str], args: list[str],
                                  words: str) -> None:
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    (tmp_path / "x.blocker").write_text("a file, not a folder")
    if "--data" not in args:
        args += ["--data", str(toy_dataset_dir)]
    code, _, stderr = _run(capsys, *args)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
