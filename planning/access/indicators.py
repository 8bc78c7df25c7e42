"""Planning indicators per community and for the whole area, against a targets file.

Targets are data: one TOML file per plan or standard (``planning/targets/*.toml``), each a list
of ``[[indicator]]`` tables naming a metric below, its target and comparison (``op``, default
``">="``). An indicator without a target is reported only.

Metrics
-------
communities_with
    % of communities (optionally of ``kinds``) with a facility of ``category`` inside their
    polygon (with at least ``min_floor_area_m2`` of floor area in total when given).
groups_with
    % of streets / districts (``group`` column of communities) with such a facility in one of
    their communities. Without a district column the study area counts as one district.
floor_area_per_100_households
    Floor area of ``categories`` facilities per 100 households (area value: total area over
    total households; each community its own).
population_in_circle
    % of residents inside their circle, one row per analysed category.
group_in_circle
    % of each category's target group (60+, 0–6; :mod:`planning.access.groups`) inside its
    circle at the group's own speed, one row per analysed category that serves a group
    ("60岁以上老年人15分钟可达养老服务站比例"); no data where the group has no counts.
floor_area_tiers
    Size tiers by floor area of ``categories`` (``tiers``: ordered ``{key, below, name_zh,
    name_en}`` tables, the last without ``below``; a value falls in the first tier it is below):
    the tier of every community (its facilities' total) and facility (its own area) in the
    column ``floor_area_tier`` (``"unknown"`` where the area is not known), and one row per tier
    counting the communities and one counting the facilities in it. Report only.
complete_circle
    % of residents reaching every complete-circle category.
column_per_10k_population, column_per_community
    A count column of the communities layer (community workers, social organisations) per
    10,000 residents / per community.

Indicators whose data is absent (no households, no facilities of the category in the data, no
street column, …) get value NaN and pass ``None`` ("no data"), never a pass.
"""

from __future__ import annotations

import operator
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import DataError
from geo.dataset import Dataset
from geo.taxonomy import CATEGORIES
from planning.access.coverage import Coverage
from planning.access.demand import as_points, community_kinds, locate
from planning.access.groups import GROUPS
from planning.choices import DEFAULT_TARGETS
from planning.texts import Note, report_text

TARGETS_DIR = Path(__file__).resolve().parent.parent / "targets"
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}
_TOL = 1e-9
METRICS = ("communities_with", "groups_with", "floor_area_per_100_households", "population_in_circle",
           "complete_circle", "column_per_10k_population", "column_per_community", "group_in_circle",
           "floor_area_tiers")
#: Tier of a community or facility whose floor area is not known.
UNKNOWN_TIER = "unknown"
INDICATOR_COLUMNS = ["name", "name_zh", "name_en", "scope", "value", "target", "unit", "pass",
                     "communities_missing", "note"]


@dataclass
class Targets:
    """A targets file: its name, titles and indicator definitions."""

    name: str
    title_zh: str = ""
    title_en: str = ""
    indicators: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None
    #: The city whose plan the targets come from (empty for a national or general standard).
    city_zh: str = ""
    city_en: str = ""

    def title(self, lang: str = "zh") -> str:
        """The plan's title in ``lang`` (its name when the file gives none)."""
        text = self.title_en if lang == "en" else self.title_zh
        return text or self.title_zh or self.title_en or self.name

    def for_another_city(self, dataset: Dataset) -> bool:
        """Whether ``dataset`` lies outside the city these targets were set for.

        Read from the data set's name and titles: Xi'an judged against Ma'anshan's plan is.
        """
        cities = [c.casefold() for c in (self.city_zh, self.city_en) if c]
        if not cities:
            return False
        meta = getattr(dataset, "meta", {}) or {}
        words = " ".join(str(v) for v in (dataset.name, meta.get("title_zh"), meta.get("title_en"))
                         if v).casefold()
        return not any(city in words for city in cities)

    def notice(self, dataset: Dataset, lang: str = "zh") -> str:
        """What the targets are, in words, and plainly when they are another city's."""
        key = "targets.other_city" if self.for_another_city(dataset) else "targets.plan"
        meta = getattr(dataset, "meta", {}) or {}
        title = meta.get("title_en" if lang == "en" else "title_zh") or dataset.name
        city = (self.city_en or self.city_zh) if lang == "en" else (self.city_zh or self.city_en)
        return report_text(key, lang, plan=self.title(lang), dataset=title, city=city)


def available_targets() -> list[str]:
    """Names of the bundled targets files."""
    return sorted(p.stem for p in TARGETS_DIR.glob("*.toml"))


def load_targets(name_or_path: str | Path | None = None) -> Targets:
    """Read a targets file by bundled name (``"maanshan_14th_fyp"``) or path.

    Examples
    --------
    >>> load_targets("maanshan_14th_fyp").indicators[0]["name"]
    'service_facility_coverage'
    """
    key = DEFAULT_TARGETS if name_or_path is None else name_or_path
    path = Path(key)
    if not (path.suffix == ".toml" and path.is_file()):
        bundled = TARGETS_DIR / f"{key}.toml"
        if not bundled.is_file():
            raise DataError(f"no targets file named '{key}'", file=str(key),
                            fix=f"Give a .toml path or one of: {', '.join(available_targets())}")
        path = bundled
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not a valid TOML file ({exc})", file=path,
                        fix="Check the syntax against planning/targets/national_baseline.toml") from None
    entries = raw.get("indicator", [])
    if not isinstance(entries, list):
        raise DataError("'indicator' must be a list of [[indicator]] tables", file=path,
                        fix="Write each indicator as an [[indicator]] table")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "name" not in entry or "metric" not in entry:
            raise DataError(f"indicator {i + 1} has no name or metric", file=path,
                            fix="Give every [[indicator]] a name and a metric")
        if entry["metric"] not in METRICS:
            raise DataError(f"indicator '{entry['name']}' has unknown metric '{entry['metric']}'",
                            file=path, fix=f"Use one of: {', '.join(METRICS)}")
        if entry.get("op", ">=") not in _OPS:
            raise DataError(f"indicator '{entry['name']}' has unknown op '{entry['op']}'",
                            file=path, fix=f"Use one of: {', '.join(_OPS)}")
        for key_name in ("category",):
            if key_name in entry and entry[key_name] not in CATEGORIES:
                raise DataError(f"indicator '{entry['name']}' names unknown category "
                                f"'{entry[key_name]}'", file=path,
                                fix=f"Use keys from geo.taxonomy: {', '.join(CATEGORIES)}")
        if entry["metric"] == "floor_area_tiers":
            _check_tiers(entry, path)
        target = entry.get("target")
        if target is not None and not isinstance(target, (int, float)):
            raise DataError(f"indicator '{entry['name']}' has a non-numeric target", file=path,
                            fix="Write the target as a number (percentages as 0–100)")
    return Targets(name=str(raw.get("name", path.stem)), title_zh=str(raw.get("title_zh", "")),
                   title_en=str(raw.get("title_en", "")), indicators=entries, path=path,
                   city_zh=str(raw.get("city_zh", "")), city_en=str(raw.get("city_en", "")))


def _check_tiers(entry: Mapping[str, Any], path: Path) -> None:
    tiers = entry.get("tiers")
    fix = "Write tiers = [{key = ..., below = 200, name_zh = ..., name_en = ...}, …], the last without below"
    if not isinstance(tiers, list) or not tiers or not all(isinstance(t, dict) and "key" in t for t in tiers):
        raise DataError(f"indicator '{entry['name']}' needs a list of tiers", file=path, fix=fix)
    bounds = [t.get("below") for t in tiers]
    if bounds[-1] is not None or any(b is None or not isinstance(b, (int, float)) for b in bounds[:-1]) \
            or any(a >= b for a, b in zip(bounds[:-2], bounds[1:-1])):
        raise DataError(f"indicator '{entry['name']}': tiers must rise (below = a number, increasing) and "
                        "the last must have no below", file=path, fix=fix)


@dataclass
class IndicatorResult:
    """Indicator table for the area and per-community values.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per indicator: name, name_zh, name_en, scope, value, target, unit, pass
        (True/False/None), communities_missing (list of community ids), note.
    communities : pandas.DataFrame
        Index community_id; one column per community-level indicator value.
    missed : pandas.Series
        Per community, the list of indicator names it misses.
    facilities : pandas.DataFrame
        Index of the facilities layer; per-facility values (``floor_area_tier``), may be empty.
    """

    table: pd.DataFrame
    communities: pd.DataFrame
    missed: pd.Series
    facilities: pd.DataFrame = field(default_factory=pd.DataFrame)


def _passes(value: float, target: float | None, op: str) -> bool | None:
    if target is None or value is None or not np.isfinite(value):
        return None
    if op in (">=", ">"):
        return bool(_OPS[op](value + _TOL, target) if op == ">=" else value > target)
    if op in ("<=", "<"):
        return bool(_OPS[op](value - _TOL, target) if op == "<=" else value < target)
    return bool(abs(value - target) <= _TOL)


def _pass_each(values: pd.Series, target: float | None, op: str) -> pd.Series:
    return values.map(lambda v: _passes(float(v), target, op) if pd.notna(v) else None)


class _Context:
    """Shared lookups for all indicators of one data set."""

    def __init__(self, dataset: Dataset, cov: Coverage) -> None:
        self.dataset = dataset
        self.cov = cov
        com = dataset.communities
        self.ids = com["community_id"].astype(str).to_numpy() if len(com) else np.array([], dtype=object)
        self.kind = pd.Series(self.ids, index=self.ids).map(community_kinds(com)) if len(com) else \
            pd.Series([], dtype=object)
        fac = dataset.facilities
        self.fac_category = fac["category"].astype(str).to_numpy() if len(fac) else np.array([], dtype=object)
        geoms = as_points(fac.geometry) if len(fac) else gpd.GeoSeries([])
        self.fac_community = locate(geoms, com).to_numpy() if len(fac) else np.array([], dtype=object)
        self.fac_area = (pd.to_numeric(fac["floor_area_m2"], errors="coerce").to_numpy(dtype=float)
                         if "floor_area_m2" in fac.columns else np.full(len(fac), np.nan))
        by_community = cov.population.groupby(cov.community_id).sum()
        by_community.index = by_community.index.astype(str)
        self.population = by_community.reindex(self.ids).fillna(0.0)
        self.population.index = self.ids

    def has_category(self, category: str) -> bool:
        """Whether the data carry this category (facilities present or asked for explicitly)."""
        return bool((self.fac_category == category).any()) or category in self.cov.categories

    def column(self, name: str) -> pd.Series | None:
        com = self.dataset.communities
        if name not in com.columns:
            return None
        values = pd.to_numeric(com[name], errors="coerce")
        values.index = self.ids
        return None if values.isna().all() else values

    def select(self, kinds: list[str] | None) -> np.ndarray:
        if not kinds:
            return np.ones(len(self.ids), dtype=bool)
        return self.kind.isin(kinds).to_numpy()

    def area_in(self, categories: list[str]) -> tuple[pd.Series, pd.Series]:
        """Per community: total floor area of these categories, and facility count."""
        sel = np.isin(self.fac_category, categories) & pd.notna(self.fac_community)
        frame = pd.DataFrame({"c": self.fac_community[sel], "a": self.fac_area[sel]})
        area = frame.groupby("c")["a"].sum()
        # A community with a facility of unknown floor area has an unknown total.
        unknown = frame.loc[frame["a"].isna(), "c"].unique()
        area = area.reindex(self.ids).fillna(0.0)
        area[area.index.isin(unknown)] = np.nan
        count = frame.groupby("c").size().reindex(self.ids).fillna(0).astype(int)
        return area, count


def indicators(dataset: Dataset, cov: Coverage, targets: Targets | str | Path | None = None) -> IndicatorResult:
    """Compute every indicator of a targets file.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    cov : planning.access.coverage.Coverage
    targets : Targets or name or path, optional
        Default: ``national_baseline``.

    Returns
    -------
    IndicatorResult
    """
    if not isinstance(targets, Targets):
        targets = load_targets(targets)
    ctx = _Context(dataset, cov)
    rows: list[dict[str, Any]] = []
    per_community: dict[str, pd.Series] = {}
    per_facility: dict[str, pd.Series] = {}
    missed: dict[str, list[str]] = {cid: [] for cid in ctx.ids}
    for spec in targets.indicators:
        if spec["metric"] == "floor_area_tiers":
            tier_rows, community_tier, facility_tier = _tiers(ctx, spec)
            rows.extend(tier_rows)
            per_community["floor_area_tier"] = community_tier
            per_facility["floor_area_tier"] = facility_tier
            continue
        for row, values in _compute(ctx, spec):
            rows.append(row)
            if values is not None:
                per_community[row["name"]] = values
            for cid in row["communities_missing"]:
                if cid in missed:
                    missed[cid].append(row["name"])
    table = pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
    table["value"] = table["value"].astype(float)
    table["target"] = table["target"].astype(float)
    table["pass"] = table["pass"].astype(object)
    # Notes stay Note objects (object column) so the app can show them in the user's language.
    table["note"] = pd.Series([row["note"] for row in rows], index=table.index, dtype=object)
    communities = pd.DataFrame(per_community, index=pd.Index(ctx.ids, name="community_id"))
    return IndicatorResult(table=table, communities=communities,
                           missed=pd.Series(missed, dtype=object).reindex(ctx.ids),
                           facilities=pd.DataFrame(per_facility, index=dataset.facilities.index))


def _row(spec: Mapping[str, Any], *, name: str | None = None, scope: str, value: float,
         missing: list[str] | None = None, note: Note = Note(""), name_zh: str | None = None,
         name_en: str | None = None) -> dict[str, Any]:
    target = spec.get("target")
    target_f = float(target) if target is not None else np.nan
    value = float(value) if value is not None else np.nan
    ok = _passes(value, None if target is None else target_f, spec.get("op", ">="))
    if not np.isfinite(value) and not note:
        note = Note.of("indicators.no_data")
    elif target is None and not note:
        note = Note.of("indicators.no_target")
    return {
        "name": name or spec["name"],
        "name_zh": name_zh or spec.get("name_zh", spec["name"]),
        "name_en": name_en or spec.get("name_en", spec["name"]),
        "scope": scope,
        "value": value,
        "target": target_f,
        "unit": spec.get("unit", ""),
        "pass": ok,
        "communities_missing": list(missing or []) if np.isfinite(value) else [],
        "note": note,
    }


def _failing(values: pd.Series, spec: Mapping[str, Any]) -> list[str]:
    if spec.get("target") is None:
        return []
    ok = _pass_each(values, float(spec["target"]), spec.get("op", ">="))
    return [str(i) for i, v in ok.items() if v is False]


def _compute(ctx: _Context, spec: Mapping[str, Any]) -> list[tuple[dict[str, Any], pd.Series | None]]:
    metric = spec["metric"]
    kinds = spec.get("kinds")
    sel = ctx.select(kinds)
    no_communities = len(ctx.ids) == 0 or not sel.any()
    if metric == "communities_with":
        cat = spec["category"]
        if no_communities or not ctx.has_category(cat):
            return [(_row(spec, scope="community", value=np.nan), None)]
        area, count = ctx.area_in([cat])
        if "min_floor_area_m2" in spec:
            has = (area >= float(spec["min_floor_area_m2"]) - _TOL).astype(float)
            has[area.isna()] = np.nan
        else:
            has = (count > 0).astype(float)
        values = (100.0 * has)[sel]
        known = values.dropna()
        value = float(known.mean()) if len(known) else np.nan
        note = (Note.of("indicators.unknown_floor_area", n=int(values.isna().sum())) if values.isna().any()
                else Note(""))
        return [(_row(spec, scope="community", value=value, missing=_failing(values, spec), note=note),
                 values)]
    if metric == "groups_with":
        cat, group = spec["category"], spec.get("group", "street")
        if no_communities or not ctx.has_category(cat):
            return [(_row(spec, scope=group, value=np.nan), None)]
        com = ctx.dataset.communities
        groups = (com[group].astype("object") if group in com.columns else
                  pd.Series([None] * len(com), dtype=object)).to_numpy()
        notes: list[Note] = []
        if pd.isna(groups).all():
            if group != "district":
                return [(_row(spec, scope=group, value=np.nan, note=Note.of("indicators.no_group_column", group=group)),
                         None)]
            groups = np.full(len(com), "(study area)", dtype=object)
            notes.append(Note.of("indicators.one_district"))
        groups = pd.Series(groups, index=ctx.ids)[sel]
        _, count = ctx.area_in([cat])
        per_group = count[sel].groupby(groups.to_numpy()).sum()
        ok_groups = set(per_group.index[per_group > 0])
        value = 100.0 * len(ok_groups) / len(per_group) if len(per_group) else np.nan
        if groups.isna().any():
            notes.append(Note.of("indicators.without_group", n=int(groups.isna().sum()), group=group))
        missing = [cid for cid, g in groups.items() if pd.notna(g) and g not in ok_groups]
        return [(_row(spec, scope=group, value=value, missing=missing, note=Note.joined(notes)), None)]
    if metric == "floor_area_per_100_households":
        cats = list(spec.get("categories", ["community_service_center"]))
        households = ctx.column("households")
        if no_communities or households is None or not any(ctx.has_category(c) for c in cats):
            return [(_row(spec, scope="community", value=np.nan), None)]
        area, _ = ctx.area_in(cats)
        with np.errstate(invalid="ignore", divide="ignore"):
            per = (100.0 * area / households.where(households > 0))[sel]
        both = per.notna()
        total_h = float(households[sel][both].sum())
        value = 100.0 * float(area[sel][both].sum()) / total_h if total_h > 0 else np.nan
        unknown = int((~both).sum())
        note = Note.of("indicators.unknown_households", n=unknown) if unknown else Note("")
        # The area total is only known when every facility of these categories has its area.
        # A hashed look-up: np.isin compares str with object arrays pair by pair (minutes at 10^5).
        fac_sel = np.isin(ctx.fac_category, cats) & pd.Series(ctx.fac_community.astype(str)).isin(
            ctx.ids[sel]).to_numpy()
        no_area = int(np.isnan(ctx.fac_area[fac_sel]).sum())
        if no_area:
            value = np.nan
            note = Note.of("indicators.no_floor_area", n=no_area)
        return [(_row(spec, scope="community", value=value, missing=_failing(per, spec), note=note), per)]
    if metric == "population_in_circle":
        out = []
        summary = ctx.cov.category_summary()
        wanted = spec.get("categories", ctx.cov.categories)
        for cat in wanted:
            name = f"{spec['name']}_{cat}"
            label = CATEGORIES[cat] if cat in CATEGORIES else None
            zh = f"{spec.get('name_zh', spec['name'])}：{label.zh if label else cat}"
            en = f"{spec.get('name_en', spec['name'])}: {label.en if label else cat}"
            if cat not in ctx.cov.categories:
                out.append((_row(spec, name=name, name_zh=zh, name_en=en, scope="population",
                                 value=np.nan), None))
                continue
            value = float(summary.loc[cat, "coverage_pct"])
            per = _community_pct(ctx, ctx.cov.covered[cat])
            out.append((_row(spec, name=name, name_zh=zh, name_en=en, scope="population", value=value,
                             missing=_failing(per, spec)), None))
        return out
    if metric == "group_in_circle":
        return _group_rows(ctx, spec)
    if metric == "complete_circle":
        if not ctx.cov.complete_categories:
            return [(_row(spec, scope="population", value=np.nan), None)]
        value = ctx.cov.complete_summary()["coverage_pct"]
        per = _community_pct(ctx, ctx.cov.complete)
        note = Note.of("indicators.complete_categories", categories=", ".join(ctx.cov.complete_categories))
        if spec.get("target") is None:
            note = Note.joined([note, Note.of("indicators.no_target")])
        return [(_row(spec, scope="population", value=value, missing=_failing(per, spec), note=note), None)]
    if metric in ("column_per_10k_population", "column_per_community"):
        column = spec["column"]
        values = ctx.column(column)
        if no_communities or values is None:
            return [(_row(spec, scope="community", value=np.nan, note=Note.of("indicators.no_column", column=column)),
                     None)]
        values = values[sel]
        if metric == "column_per_10k_population":
            pop = ctx.population[sel]
            with np.errstate(invalid="ignore", divide="ignore"):
                per = 10_000.0 * values / pop.where(pop > 0)
            known = values.notna() & (pop > 0)
            value = 10_000.0 * float(values[known].sum()) / float(pop[known].sum()) if known.any() else np.nan
        else:
            per = values
            value = float(values.mean()) if values.notna().any() else np.nan
        return [(_row(spec, scope="community", value=value, missing=_failing(per, spec)), per)]
    raise DataError(f"unknown metric '{metric}'", fix=f"Use one of: {', '.join(METRICS)}")


def _community_pct(ctx: _Context, flags: pd.Series) -> pd.Series:
    """Population share (%) of each community with the flag set (NaN without residents)."""
    flagged = (ctx.cov.population * flags.astype(float)).groupby(ctx.cov.community_id).sum()
    flagged.index = flagged.index.astype(str)
    flagged = flagged.reindex(ctx.ids).fillna(0.0)
    flagged.index = ctx.ids
    total = ctx.population
    with np.errstate(invalid="ignore", divide="ignore"):
        return (100.0 * flagged / total.where(total > 0))


def _circle_words(ctx: _Context) -> tuple[str, str]:
    """How the circle reads in an indicator name: "15分钟"/"within 15 minutes", or the circle."""
    rural = ctx.cov.kind.to_numpy() == "rural"
    if not rural.any() or rural.all():
        minutes = ctx.cov.rural_circle_minutes if rural.any() else ctx.cov.urban_circle_minutes
        return f"{minutes:g}分钟", f"within {minutes:g} minutes"
    return "服务圈内", "within their circle"


def _group_rows(ctx: _Context, spec: Mapping[str, Any]) -> list[tuple[dict[str, Any], pd.Series | None]]:
    """Rows of the ``group_in_circle`` metric: each category's target group inside its circle."""
    cov = ctx.cov
    wanted = spec.get("categories", [c for c in cov.categories if cov.group_of(c) != "all"])
    summary = cov.group_summary()
    zh_time, en_time = _circle_words(ctx)
    out: list[tuple[dict[str, Any], pd.Series | None]] = []
    for cat in wanted:
        label = CATEGORIES[cat] if cat in CATEGORIES else None
        group = GROUPS.get(cov.group_of(cat), GROUPS["all"])
        name = f"{spec['name']}_{cat}"
        zh = f"{group.zh}{zh_time}可达{label.zh if label else cat}比例"
        en = f"{group.en[0].upper()}{group.en[1:]} reaching {label.en.lower() if label else cat} {en_time}"
        if cat not in cov.categories or (group.key != "all" and group.key not in cov.group_counts):
            note = (Note.of(f"groups.{group.key}_missing", categories=cat) if group.key != "all" and
                    cat in cov.categories else Note(""))
            out.append((_row(spec, name=name, name_zh=zh, name_en=en, scope="population", value=np.nan,
                             note=note), None))
            continue
        weight = cov.group_weight(cat)
        per = _community_share(ctx, weight, cov.group_covered(cat))
        out.append((_row(spec, name=name, name_zh=zh, name_en=en, scope="population",
                         value=float(summary.loc[cat, "group_coverage_pct"]), missing=_failing_all(per, spec)), None))
    return out


def _failing_all(values: pd.Series, spec: Mapping[str, Any]) -> list[str]:
    """:func:`_failing` for many communities at once (the same comparisons, with the same slack)."""
    if spec.get("target") is None:
        return []
    target, op = float(spec["target"]), spec.get("op", ">=")
    v = values.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        ok = {">=": v + _TOL >= target, ">": v > target, "<=": v - _TOL <= target, "<": v < target,
              "==": np.abs(v - target) <= _TOL}[op]
    return [str(i) for i in values.index[np.isfinite(v) & ~ok]]


def _community_share(ctx: _Context, weight: pd.Series, flags: pd.Series) -> pd.Series:
    """Share (%) of ``weight`` with the flag set, per community (NaN where the weight is 0)."""
    if "_sums" not in ctx.__dict__:
        ctx.__dict__["_sums"] = ctx.cov.community_sums(ctx.ids)
    per = ctx.__dict__["_sums"]
    w = weight.to_numpy(dtype=float)
    f = w * flags.to_numpy(dtype=float)
    whole, part = per(w), per(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(whole > 0, 100.0 * part / np.where(whole > 0, whole, 1.0), np.nan), index=ctx.ids)


def _tier_of(area: np.ndarray, tiers: list[dict[str, Any]]) -> np.ndarray:
    """Tier key of each floor area (the first tier it is below), ``unknown`` where NaN."""
    keys = np.array([str(t["key"]) for t in tiers] + [UNKNOWN_TIER], dtype=object)
    bounds = np.array([float(t["below"]) for t in tiers[:-1]])
    position = np.searchsorted(bounds, area, side="right")
    position[np.isnan(area)] = len(tiers)
    return keys[position]


def _tiers(ctx: _Context, spec: Mapping[str, Any]) -> tuple[list[dict[str, Any]], pd.Series, pd.Series]:
    """Rows counting communities and facilities per tier, and the tier of each."""
    tiers = list(spec["tiers"])
    cats = list(spec.get("categories", ["community_service_center"]))
    area, _ = ctx.area_in(cats)
    community_tier = pd.Series(_tier_of(area.to_numpy(dtype=float), tiers), index=ctx.ids, dtype=object)
    is_cat = np.isin(ctx.fac_category, cats)
    facility_tier = np.full(len(ctx.fac_category), None, dtype=object)
    facility_tier[is_cat] = _tier_of(ctx.fac_area[is_cat], tiers)
    described = "; ".join(f"{t.get('name_en', t['key'])}" for t in tiers)
    rows = []
    for scope, values, zh_what, en_what in (("community", community_tier.to_numpy(), "社区数", "communities"),
                                            ("facility", facility_tier[is_cat], "设施数", "facilities")):
        shown = tiers + ([{"key": UNKNOWN_TIER, "name_zh": "面积未知", "name_en": "floor area unknown"}]
                         if (values == UNKNOWN_TIER).any() else [])
        for tier in shown:
            count = float((values == tier["key"]).sum()) if len(ctx.ids) else np.nan
            key = str(tier["key"])
            tier_spec = {**{k: v for k, v in spec.items() if k != "target"}, "unit": spec.get("unit", "个")}
            rows.append(_row(tier_spec, name=f"{spec['name']}_{scope}_{key}", scope=scope, value=count,
                             name_zh=f"{spec.get('name_zh', spec['name'])}：{tier.get('name_zh', key)}（{zh_what}）",
                             name_en=f"{spec.get('name_en', spec['name'])}: {tier.get('name_en', key)} ({en_what})",
                             note=Note.of("indicators.tiers", tiers=described)))
    return rows, community_tier, pd.Series(facility_tier, index=ctx.dataset.facilities.index, dtype=object)
