"""The one atomic writer: an interrupted write leaves the previous file as it was, byte for byte,
and no temporary file; new files get the umask's permissions; the column-cleaning rule and the
spreadsheet escaping of formula-like texts."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from geo._errors import DataError
from planning.output import files


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _sites(names: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": names, "population": np.arange(len(names), dtype=float)},
                            geometry=[Point(668000 + 10 * i, 3500000) for i in range(len(names))],
                            crs=32650)


def test_callback_failing_half_way_keeps_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "sites.csv"
    out.write_bytes(b"old,previous\r\n1,2\r\n")
    before = out.read_bytes()
    data = "社区,人口\n" + "和平社区,5200\n" * 10_000

    def half_then_fail(path: Path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(data[: len(data) // 2])
            fh.flush()
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        files.write_with(out, half_then_fail)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sites.csv"]
    # The same write, not interrupted, replaces the file whole.
    files.write_text(out, data)
    assert out.read_text(encoding="utf-8") == data
    assert [p.name for p in tmp_path.iterdir()] == ["sites.csv"]


def test_geopackage_failing_half_way_keeps_the_previous_file(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "sites.gpkg"
    files.write_geopackage(out, {"sites": _sites(["旧址"])})
    before = out.read_bytes()
    real = pyogrio.write_dataframe
    written: list[str] = []

    def fails_on_second_layer(frame: object, path: object, **kw: object) -> None:
        if written:  # the first layer is really in the temporary GeoPackage
            raise OSError(28, "No space left on device")
        real(frame, path, **kw)
        written.append(str(kw["layer"]))
        assert Path(str(path)).stat().st_size > 0 and Path(str(path)) != out

    monkeypatch.setattr(pyogrio, "write_dataframe", fails_on_second_layer)
    with pytest.raises(OSError, match="No space"):
        files.write_geopackage(out, {"sites": _sites(["新址一", "新址二"]),
                                     "circles": _sites(["圈"])})
    assert written == ["sites"]
    monkeypatch.undo()
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sites.gpkg"]  # no temp, no -journal
    assert pyogrio.read_dataframe(out, layer="sites")["name"].tolist() == ["旧址"]


def test_new_files_get_the_umask_permissions(tmp_path: Path, umask_022: None) -> None:
    files.write_text(tmp_path / "a.txt", "x")
    files.write_geopackage(tmp_path / "a.gpkg", {"sites": _sites(["一"])})
    os.umask(0o027)
    files.write_csv(tmp_path / "b.csv", pd.DataFrame({"a": [1]}))
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"a.txt": 0o644, "a.gpkg": 0o644, "b.csv": 0o640}
    assert files.usual_mode() == 0o640


def test_the_file_is_synced_before_it_replaces_the_old_one(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    files.write_bytes(tmp_path / "a.bin", b"123")
    assert events[:2] == ["fsync", "replace"]


def test_refusals_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="the output path is a folder"):
        files.write_text(tmp_path, "x")
    with pytest.raises(DataError, match="the output folder does not exist"):
        files.write_text(tmp_path / "missing" / "a.txt", "x")
    with pytest.raises(DataError, match="nothing was written"):
        files.write_with(tmp_path / "a.txt", lambda path: None)
    assert list(tmp_path.iterdir()) == []


def test_plain_columns() -> None:
    frame = pd.DataFrame({"minutes": [4.0, np.inf, np.nan], "missed": [["甲", "乙"], [], None],
                          "kind": pd.Categorical(["urban", "rural", "urban"]),
                          "extra": [{"a": 1}, pd.NA, "x"]})
    out = files.plain(frame)
    assert out["minutes"].tolist()[0] == 4.0 and out["minutes"].isna().tolist() == [False, True, True]
    assert out["missed"].tolist()[:2] == ["甲; 乙", ""] and pd.isna(out["missed"][2])
    assert not isinstance(out["kind"].dtype, pd.CategoricalDtype) and out["kind"][1] == "rural"
    assert out["extra"][0] == '{"a": 1}' and pd.isna(out["extra"][1]) and out["extra"][2] == "x"


def test_formula_like_texts_are_escaped_and_numbers_are_not() -> None:
    risky = ["=1+2", "+1+1", "-1+2", "@SUM(A1)", "\tx", "\rx"]
    assert [files.formula_safe(v) for v in risky] == [f"'{v}" for v in risky]
    assert [files.formula_safe(v) for v in ("-3.5", "+12", "1e5", "和平社区", "a=b")] == [
        "-3.5", "+12", "1e5", "和平社区", "a=b"]
    assert files.formula_safe(-3.5) == -3.5
    rows = list(csv.reader(io.StringIO(files.csv_bytes(pd.DataFrame(
        {"=name": ["=cmd|' /C calc'!A0", "普通"], "value": [-3.5, 2.0]})).decode("utf-8-sig"))))
    assert rows == [["'=name", "value"], ["'=cmd|' /C calc'!A0", "-3.5"], ["普通", "2.0"]]
