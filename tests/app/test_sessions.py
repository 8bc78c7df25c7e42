"""Each browser session keeps its own uploads and scenarios; a failed load keeps the data set."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def session_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from app_support import state

    monkeypatch.setattr(state, "SESSION_ROOT", tmp_path / "sessions")
    return tmp_path / "sessions"


def _app(path: str, source: str, **values: object) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    at.session_state["source"] = source
    for key, value in values.items():
        at.session_state[key] = value
    return at


def _upload(at: AppTest, layer: str, name: str, data: bytes, *, others: Path | None = None) -> AppTest:
    """Upload ``data`` as ``layer`` (and the other layers of the data set in ``others``), then load."""
    at.file_uploader(key=f"w_up_{layer}").set_value((name, data, "application/octet-stream"))
    for other in ("facilities", "population", "roads") if others is not None else ():
        at.file_uploader(key=f"w_up_{other}").set_value((f"{other}.geojson", (others / f"{other}.geojson").read_bytes(),
                                                         "application/geo+json"))
    next(b for b in at.button if b.label in ("载入上传的数据", "Load the uploaded files")).click()
    return at.run()


def test_a_failed_upload_keeps_the_data_set_loaded_before(toy_source: str, session_root: Path) -> None:
    folder = Path(toy_source.partition(":")[2])
    at = _app("streamlit_app.py", toy_source).run()
    assert not at.exception
    _upload(at, "communities", "社区.geojson", b'{"type": "FeatureCollection", "features": [', others=folder)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("数据集未能载入：")
    # The message names the file the user gave, not the server's upload folder.
    assert "communities.geojson" in errors[0] and not re.search(r"[0-9a-f]{16}", errors[0])
    assert "cannot" not in errors[0] and "无法" in errors[0]
    assert any(w.value.startswith("仍在使用之前载入的数据集：测试") for w in at.warning)
    assert at.session_state["source"] == toy_source
    assert at.dataframe[0].value.iloc[:, 1].tolist()[:3] == [4, 4, 9]
    # The upload went into this session's own folder.
    (token,) = [p.name for p in session_root.iterdir()]
    assert token == at.session_state["_session_token"] and len(token) >= 32
    assert [p.name for p in (session_root / token / "uploads").iterdir()][0] != ""

    english = _app("streamlit_app.py", toy_source, lang="en").run()
    _upload(english, "communities", "c.geojson", b"not json", others=folder)
    message = english.error[0].value
    assert message.startswith("The data set could not be loaded: ") and "无法" not in message
    assert english.session_state["source"] == toy_source


def test_an_upload_with_only_some_layers_is_refused_in_chinese(toy_source: str, session_root: Path) -> None:
    folder = Path(toy_source.partition(":")[2])
    at = _app("streamlit_app.py", toy_source).run()
    _upload(at, "communities", "社区.geojson", (folder / "communities.geojson").read_bytes())
    (message,) = [e.value for e in at.error]
    # No facilities and roads: the loader lists what it found, named as the user knows them.
    assert "没有找到设施、道路图层" in message and "上传的文件" in message, message
    assert not re.search(r"[0-9a-f]{16}", message)


def test_a_whole_upload_loads_in_this_session_only(toy_source: str, session_root: Path, tmp_path: Path) -> None:
    import zipfile

    folder = Path(toy_source.partition(":")[2])
    archive = tmp_path / "toy.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, path.name)
    first = _app("streamlit_app.py", "synthetic").run()
    first.radio(key="w_source_kind_zh").set_value("upload").run()
    first.file_uploader(key="w_up_all").set_value(("toy.zip", archive.read_bytes(), "application/zip"))
    next(b for b in first.button if b.label == "载入上传的数据").click()
    first.run()
    assert not first.exception and not first.error
    source = first.session_state["source"]
    token = first.session_state["_session_token"]
    assert source.startswith(f"upload:{session_root / token / 'uploads'}")
    assert first.dataframe[0].value.iloc[:, 1].tolist()[:3] == [4, 4, 9]
    second = _app("streamlit_app.py", "synthetic").run()
    assert second.session_state["source"] == "synthetic"
    assert "_session_token" not in second.session_state  # nothing uploaded: no folder either
    assert [p.name for p in session_root.iterdir()] == [token]


def _run_siting(at: AppTest) -> AppTest:
    at.run()
    at.selectbox(key="w_site_category_zh").set_value("health")
    at.number_input(key="w_site_n_zh").set_value(1)
    next(b for b in at.button if b.label == "开始选址").click()
    return at.run()


def test_scenarios_belong_to_their_session_and_travel_as_files(toy_source: str, session_root: Path) -> None:
    mine = _run_siting(_app("pages/3_siting.py", toy_source, settings={}))
    mine.text_input(key="w_scenario_name").set_value("方案甲")
    next(b for b in mine.button if b.label == "保存方案").click()
    mine.run()
    assert not mine.exception and any("方案甲" in s.value for s in mine.success)
    saved = list((session_root / mine.session_state["_session_token"] / "scenarios" / "toy").glob("*.gpkg"))
    assert [p.name for p in saved] == ["方案甲.gpkg"]

    theirs = _run_siting(_app("pages/3_siting.py", toy_source, settings={}))
    assert not theirs.exception
    assert any(c.value == "尚无已保存的方案。" for c in theirs.caption)
    assert theirs.session_state["_session_token"] != mine.session_state["_session_token"]

    # The other session brings the file itself: checked, listed, comparable.
    theirs.file_uploader(key="w_scenario_upload").set_value(("方案甲.gpkg", saved[0].read_bytes(),
                                                             "application/geopackage+sqlite3"))
    theirs.run()
    assert not theirs.exception
    assert any(s.value == "已载入方案：方案甲" for s in theirs.success)
    folder = session_root / theirs.session_state["_session_token"] / "scenarios" / "toy"
    assert [p.name for p in folder.glob("*.gpkg")] == ["方案甲.gpkg"]
    assert not any(c.value == "尚无已保存的方案。" for c in theirs.caption)


def test_an_uploaded_file_that_is_no_scenario_is_refused_in_chinese(toy_source: str, session_root: Path) -> None:
    at = _run_siting(_app("pages/3_siting.py", toy_source, settings={}))
    at.file_uploader(key="w_scenario_upload").set_value(("plan.gpkg", b"not a geopackage", "application/octet-stream"))
    at.run()
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert message.startswith("出错了：plan.gpkg：无法作为 GeoPackage 读取"), message
    assert message.endswith("请选择本工具保存的方案文件。")
    assert list((session_root / at.session_state["_session_token"] / "scenarios" / "toy").glob("*")) == []


def test_a_sessions_folder_and_map_files_go_with_the_session(session_root: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from app_support import layer_store, state

    monkeypatch.setattr(layer_store, "LAYER_CACHE_DIR", tmp_path / "layers")
    at = AppTest.from_string("from app_support import state\nstate.session_folder('uploads')\n").run()
    assert not at.exception
    token = at.session_state["_session_token"]
    folder = session_root / token
    assert (folder / "uploads").is_dir()
    # The map files of the session's uploaded data live in its own unguessable folder.
    scope = state.layer_scope(f"upload:{folder / 'uploads' / 'abc'}")
    assert scope == layer_store.session_scope(token) and token not in scope
    item = layer_store.publish(b"a layer", ".png", scope=scope)
    assert item is not None and item.path.is_file()
    del item, at
    gc.collect()
    # Streamlit dropped the session's state: both went with it.
    assert not folder.exists()
    assert not (tmp_path / "layers" / scope).exists()
