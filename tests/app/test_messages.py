"""Messages as the app shows them: the user's language, their file names, the app's own controls."""

from __future__ import annotations

from app_support import messages, state
from geo._errors import DataError
from geo.dataset import Problem

DATUM = ("the points lie a median 460 m from the nearest road (more than 250 m): the layer and the roads may use "
         "different coordinate systems. Read as GCJ-02 (Amap/高德, Tencent) they would lie 12 m from the roads. "
         'Fix: if the file comes from GCJ-02 (Amap/高德, Tencent), say so: coords = "gcj02" in dataset.toml, or the '
         "--coords gcj02 option")


def test_advice_names_the_apps_control_and_files_are_the_users() -> None:
    upload = state.SESSION_ROOT / "tok" / "uploads" / "0123456789abcdef"
    problem = Problem("warning", "facilities", DATUM, file=str(upload / "设施.csv"), count=40)
    en = messages.problems_frame([problem], "en").iloc[0]
    assert en["File"] == "设施.csv" and en["Severity"] == "warning" and en["Layer"] == "facilities"
    assert en["Message"].endswith('Fix: if the file comes from GCJ-02 (Amap/高德, Tencent), choose gcj02 under '
                                  '"Coordinate system of lon/lat layers" on the Data and settings page')
    assert "dataset.toml" not in en["Message"]
    zh = messages.problems_frame([problem], "zh").iloc[0]
    assert (zh["级别"], zh["图层"], zh["文件"], zh["条数"]) == ("警告", "设施", "设施.csv", 40)
    assert zh["说明"].startswith("这些点到最近道路的距离中位数为 460 米")
    # A folder named by its hash is "the uploaded files"; paths quoted by libraries lose the server part.
    exc = DataError(f"cannot be read as a GIS layer ('{upload}/c.geojson' not recognized)", file=upload.name,
                    fix="Check the path")
    assert messages.error_message(exc, "zh") == "出错了：上传的文件：无法作为 GIS 图层读取（'c.geojson' not recognized）。请检查路径。"
    assert messages.error_message(exc, "en") == ("Error: the uploaded files: cannot be read as a GIS layer "
                                                 "('c.geojson' not recognized). Check the path.")
