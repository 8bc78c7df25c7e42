"""The importer's and the engine's messages in Chinese: every message a hostile input brings out."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo._errors import DataError
from geo.dataset_loader import load_dataset
from planning.problem_texts import error_text, has_chinese, is_translated, message_text, problem_row, where_text
from tests.geo._toy import toy_layers, write_toy_dataset


def test_hand_written_messages() -> None:
    assert message_text("3 row(s) have no facility_id (lines 2, 5, 9)") == "3 行没有 facility_id（第 2、5、9 行）"
    assert (message_text("7 negative value(s) (features 1, 2, 3, 4, 5 and 2 more)")
            == "7 个负值（第 1、2、3、4、5 个要素（另有 2 个））")
    assert message_text("the layer has no communities.") == "该图层没有社区"
    assert message_text("3 row(s) have no facility_id (lines 2, 5, 9)", "en") == "3 row(s) have no facility_id (lines 2, 5, 9)"
    datum = ("the points lie a median 460 m from the nearest road (more than 250 m): the layer and the roads may use "
             "different coordinate systems. Read as GCJ-02 (Amap/高德, Tencent) they would lie 12 m from the roads. "
             'Fix: if the file comes from GCJ-02 (Amap/高德, Tencent), say so: coords = "gcj02" in dataset.toml, or '
             "the --coords gcj02 option")
    assert is_translated(datum)
    assert message_text(datum) == (
        "这些点到最近道路的距离中位数为 460 米（超过 250 米）：该图层与道路可能使用了不同的坐标系。"
        "如按 GCJ-02 (Amap/高德, Tencent) 读取，它们到道路的距离为 12 米。处理办法："
        "如果文件来自 GCJ-02 (Amap/高德, Tencent)，请在“经纬度坐标系”中选择它（命令行：--coords gcj02）")
    # Unknown wording keeps its words (nothing is lost) and says so to the tests.
    assert message_text("something new happened") == "something new happened"
    assert not is_translated("something new happened")


def test_data_errors_part_by_part() -> None:
    exc = DataError("2 facility_id value(s) are used more than once (e.g. 'F1', 'F2')", file="设施.csv",
                    layer="facilities", column="facility_id", fix="Make every facility_id unique")
    assert error_text(exc, "zh") == ("设施.csv，图层“设施”，列“facility_id”：2 个 facility_id 值重复出现（例如 'F1', 'F2'）。"
                                     "请让每个 facility_id 都不重复。")
    assert error_text(exc, "en") == str(exc)
    assert where_text(file="a.csv", layer="roads", lang="en") == "a.csv, layer 'roads'"
    assert error_text(ValueError("Setting walk_speed_m_per_min must be a positive number, got -1."), "zh") == (
        "设置项 walk_speed_m_per_min 必须是正数，现为 -1")


def _folder(tmp_path: Path, name: str, **changes: gpd.GeoDataFrame | None) -> Path:
    layers = toy_layers()
    for layer, frame in changes.items():
        if frame is None:
            layers.pop(layer)
        else:
            layers[layer] = frame
    return write_toy_dataset(tmp_path / name, layers=layers)


def _csv(folder: Path, layer: str, text: str, encoding: str = "utf-8") -> Path:
    (folder / f"{layer}.geojson").unlink(missing_ok=True)
    (folder / f"{layer}.csv").write_text(text, encoding=encoding)
    return folder


def _hostile_inputs(tmp_path: Path) -> dict[str, Callable[[], Path]]:
    toy = toy_layers()
    fac, pop, com = toy["facilities"], toy["population"], toy["communities"]
    lonlat = fac.to_crs(4326)
    xs, ys = lonlat.geometry.x, lonlat.geometry.y

    def facilities_csv(header: str, rows: list[str]) -> Callable[[], Path]:
        def make() -> Path:
            folder = _folder(tmp_path, f"csv{abs(hash(header + ''.join(rows)))}")
            lines = [header] + [r.format(x=xs.iloc[i], y=ys.iloc[i]) for i, r in enumerate(rows)]
            return _csv(folder, "facilities", "\n".join(lines) + "\n")
        return make

    return {
        "chinese headers without id": facilities_csv("名称,类别,经度,纬度", ["站,health,{x},{y}", "点,elderly_care,{x},{y}"]),
        "duplicate ids": facilities_csv("facility_id,category,lon,lat", ["F1,health,{x},{y}", "F1,health,{x},{y}"]),
        "blank ids": facilities_csv("facility_id,category,lon,lat", [",health,{x},{y}", "F2,health,{x},{y}"]),
        "no coordinates": facilities_csv("facility_id,category", ["F1,health", "F2,health"]),
        "text coordinates": facilities_csv("facility_id,category,lon,lat", ["F1,health,东经,{y}", "F2,health,{x},{y}"]),
        "missing coordinates": facilities_csv("facility_id,category,lon,lat", ["F1,health,,", "F2,health,{x},{y}"]),
        "unknown categories": facilities_csv("facility_id,category,lon,lat", ["F1,health,{x},{y}", "F2,ufo,{x},{y}"]),
        "only unknown categories": facilities_csv("facility_id,category,lon,lat", ["F1,ufo,{x},{y}", "F2,,{x},{y}"]),
        "unknown status": facilities_csv("facility_id,category,status,lon,lat",
                                         ["F1,health,maybe,{x},{y}", "F2,health,现状,{x},{y}"]),
        "text floor area": facilities_csv("facility_id,category,floor_area_m2,lon,lat",
                                          ["F1,health,三百,{x},{y}", "F2,health,-5,{x},{y}"]),
        "negative floor area": facilities_csv("facility_id,category,floor_area_m2,lon,lat",
                                              ["F1,health,-300,{x},{y}", "F2,health,5,{x},{y}"]),
        "facility polygons": lambda: _folder(tmp_path, "polys", facilities=fac.assign(geometry=fac.buffer(20.0))),
        "facility lines": lambda: _folder(tmp_path, "lines", facilities=fac.assign(
            geometry=[shapely.LineString([(p.x, p.y), (p.x + 5, p.y)]) for p in fac.geometry])),
        "community points": lambda: _folder(tmp_path, "compts", communities=com.assign(geometry=com.centroid)),
        "unknown kind": lambda: _folder(tmp_path, "kind", communities=com.assign(kind=["urban", "镇", "urban", "村"])),
        "names without ending": lambda: _folder(tmp_path, "names", communities=com.assign(name=["甲", "乙", "丙", "丁"])),
        "negative population": lambda: _folder(tmp_path, "negpop", population=pop.assign(
            population=[-1.0] + pop["population"].tolist()[1:])),
        "blank population": lambda: _csv(_folder(tmp_path, "blankpop"), "population",
                                         "population,lon,lat\n,118.68,31.67\n5,118.681,31.671\n"),
        "nobody lives here": lambda: _folder(tmp_path, "zero", population=pop.assign(population=0.0)),
        "no population layer": lambda: _folder(tmp_path, "nopop", population=None),
        "no population anywhere": lambda: _folder(tmp_path, "nopop2", population=None,
                                                  communities=com.drop(columns=["population"])),
        "no roads": lambda: _folder(tmp_path, "noroads", roads=None),
        "no facilities layer": lambda: _folder(tmp_path, "nofac", facilities=None),
        "roads elsewhere": lambda: _folder(tmp_path, "far", roads=toy["roads"].translate(50_000, 50_000)),
        "roads without class": lambda: _folder(tmp_path, "noclass", roads=toy["roads"].drop(columns=["highway"])),
        "corrupt geojson": lambda: _write(_folder(tmp_path, "corrupt"), "communities.geojson", b'{"type": "Feat'),
        "old excel": lambda: _move(_folder(tmp_path, "xls"), "facilities.geojson", "facilities.xls"),
        "broken toml": lambda: _write(_folder(tmp_path, "toml"), "dataset.toml", b"name = [unclosed"),
        "toml notes as text": lambda: _write(_folder(tmp_path, "toml2"), "dataset.toml", b'notes = "one"\n'),
        "not a zip": lambda: _write(tmp_path, "data.zip", b"PK but not really"),
        "zip without layers": lambda: _zip(tmp_path / "empty.zip", {"readme.txt": b"hello"}),
        "missing path": lambda: tmp_path / "no-such-folder",
        "not a data set": lambda: _write(tmp_path, "notes.txt", b"hello"),
    }


def _write(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)
    return folder if folder.is_dir() and name.endswith((".geojson", ".toml", ".xls")) else folder / name


def _move(folder: Path, old: str, new: str) -> Path:
    (folder / old).rename(folder / new)
    return folder


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_every_message_of_a_hostile_input_has_chinese_text(tmp_path: Path) -> None:
    untranslated: list[str] = []
    checked = 0
    for case, make in _hostile_inputs(tmp_path).items():
        try:
            dataset = load_dataset(make())
        except DataError as exc:
            checked += 1
            if not has_chinese(exc):
                untranslated.append(f"{case}: {exc.problem}")
            if exc.fix and not getattr(exc, "key", None) and not is_translated(exc.fix, fix=True):
                untranslated.append(f"{case}: fix {exc.fix}")
            assert "：" in error_text(exc, "zh") or not exc.file
            continue
        for problem in dataset.report.problems:
            checked += 1
            if not has_chinese(problem):
                untranslated.append(f"{case}: {problem.message}")
            row = problem_row(problem, "zh")
            assert row["severity"] in ("错误", "警告", "提示") and row["layer"] != "communities"
    assert untranslated == [], "\n".join(untranslated)
    # A battery that stops reaching the importer would pass by checking nothing.
    assert checked >= 30, checked
    print(f"\n{checked} importer messages from {len(_hostile_inputs(tmp_path))} hostile inputs, all in Chinese")


def test_the_siting_refusals_have_chinese_text() -> None:
    cases = ["target coverage must be between 0 and 100 %, got 120", "the number of new sites must be a whole "
             "number ≥ 1, got 0", "no candidate sites to choose from (3 left out for a floor area below 200 m²)",
             "the data set has no candidates layer"]
    assert [message_text(c) for c in cases] == ["目标覆盖率必须在 0 到 100% 之间，现为 120",
                                                "新址数量必须是不小于 1 的整数，现为 0",
                                                "没有可供选择的候选址（3 处因建筑面积小于 200 平方米被排除）",
                                                "数据集中没有候选址图层"]


@pytest.mark.parametrize("fix", ["add candidates, lower the minimum floor area or use --candidates generated/both",
                                 "add candidate sites (e.g. idle public buildings) or use generated candidates"])
def test_siting_fixes(fix: str) -> None:
    assert is_translated("no candidate sites to choose from. Fix: " + fix)
