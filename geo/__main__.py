"""Command line: ``python -m geo inspect PATH [--json] [--coords [LAYER=]SYSTEM ...]``.

Loads a data set as the app would and prints, per layer, the count, the CRS of the file, the
bounds in WGS84, facility categories, the road network's size and every problem found. Exits 0
when the data set is usable, 2 with one line naming the problem when it is not.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from geo._errors import DataError
from geo.coords import COORD_SYSTEMS, check_system
from geo.dataset import Dataset
from geo.readers import bounds_wgs84
from geo.taxonomy import label


def summary(dataset: Dataset) -> dict[str, Any]:
    """What ``inspect`` reports about a loaded data set, as plain JSON-ready values."""
    sources = dataset.meta.get("layer_sources", {})
    layers: dict[str, Any] = {}
    for name in ("communities", "facilities", "population", "candidates"):
        frame = getattr(dataset, name)
        info: dict[str, Any] = {
            "count": int(len(frame)),
            "file": sources.get(name, {}).get("file"),
            "crs": sources.get(name, {}).get("crs"),
            "bounds_wgs84": [None if np.isnan(v) else round(v, 6) for v in bounds_wgs84(frame)],
        }
        if name == "communities":
            info["kinds"] = {str(k): int(v) for k, v in frame["kind"].value_counts().items()}
            info["population"] = float(frame["population"].sum(min_count=1)) \
                if frame["population"].notna().any() else None
        elif name == "facilities":
            info["categories"] = {str(k): int(v) for k, v in
                                  frame["category"].value_counts().sort_index().items()}
        elif name == "population":
            info["total"] = float(frame["population"].sum())
            info["outside_communities"] = int(frame["community_id"].isna().sum())
        layers[name] = info
    roads = dataset.roads
    layers["roads"] = {"file": sources.get("roads", {}).get("file"), "nodes": roads.n_nodes,
                       "edges": roads.n_edges, "km": round(roads.total_length_km, 3)}
    return {
        "name": dataset.name,
        "usable": dataset.report.usable,
        "crs": dataset.crs.to_string(),
        "layers": layers,
        "notes": list(dataset.notes),
        # key and values let a client word each problem itself (geo.texts.problem_text)
        "problems": [{"severity": p.severity, "layer": p.layer, "file": p.file,
                      "column": p.column, "count": p.count, "message": p.message,
                      "key": p.key, "values": p.values}
                     for p in dataset.report.problems],
    }


def _print_text(info: dict[str, Any]) -> None:
    print(f"data set: {info['name']}   analysis CRS: {info['crs']}")
    for name, layer in info["layers"].items():
        if name == "roads":
            print(f"  roads        {layer['nodes']:>9,} nodes  {layer['edges']:>9,} edges  "
                  f"{layer['km']:,.1f} km   ({layer['file']})")
            continue
        bounds = layer["bounds_wgs84"]
        where = "no features" if bounds[0] is None else \
            "lon/lat {:.5f}, {:.5f} – {:.5f}, {:.5f}".format(*bounds)
        source = f"{layer['file']}, {layer['crs']}" if layer["file"] else "derived"
        print(f"  {name:<12} {layer['count']:>9,}  {where}   ({source})")
        if name == "communities":
            print("               kinds: " + ", ".join(f"{k} {v}" for k, v in
                                                       layer["kinds"].items()))
        if name == "facilities":
            for key, count in layer["categories"].items():
                print(f"               {key:<26} {label(key):<10} {count:>6,}")
        if name == "population":
            print(f"               people: {layer['total']:,.0f}")
    for note in info["notes"]:
        print(f"note: {note}")
    problems = info["problems"]
    print(f"problems: {len(problems) or 'none'}")
    for p in problems:
        where = ", ".join(str(v) for v in (p["file"], p["layer"], p["column"]) if v)
        print(f"  [{p['severity']}] {where}: {p['message']}")


def coords_option(values: list[str] | None) -> str | dict[str, str] | None:
    """``--coords`` values (``gcj02``, ``roads=wgs84`` …) as :func:`load_dataset` takes them."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return check_system(values[0], where="--coords")
    table: dict[str, str] = {}
    for value in values:
        layer, _, system = value.rpartition("=")
        table[layer.strip() or "default"] = check_system(system, where="--coords")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    inspect = sub.add_parser("inspect", help="check a data set and summarise its layers")
    inspect.add_argument("path", help="data set folder, GeoPackage or zip")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of text")
    inspect.add_argument("--coords", action="append", metavar="[LAYER=]SYSTEM",
                         help="coordinate system of the lon/lat layers, one of "
                         f"{', '.join(COORD_SYSTEMS)} (gcj02: Amap, bd09: Baidu); "
                         "LAYER=SYSTEM sets one layer apart, e.g. --coords gcj02 "
                         "--coords roads=wgs84")
    args = parser.parse_args(argv)

    from geo.dataset_loader import load_dataset  # keeps `--help` fast

    try:
        dataset = load_dataset(args.path, coords=coords_option(args.coords))
    except DataError as exc:
        return _fail(str(exc), as_json=args.json)
    except (OSError, ValueError) as exc:
        return _fail(f"{args.path}: {exc}", as_json=args.json)
    info = summary(dataset)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2, default=str))
    else:
        _print_text(info)
    return 0 if info["usable"] else 2


def _fail(message: str, *, as_json: bool) -> int:
    line = " ".join(message.split())
    if as_json:
        print(json.dumps({"usable": False, "error": line}, ensure_ascii=False))
    print(f"error: {line}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
