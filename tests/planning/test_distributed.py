"""Partitioned runs on a Dask LocalCluster give exactly the one-process results.

One in-process LocalCluster (two single-threaded workers) serves the module; one test starts a
real ``--scheduler local`` cluster of worker processes through the command line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from geo._errors import DataError
from geo.dataset_loader import load_dataset
from geo.synthetic import synthetic_dataset
from planning.__main__ import main
from planning.access.analysis import Analysis, analyze
from planning.access.coverage import coverage
from planning.distributed import cluster as cluster_mod
from planning.distributed import tasks as tasks_mod
from planning.distributed.run import PartitionedAnalysis, PartitionError, analyze_partitioned
from planning.distributed.tasks import PartitionTask, compute_partition
from planning.settings import Settings
from tests.planning._engine_fixtures import dataset, line_network, local_box
from tests.planning._region import counties, region_dataset

ROOT = Path(__file__).resolve().parents[2]
XIAN = ROOT / "data" / "xian"
LIECHTENSTEIN = ROOT / "data" / "liechtenstein"


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
          Client(cluster) as c):
        yield c


def assert_identical(split: PartitionedAnalysis, one: Analysis) -> None:
    """Same covered residents, summaries, community and indicator tables; same minutes within reach."""
    assert split.covered.equals(one.covered)
    assert split.coverage.complete.equals(one.coverage.complete)
    pd.testing.assert_frame_equal(split.category_summary, one.category_summary, check_exact=True)
    pd.testing.assert_frame_equal(split.community_table, one.community_table, check_exact=True)
    pd.testing.assert_frame_equal(split.indicators, one.indicators, check_exact=True)
    doc = split.to_json()
    doc.pop("partitions")
    assert doc == one.to_json()
    got, want = split.demand_minutes.to_numpy(), one.demand_minutes.to_numpy()
    limit = np.array([split.halos[m].limit_minutes for m in split.coverage.mode])[:, None]
    within = want <= limit
    np.testing.assert_array_equal(got[within], want[within])  # to the last bit
    assert np.isinf(got[~within]).all()
    # Every resident counted once, in one partition.
    assert int(split.partitions["demand_points"].sum()) == len(one.demand_minutes)
    assert split.partitions["population"].sum() == pytest.approx(one.total_population)


# ------------------------------------------------------------------ a case solved by hand
def test_line_across_a_county_border(client: Client) -> None:
    # Road along x = 0..3000 m, nodes every 100 m; county A west of x = 1500, B east of it.
    # One health facility in A at x = 1460: it snaps to the node at 1500 (40 m walk). Walking
    # 75 m/min for 15 min reaches 1125 m: residents on nodes at 500 and 2500 need 1000 m of road
    # + 40 m = 13.87 min (covered), at 400 and 2600 1140 m = 15.2 min (not), on the border at
    # 1500 only the 40 m walk. B's residents are served by A's facility through B's halo.
    ds = dataset(line_network(31, 100.0),
                 communities=[{"community_id": "c", "name": "c社区", "kind": "urban", "box": (-50, -50, 3050, 50)}],
                 facilities=[{"facility_id": "f", "category": "health", "xy": (1460.0, 0.0)}],
                 population=[{"population": p, "xy": (x, 0.0)}
                             for x, p in ((500.0, 1.0), (400.0, 2.0), (2500.0, 4.0), (2600.0, 8.0), (1500.0, 16.0))])
    parts = gpd.GeoDataFrame({"partition_id": ["A", "B"], "name": ["A县", "B县"]},
                             geometry=[local_box(-100, -100, 1500, 100), local_box(1500, -100, 3100, 100)],
                             crs=ds.crs)
    split = analyze_partitioned(ds, partition_by=parts, client=client)
    assert split.category_summary.loc["health", "covered_population"] == 21.0  # 1 + 4 + 16
    np.testing.assert_allclose(split.demand_minutes["health"].to_numpy(),
                               [1040 / 75, np.inf, 1040 / 75, np.inf, 40 / 75], rtol=1e-12)
    table = split.partitions
    assert table.loc["A", "population"] == 19.0 and table.loc["B", "population"] == 12.0  # the border: A
    assert table.loc["B", "facilities"] == 1  # A's facility, seen from B's halo
    # Halo: 15 min × 75 m/min + the longest snap walk (40 m) + 1 m of slack.
    assert table.loc["A", "halo_m"] == pytest.approx(1125.0 + 40.0 + 1.0, abs=1e-3)
    assert table["halo_cut"].all()  # a line of road: every halo runs off the data
    assert_identical(split, analyze(ds))


def test_no_residents_at_all(client: Client) -> None:
    ds = dataset(line_network(5, 100.0),
                 communities=[{"community_id": "c", "name": "c社区", "kind": "urban", "box": (-50, -50, 450, 50)}],
                 facilities=[{"facility_id": "f", "category": "health", "xy": (0.0, 0.0)}], population=[])
    split = analyze_partitioned(ds, partition_by="grid:2x1", client=client)
    assert list(split.partitions.index) == ["r1c1", "r2c1"] and (split.partitions["demand_points"] == 0).all()
    assert_identical(split, analyze(ds))


# ------------------------------------------------------------------ nine synthetic counties
@pytest.fixture(scope="module")
def region() -> tuple:
    ds = region_dataset()
    return ds, analyze(ds)


def test_nine_counties_from_a_file(region: tuple, client: Client, tmp_path: Path) -> None:
    ds, one = region
    path = tmp_path / "counties.gpkg"
    counties().to_file(path, layer="counties", driver="GPKG", engine="pyogrio")
    split = analyze_partitioned(ds, partition_by=str(path), client=client)
    assert_identical(split, one)
    table = split.partitions
    assert sorted(table.index) == sorted(counties()["county_id"])
    assert table.loc["C21", "name"] == "第21县"
    # Only the middle county lies a halo away from every edge (its residents all walk).
    assert list(table.index[~table["halo_cut"]]) == ["C22"]
    assert table.loc["C22", "halo_m"] < 1500.0 and table.loc["C31", "halo_m"] > 7500.0  # e-bike villages
    assert (table["failed_attempts"] == 0).all()
    assert split.outside_points == 20
    assert split.to_json()["partitions"]["held"] == list(table.index)


def test_nine_counties_by_communities_and_grid(region: tuple, client: Client) -> None:
    ds, one = region
    for spec in ("communities", "grid:2x3", "district"):
        assert_identical(analyze_partitioned(ds, partition_by=spec, client=client), one)


def test_one_partition_equals_the_whole(region: tuple, client: Client) -> None:
    ds, one = region
    split = analyze_partitioned(ds, partition_by="grid:1", client=client)
    assert_identical(split, one)
    assert len(split.partitions) == 1


def test_same_limit_same_minutes_to_the_bit(region: tuple, client: Client) -> None:
    # Everybody rides an e-bike for 30 minutes: a one-process run with its searches cut at 30
    # minutes must give every minute, beyond the circles too, bit for bit.
    ds, _ = region
    settings = Settings(urban_mode="ebike", urban_circle_minutes=30.0)
    split = analyze_partitioned(ds, settings, partition_by="grid:3x3", client=client)
    cut = coverage(ds, settings, limit_minutes=30.0)
    np.testing.assert_array_equal(split.demand_minutes.to_numpy(), cut.demand_minutes.to_numpy())
    assert np.isfinite(split.demand_minutes.to_numpy()).any() and split.halos["ebike"].limit_minutes == 30.0
    assert_identical(split, analyze(ds, settings))


# ------------------------------------------------------------------ the bundled data sets
@pytest.fixture(scope="module")
def xian() -> tuple:
    ds = load_dataset(XIAN)
    return ds, analyze(ds)


def test_xian_by_district_and_by_grid(xian: tuple, client: Client) -> None:
    ds, one = xian
    by_district = analyze_partitioned(ds, partition_by="district", client=client)
    assert_identical(by_district, one)
    assert len(by_district.partitions) == ds.communities["district"].nunique()
    assert_identical(analyze_partitioned(ds, partition_by="grid:4", client=client), one)


def test_liechtenstein_by_municipality(client: Client) -> None:
    ds = load_dataset(LIECHTENSTEIN)
    split = analyze_partitioned(ds, partition_by="communities", client=client)
    assert_identical(split, analyze(ds))
    assert len(split.partitions) == 11
    assert set(split.halos) == {"walk", "ebike"}  # Vaduz and Schaan walk, the villages ride


# ------------------------------------------------------------------ retries and failures
_FLAKY: dict[str, object] = {"dir": None, "fail": set(), "always": False}


def flaky_partition(task: PartitionTask) -> list[np.ndarray]:
    """Fails the first attempt (or every one) of the chosen partitions, then works."""
    marker = Path(str(_FLAKY["dir"])) / f"{task.run_id}-{task.partition_id}"
    if task.partition_id in _FLAKY["fail"] and (_FLAKY["always"] or not marker.exists()):
        marker.touch()
        raise MemoryError(f"injected failure in {task.partition_id}")
    return compute_partition(task)


def test_failed_partition_is_retried_and_reported(region: tuple, client: Client, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ds, one = region
    monkeypatch.setitem(_FLAKY, "dir", str(tmp_path))
    monkeypatch.setitem(_FLAKY, "fail", {"r2c2"})
    # The in-process workers share this process's modules, so the patch reaches them.
    monkeypatch.setattr(tasks_mod, "compute_partition", flaky_partition)
    split = analyze_partitioned(ds, partition_by="grid:3x3", client=client)
    assert_identical(split, one)
    table = split.partitions
    assert table.loc["r2c2", "failed_attempts"] == 1
    assert "MemoryError: injected failure in r2c2" in table.loc["r2c2", "last_error"]
    assert (table.drop(index="r2c2")["failed_attempts"] == 0).all()
    assert split.to_json()["partitions"]["retried"] == {"r2c2": 1}
    assert any(n.key == "partitions.retried" for n in split.notes)


def test_partition_failing_every_time_stops_the_run(region: tuple, client: Client, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ds, _ = region
    monkeypatch.setitem(_FLAKY, "dir", str(tmp_path))
    monkeypatch.setitem(_FLAKY, "fail", {"r1c2"})
    monkeypatch.setitem(_FLAKY, "always", True)
    monkeypatch.setattr(tasks_mod, "compute_partition", flaky_partition)
    with pytest.raises(PartitionError) as err:
        analyze_partitioned(ds, partition_by="grid:3x3", client=client, retries=1)
    message = str(err.value)
    assert "partition r1c2 failed 2 time(s) (1 retries)" in message
    assert "injected failure in r1c2" in message and "1 of 9 partitions failed" in message


_ORIGINAL_COMPUTE = compute_partition
_KILLER_MARKERS: dict[str, str] = {}


def kill_worker_once(task: PartitionTask) -> list[np.ndarray]:
    """Ends its worker process on the first attempt of partition r1c1 (a machine that dies)."""
    marker = Path(_KILLER_MARKERS["dir"]) / f"{task.run_id}-{task.partition_id}"
    if task.partition_id == "r1c1" and not marker.exists():
        marker.touch()
        os._exit(1)
    return _ORIGINAL_COMPUTE(task)


def _install_killer(marker_dir: str) -> bool:
    _KILLER_MARKERS["dir"] = marker_dir
    tasks_mod.compute_partition = kill_worker_once
    return True


def _remove_killer() -> bool:
    tasks_mod.compute_partition = _ORIGINAL_COMPUTE
    return True


@pytest.fixture(scope="module")
def process_client() -> Iterator[Client]:
    """Two real worker processes (a worker that dies is restarted by its nanny)."""
    with (LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
          Client(cluster) as c):
        yield c


def test_partition_of_a_lost_worker_is_sent_again(process_client: Client, tmp_path: Path) -> None:
    # The worker running r1c1 dies, taking the parts scattered to it along; the client sends
    # them again and the result is still the one-process result.
    ds = synthetic_dataset(4_000)
    assert all(process_client.run(_install_killer, str(tmp_path)).values())
    try:
        split = analyze_partitioned(ds, partition_by="grid:2x2", client=process_client)
    finally:
        process_client.run(_remove_killer)
    assert_identical(split, analyze(ds))
    table = split.partitions
    assert table.loc["r1c1", "failed_attempts"] >= 1 and table.loc["r1c1", "last_error"] == ""
    assert any(n.key == "partitions.retried" and "worker lost" in n for n in split.notes)


# ------------------------------------------------------------------ the command line
def test_cli_json_on_an_existing_cluster(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    address = client.scheduler.address
    code = main(["analyze", "--data", str(LIECHTENSTEIN), "--partition-by", "communities", "--scheduler", address,
                 "--workers", "2", "--json"])
    assert code == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)  # stdout: one JSON object, nothing else
    parts = doc.pop("partitions")
    assert isinstance(doc.pop("problems"), list)  # the validation report, as every command gives it
    assert doc == analyze(load_dataset(LIECHTENSTEIN)).to_json(groups=True)  # as the command prints it
    assert len(parts["held"]) == 11 and parts["by"] == "communities"
    assert f"Dask: {address}, 2 worker(s)" in captured.err
    assert "partition LI-7001 done" in captured.err and "(11/11" in captured.err
    assert "no dashboard" in captured.err  # bokeh is not installed here


def test_cli_export_on_worker_processes(process_client: Client, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    split_csv, one_csv = tmp_path / "split.csv", tmp_path / "one.csv"
    common = ["export", "--data", str(XIAN), "--format", "csv", "--table", "indicators",
              "--category", "health", "elderly_care"]
    address = process_client.scheduler.address
    assert main([*common, "--out", str(split_csv), "--partition-by", "grid:2x2", "--scheduler", address]) == 0
    captured = capsys.readouterr()
    assert main([*common, "--out", str(one_csv)]) == 0
    assert split_csv.read_bytes() == one_csv.read_bytes()
    assert captured.out == f"wrote {split_csv}\n"  # the report goes to stderr
    assert "partitions: 4 to run" in captured.err and "(4/4" in captured.err


def test_cli_local_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["analyze", "--data", str(XIAN), "--categories", "health", "--json"]
    assert main([*argv, "--partition-by", "grid:2x2", "--scheduler", "local", "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "Dask: a local cluster, 1 worker(s)" in captured.err
    doc = json.loads(captured.out)
    assert doc.pop("partitions")["held"] == ["r1c1", "r1c2", "r2c1", "r2c2"]
    assert main(argv) == 0
    assert doc == json.loads(capsys.readouterr().out)


def test_cli_cluster_options_need_partition_by(toy_dataset_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--data", str(toy_dataset_dir), "--workers", "2"]) == 2
    assert "--workers needs --partition-by" in capsys.readouterr().err


def test_cli_unknown_partition_layer(toy_dataset_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--data", str(toy_dataset_dir), "--partition-by", "counties", "--scheduler", "local"]) == 2
    err = capsys.readouterr().err
    assert "--partition-by 'counties' is neither a file, a layer of the data set" in err
    assert "grid:2x2" in err  # the fix names the choices


def test_unreachable_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_mod, "CONNECT_TIMEOUT_S", 0.5)
    with pytest.raises(DataError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with cluster_mod.open_client("tcp://127.0.0.1:9"):
            pass
