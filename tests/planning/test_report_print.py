"""The report prints on A4 and A3: a wide scenario comparison is summarised, headers are words,
every table fits across its page, the map legend shows each category's colour; checked in the
HTML here and, with Chromium, in the printed PDF."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.taxonomy import CATEGORIES
from planning.output import figures, report
from planning.output._report_tables import PAPERS, max_columns, scenario_tables
from planning.output.report import ReportContent, render_report
from tests.planning import _export_layers as fx

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="/usr/bin/chromium is not installed (apt-get install "
                                    "chromium)")
CATS = ["community_living_room", "elderly_care"]
SCENARIOS = ("MCLP-5处", "闲置3处")
#: Points per millimetre in a PDF.
PT_PER_MM = 72 / 25.4


def _wide_comparison(n: int = 159) -> pd.DataFrame:
    """A per-community scenario comparison as the app keeps it: 2 + 13 × 3 columns."""
    rng = np.random.default_rng(7)
    ids = [f"XA-{i:03d}" for i in range(1, n + 1)]
    frame = pd.DataFrame({"name": [f"片区{i}" for i in range(n)],
                          "population": rng.integers(2000, 9000, n).astype(float)},
                         index=pd.Index(ids, name="community_id"))
    for cat in list(CATEGORIES)[:13]:
        base = rng.choice([0.0, 100.0, 37.5], n)
        frame[f"{cat}_baseline_pct"] = base
        for name in SCENARIOS:
            frame[f"{cat}_{name}_pct"] = base
    # The two scenarios change community living rooms only: XA-002 gains most in the first.
    frame["community_living_room_baseline_pct"] = 0.0
    frame[f"community_living_room_{SCENARIOS[0]}_pct"] = 0.0
    frame[f"community_living_room_{SCENARIOS[1]}_pct"] = 0.0
    frame.loc["XA-002", ["population", f"community_living_room_{SCENARIOS[0]}_pct"]] = [8000.0,
                                                                                       100.0]
    frame.loc["XA-003", ["population", f"community_living_room_{SCENARIOS[1]}_pct"]] = [4000.0,
                                                                                       50.0]
    return frame


def _content(**kw: object) -> ReportContent:
    tables = fx.tables()
    tables["scenario_comparison"] = _wide_comparison()
    base = dict(title="西安示例", layers=fx.layers(), tables=tables, categories=CATS,
                siting_category="community_living_room")
    base.update(kw)
    return ReportContent(**base)  # type: ignore[arg-type]


def _tables(document: str) -> list[tuple[bool, int, str]]:
    """(inside a landscape section, number of header cells, header text) of every table."""
    out = []
    wide = [(m.start(), document.index("</section>", m.start()))
            for m in re.finditer(r'<section class="wide">', document)]
    for m in re.finditer(r"<table[^>]*>(.*?)</table>", document, flags=re.S):
        head = re.search(r"<thead>(.*?)</thead>", m.group(1), flags=re.S)
        cells = re.findall(r"<th>(.*?)</th>", head.group(1)) if head else []
        inside = any(a < m.start() < b for a, b in wide)
        out.append((inside, len(cells), " | ".join(cells)))
    return out


def test_scenario_comparison_is_summarised_by_category_and_biggest_change() -> None:
    by_category, changed = scenario_tables(_wide_comparison())
    assert len(by_category) == 13 and changed is not None
    row = by_category.set_index("category").loc["community_living_room"]
    total = _wide_comparison()["population"].sum()
    # XA-002's 8,000 residents all come inside with the first scenario.
    assert row[f"{SCENARIOS[0]}_pct"] == pytest.approx(100 * 8000 / total)
    assert row[f"{SCENARIOS[1]}_pct"] == pytest.approx(100 * 2000 / total)
    assert changed["community_id"].tolist() == ["XA-002", "XA-003"]  # 8,000 then 2,000 residents


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_every_table_fits_across_its_page(paper: str) -> None:
    document = render_report(_content(), paper=paper)
    assert f"@page {{ size: {paper} portrait;" in document
    assert f"@page wide {{ size: {paper} landscape;" in document
    tables = _tables(document)
    assert tables
    for landscape, n_columns, header in tables:
        assert n_columns <= max_columns(paper, landscape=landscape), header
    # Headers are words: no column codes of the comparison, the scenario names in them.
    assert "baseline_pct" not in document and "_new_sites" not in document
    assert "方案“MCLP-5处”覆盖率(%)" in document and "规划前覆盖率(%)" in document
    # The wide table itself is not printed: 159 communities × 41 columns are in the XLSX.
    assert document.count("片区") <= 15 + 1


def test_map_legend_shows_every_category_colour() -> None:
    from matplotlib.figure import Figure

    facilities = fx.layers()["facilities"]
    drawn = figures._drawn_categories(facilities)
    assert drawn == ["community_living_room", "elderly_care", "health"]
    fig = Figure()
    figures._legend(fig, "zh", facilities=drawn, sites=False)
    handles = fig.legends[0].legend_handles
    markers = {h.get_label(): h.get_markerfacecolor() for h in handles
               if hasattr(h, "get_marker") and h.get_marker() == "o"}
    assert markers["社区客厅"] == CATEGORIES["community_living_room"].color
    assert markers["养老服务站"] == CATEGORIES["elderly_care"].color
    assert markers["社区卫生服务站"] == CATEGORIES["health"].color
    assert len({markers[_l] for _l in ("社区客厅", "养老服务站", "社区卫生服务站")}) == 3


def _page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(round((float(x1) - float(x0)) / PT_PER_MM), round((float(y1) - float(y0)) / PT_PER_MM))
            for x0, y0, x1, y1 in boxes]


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_printed_pdf_pages_are_the_paper_and_no_table_is_wider(tmp_path: Path,
                                                                paper: str) -> None:
    html_path = tmp_path / "report.html"
    html_path.write_text(render_report(_content(), paper=paper), encoding="utf-8")
    pdf = report.html_to_pdf(html_path, tmp_path / "report.pdf").read_bytes()
    size = PAPERS[paper]
    portrait = (round(size.width_mm), round(size.height_mm))
    sizes = _page_sizes_mm(pdf)
    assert len(sizes) >= 3 and set(sizes) <= {portrait, portrait[::-1]}, sizes
    assert portrait[::-1] in sizes  # the community table on a landscape page
    # Laid out at the printable width of each page (as Chromium prints it), every table fits.
    playwright = pytest.importorskip("playwright.sync_api")
    px_per_mm = 96 / 25.4
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            for landscape in (False, True):
                width = round(size.content_width_mm(landscape=landscape) * px_per_mm)
                page = browser.new_page(viewport={"width": width, "height": 1200})
                page.emulate_media(media="print")
                page.goto(html_path.as_uri())
                selector = "section.wide table" if landscape else "body > table"
                widths = page.eval_on_selector_all(
                    selector, "els => els.map(e => [e.scrollWidth, e.parentElement.clientWidth])")
                assert widths
                assert all(w <= room + 1 for w, room in widths), (landscape, widths)
                page.close()
        finally:
            browser.close()
