"""The synthetic city and county: determinism, sizes, the column contract, population totals
and a connected road network."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components

from geo.dataset import Dataset
from geo.network import HIGHWAY_CLASSES, RoadNetwork
from geo.synthetic import synthetic_dataset
from geo.taxonomy import CATEGORIES


@pytest.fixture(scope="module")
def ds10k() -> Dataset:
    return synthetic_dataset(10_000, seed=0)


@pytest.fixture(scope="module")
def ds500() -> Dataset:
    return synthetic_dataset(500, seed=7)


def test_same_seed_same_data_other_seed_other_data():
    a, b = synthetic_dataset(1_500, seed=4), synthetic_dataset(1_500, seed=4)
    c = synthetic_dataset(1_500, seed=5)
    for name in ("node_x", "node_y", "edge_u", "edge_v", "edge_class", "edge_oneway", "edge_length_m"):
        np.testing.assert_array_equal(getattr(a.roads, name), getattr(b.roads, name))
    for layer in ("communities", "facilities", "population", "candidates"):
        pd.testing.assert_frame_equal(getattr(a, layer), getattr(b, layer))
    assert not np.array_equal(a.roads.node_x[:100], c.roads.node_x[:100])
    assert not a.population["population"].equals(c.population["population"])


@pytest.mark.parametrize("n", [500, 10_000])
def test_size_close_to_request(n):
    ds = synthetic_dataset(n, seed=1)
    assert abs(ds.roads.n_nodes - n) <= 0.05 * n
    assert len(ds.population) == n  # one demand point per node by default
    kinds = ds.communities["kind"].value_counts()
    assert kinds["urban"] >= 1 and kinds["rural"] >= 1


def test_demand_points_option():
    ds = synthetic_dataset(2_000, seed=2, demand_points=5_000)
    assert len(ds.population) == 5_000
    few = synthetic_dataset(2_000, seed=2, demand_points=3)
    # Every community still gets a point.
    assert len(few.population) == len(few.communities)
    assert set(few.population["community_id"]) == set(few.communities["community_id"])


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_nodes"):
        synthetic_dataset(50)
    with pytest.raises(ValueError, match="demand_points"):
        synthetic_dataset(500, demand_points=0)


@pytest.mark.parametrize("fixture", ["ds500", "ds10k"])
def test_population_sums_to_communities(fixture, request):
    ds = request.getfixturevalue(fixture)
    pop = ds.population
    assert (pop["population"] > 0).all()
    assert pop["community_id"].isin(ds.communities["community_id"]).all()
    sums = pop.groupby("community_id")["population"].sum()
    expected = ds.communities.set_index("community_id")["population"]
    assert (expected > 0).all()
    assert set(sums.index) == set(expected.index)  # every community has population points
    np.testing.assert_allclose(sums.reindex(expected.index).to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert ds.population["population"].sum() == pytest.approx(ds.communities["population"].sum())


def test_points_lie_in_their_community(ds10k):
    polygons = ds10k.communities.set_index("community_id").geometry
    for layer in (ds10k.population, ds10k.facilities, ds10k.candidates):
        inside = shapely.contains(polygons.loc[layer["community_id"]].to_numpy(), layer.geometry.to_numpy())
        assert inside.all()


def test_column_contract(ds10k):
    ds = ds10k
    assert ds.crs.to_epsg() == 32650 and ds.roads.crs.to_epsg() == 32650
    for layer in (ds.communities, ds.facilities, ds.population, ds.candidates):
        assert layer.crs.to_epsg() == 32650
    com = ds.communities
    for column in ("community_id", "name", "kind", "households", "population", "street", "district"):
        assert column in com.columns
    assert com["community_id"].is_unique and com["name"].is_unique
    assert set(com["kind"]) == {"urban", "rural"}
    urban = com["kind"] == "urban"
    assert com.loc[urban, "name"].str.contains("社区").all()
    assert com.loc[~urban, "name"].str.endswith("村").all()
    assert com.loc[urban, "street"].str.endswith("街道").all()
    assert com.loc[~urban, "street"].str.endswith("镇").all()
    assert com["households"].dtype == np.float64 and com["population"].dtype == np.float64
    assert (com["households"] > 0).all() and (com["households"] < com["population"]).all()
    assert set(shapely.get_type_id(com.geometry.to_numpy())) == {3}  # polygons
    assert not com.geometry.overlaps(com.geometry.shift()).fillna(False).any()

    fac = ds.facilities
    for column in ("facility_id", "category", "name", "floor_area_m2", "capacity", "status"):
        assert column in fac.columns
    assert fac["facility_id"].is_unique and fac["name"].is_unique
    assert set(fac["category"]) == set(CATEGORIES)  # every category at this size
    assert set(fac["status"]) <= {"existing", "planned"}
    assert (fac["floor_area_m2"] > 0).all() and (fac["capacity"] >= 1).all()
    assert set(shapely.get_type_id(fac.geometry.to_numpy())) == {0}  # points

    cand = ds.candidates
    for column in ("candidate_id", "name", "floor_area_m2", "source", "cost"):
        assert column in cand.columns
    assert len(cand) > 0 and cand["candidate_id"].is_unique
    assert set(cand["source"]) == {"idle_building"}
    assert (cand["floor_area_m2"] >= 100).all() and (cand["cost"] > 0).all()

    assert ds.attribution == ["synthetic"]
    assert any("Synthetic" in note for note in ds.notes)
    assert ds.meta["population_estimated"] is True


def test_facility_densities(ds10k):
    fac, com = ds10k.facilities, ds10k.communities
    counts = fac["category"].value_counts()
    assert counts["convenience_retail"] > 3 * counts["community_service_center"]
    assert counts["community_living_room"] < counts["community_service_center"]
    # One social-work station in every street and township.
    streets = fac.loc[fac["category"] == "social_work_station", "community_id"].map(
        com.set_index("community_id")["street"])
    assert set(streets) == set(com["street"])


def test_located_near_maanshan(ds10k):
    x0, y0, x1, y1 = ds10k.roads.bounds
    lon, lat = Transformer.from_crs(32650, 4326, always_xy=True).transform((x0 + x1) / 2, (y0 + y1) / 2)
    assert lon == pytest.approx(118.506, abs=0.05) and lat == pytest.approx(31.67, abs=0.05)


def test_network_connected_and_realistic(ds10k):
    net = ds10k.roads
    _, labels = connected_components(net.adjacency(net.edge_length_m), directed=True, connection="weak")
    assert np.bincount(labels).max() >= 0.95 * net.n_nodes
    # The edges need no cleaning: building them through from_arrays changes nothing.
    again = RoadNetwork.from_arrays(crs=net.crs, node_x=net.node_x, node_y=net.node_y, edge_u=net.edge_u,
                                    edge_v=net.edge_v, edge_class=net.edge_class, edge_oneway=net.edge_oneway)
    assert again.n_edges == net.n_edges
    np.testing.assert_allclose(np.sort(again.edge_length_m), np.sort(net.edge_length_m))
    classes = pd.Series(np.asarray(HIGHWAY_CLASSES)[net.edge_class]).value_counts()
    for cls in ("primary", "secondary", "tertiary", "unclassified", "residential", "footway"):
        assert classes.get(cls, 0) > 0
    assert 0.01 < net.edge_oneway.mean() < 0.2
    # City blocks are 80-120 m; rural roads have a node about every 100 m.
    city = net.edge_class == HIGHWAY_CLASSES.index("residential")
    assert 60 < np.median(net.edge_length_m[city]) < 130
    rural = net.edge_class == HIGHWAY_CLASSES.index("tertiary")
    assert 70 < np.median(net.edge_length_m[rural]) < 130


def test_villages_several_km_apart(ds10k):
    rural = ds10k.communities[ds10k.communities["kind"] == "rural"]
    xy = shapely.get_coordinates(rural.geometry.centroid.to_numpy())
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    assert d.min() > 2_000
    urban = ds10k.communities[ds10k.communities["kind"] == "urban"]
    core = shapely.union_all(urban.geometry.to_numpy())
    assert not shapely.intersects(rural.geometry.to_numpy(), core).any()
    # Urban communities are about 10 x 10 blocks of ~100 m.
    area_km2 = urban.geometry.area / 1e6
    assert 0.4 < area_km2.median() < 1.6
