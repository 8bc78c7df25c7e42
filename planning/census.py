"""The 2020 census by county: residents, urban share, age structure and household size.

The bundled table ``data/census_cn_2020.csv`` holds the 2,990 county-level units of mainland China
(counties, districts, county-level cities, keyed by their 6-digit administrative code) as published
in the National Bureau of Statistics' *Tabulation on the 2020 Population Census of China by County*
(中国人口普查分县资料—2020), taken from the public repository thebamboogrove/tudigong (MIT). It is
built by ``scripts/build_data.py`` from ``../shared/data/census_cn_2020`` (:func:`county_table_from_raw`).
Whatever uses it shows :data:`ATTRIBUTION`.

Age shares are fractions of the residents: the published 0–14, 15–64 and 65+ aggregates and the
bands 0, 1–4, 5–9, …, 80–84, 85+. Two groups the plans name are derived from them:

60+ (``share_60_plus``)
    ``age_60_64 + age_65p`` (both published; no assumption).
0–6 (``share_0_6``)
    ``age_0 + age_1_4 + 2/5 · age_5_9``: the ages 0 to 6 are the band 0, the band 1–4 and two of
    the five single years (5 and 6) of the band 5–9, taken as equally populated within the band
    (the census gives no single years by county).

Examples
--------
>>> c = county("340521")
>>> c.name, c.residents, c.share_60_plus
('当涂县', 446991, 0.2136)
>>> round(c.share_0_6, 4)   # 0.0085 + 0.0439 + 2/5 × 0.0489, the bands of 当涂县
0.072
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import DataError
from planning.choices import DATA_DIR

#: The bundled county table.
CENSUS_FILE = DATA_DIR / "census_cn_2020.csv"
#: Attribution to show wherever the census figures are used.
ATTRIBUTION = "2020 census by county (NBS), via thebamboogrove/tudigong (MIT)"
ATTRIBUTION_ZH = "第七次全国人口普查分县资料（国家统计局），经 thebamboogrove/tudigong（MIT）整理"
#: Age bands of the table (fractions of the residents), youngest first.
BANDS: tuple[str, ...] = (
    "age_0", "age_1_4", "age_5_9", "age_10_14", "age_15_19", "age_20_24", "age_25_29", "age_30_34",
    "age_35_39", "age_40_44", "age_45_49", "age_50_54", "age_55_59", "age_60_64", "age_65_69",
    "age_70_74", "age_75_79", "age_80_84", "age_85p",
)
AGGREGATES: tuple[str, ...] = ("age_0_14", "age_15_64", "age_65p")
COLUMNS: tuple[str, ...] = ("code", "name", "residents", "urban_share", "household_size", *AGGREGATES, *BANDS)
#: Share of the band 5–9 that is aged 5 or 6 (two of its five years, equally populated).
AGES_5_6_OF_5_9 = 2 / 5
#: An average household above this many persons is a slip in the source, not a figure.
MAX_HOUSEHOLD_SIZE = 10.0
#: Largest gap between 1 and the sum of the 0–14, 15–64 and 65+ shares that is rounding.
AGE_SUM_TOLERANCE = 0.01
#: Province-level units by the first two digits of the code.
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}
# Raw file → bundled column names (``../shared/data/census_cn_2020``).
_RAW_AGES = {"AGES_0-14": "age_0_14", "AGES_15-64": "age_15_64", "AGES_65P": "age_65p", "AGES_0": "age_0",
             "AGES_1-4": "age_1_4", "AGES_85P": "age_85p",
             **{f"AGES_{lo}-{lo + 4}": f"age_{lo}_{lo + 4}" for lo in range(5, 85, 5)}}
_RAW_FILES = {"population.csv": {"POPU": "residents", "POPU_URB": "urban_share"},
              "ages.csv": _RAW_AGES, "households.csv": {"HHLD_S": "household_size"}}


@dataclass(frozen=True)
class County:
    """One county-level unit of the 2020 census (or a population-weighted mix of several).

    Shares are fractions (0–1); ``None`` where the census gives no figure.
    """

    code: str
    name: str
    province: str
    residents: int | None
    urban_share: float | None
    household_size: float | None
    share_60_plus: float | None
    share_0_6: float | None
    share_0_14: float | None
    share_65_plus: float | None

    def share(self, group: str) -> float | None:
        """Share of a target group (``"elderly"`` 60+, ``"children"`` 0–6)."""
        return {"elderly": self.share_60_plus, "children": self.share_0_6}.get(group)

    @property
    def label(self) -> str:
        """``当涂县（安徽省，340521）``: how a planner finds the county in a list."""
        return _label(self.name, self.province, self.code)


def _label(name: str, province: str, code: str) -> str:
    return f"{name}（{province}，{code}）" if province else f"{name}（{code}）"


@lru_cache(maxsize=1)
def counties() -> pd.DataFrame:
    """The bundled county table, indexed by code, with the derived 60+ and 0–6 shares."""
    if not CENSUS_FILE.is_file():
        raise DataError("the county table of the 2020 census is missing", file=CENSUS_FILE,
                        fix="Rebuild it: python scripts/build_data.py --only census")
    return with_derived(pd.read_csv(CENSUS_FILE, dtype={"code": str, "name": str}, encoding="utf-8"))


def with_derived(table: pd.DataFrame) -> pd.DataFrame:
    """A county table (columns :data:`COLUMNS`) indexed by code, plus ``share_60_plus``,
    ``share_0_6`` (derived as the module says) and ``province``."""
    table = table.set_index("code", drop=False)
    table["share_60_plus"] = table["age_60_64"] + table["age_65p"]
    table["share_0_6"] = table["age_0"] + table["age_1_4"] + AGES_5_6_OF_5_9 * table["age_5_9"]
    table["province"] = table["code"].str[:2].map(PROVINCES).fillna("")
    return table


def _value(row: pd.Series, column: str) -> float | None:
    value = row[column]
    return None if pd.isna(value) else float(value)


def county(code: str | int, *, table: pd.DataFrame | None = None) -> County:
    """The census figures of one county by its 6-digit code.

    ``table`` (from :func:`with_derived`) replaces the bundled table, e.g. while it is being built.

    Raises
    ------
    geo._errors.DataError
        The code is not a county of the table, or the census gives no figures for it.
    """
    key = str(code).strip()
    table = counties() if table is None else table
    if not (len(key) == 6 and key.isdigit()) or key not in table.index:
        raise DataError(f"no county with the code '{key}' in the 2020 census table", file=CENSUS_FILE.name,
                        fix="Give the 6-digit administrative code of a county, district or county-level "
                            "city, e.g. 340521 for 当涂县")
    row = table.loc[key]
    if pd.isna(row["residents"]):
        raise DataError(f"the 2020 census gives no figures for {row['name']} ({key})", file=CENSUS_FILE.name,
                        fix="Give the population groups as columns of the population layer instead")
    return County(code=key, name=str(row["name"]), province=str(row["province"]),
                  residents=int(row["residents"]), urban_share=_value(row, "urban_share"),
                  household_size=_value(row, "household_size"), share_60_plus=_value(row, "share_60_plus"),
                  share_0_6=_value(row, "share_0_6"), share_0_14=_value(row, "age_0_14"),
                  share_65_plus=_value(row, "age_65p"))


def combined(codes: Iterable[str], *, name: str, table: pd.DataFrame | None = None) -> County:
    """Several counties taken together: shares weighted by residents, households added up.

    The household size is the residents of all of them over their households (each county's
    residents over its own household size), i.e. the average household of the combined area.

    Examples
    --------
    >>> mix = combined(["610102", "610103", "610104"], name="新城/碑林/莲湖")
    >>> mix.residents, round(mix.household_size, 4)
    (2393928, 2.1945)
    """
    parts = [county(c, table=table) for c in codes]
    if not parts:
        raise ValueError("combined() needs at least one county code.")
    weight = np.array([p.residents for p in parts], dtype=float)

    def mean(values: list[float | None]) -> float | None:
        if any(v is None for v in values):
            return None
        return float(np.dot(weight, values) / weight.sum())

    sizes = [p.household_size for p in parts]
    size = None if any(s is None for s in sizes) else float(weight.sum() / sum(w / s for w, s in zip(weight, sizes)))
    return County(code="+".join(p.code for p in parts), name=name, province=parts[0].province,
                  residents=int(weight.sum()), urban_share=mean([p.urban_share for p in parts]),
                  household_size=size, share_60_plus=mean([p.share_60_plus for p in parts]),
                  share_0_6=mean([p.share_0_6 for p in parts]), share_0_14=mean([p.share_0_14 for p in parts]),
                  share_65_plus=mean([p.share_65_plus for p in parts]))


def county_choices() -> list[tuple[str, str]]:
    """``(code, label)`` of every county with figures, in code order (the app's searchable list)."""
    table = counties()
    known = table[table["residents"].notna()]
    labels = [_label(n, p, c) for c, n, p in zip(known["code"], known["name"], known["province"])]
    return list(zip(known["code"].tolist(), labels))


def county_table_from_raw(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """The bundled table from the raw files of ``../shared/data/census_cn_2020``.

    Joins ``population.csv``, ``ages.csv`` and ``households.csv`` on the code, keeping the columns
    of :data:`COLUMNS` as published. Cells the source marks as errors (``#DIV/0!`` for 金门县,
    which the census did not enumerate) stay empty, and so does an average household size above
    :data:`MAX_HOUSEHOLD_SIZE` (路北区 130203 is given as 225 persons, a slip in the source).

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`, one row per code, in the order of the source.
    emptied : list of str
        What was left empty, one line each (for the build summary and the README).
    """
    frames = []
    for file, renames in _RAW_FILES.items():
        path = Path(folder) / file
        if not path.is_file():
            raise DataError("raw census file not found", file=path,
                            fix="pass --shared pointing at the shared data folder (../shared/data)")
        raw = pd.read_csv(path, dtype={"CODE": str, "NAME": str}, encoding="utf-8-sig", na_values=["#DIV/0!"])
        missing = [c for c in ("CODE", "NAME", *renames) if c not in raw.columns]
        if missing:
            raise DataError(f"column(s) {', '.join(missing)} missing", file=path,
                            fix="Use the unchanged files of thebamboogrove/tudigong (folder input/)")
        part = raw[["CODE", "NAME", *renames]].rename(columns={"CODE": "code", "NAME": "name", **renames})
        frames.append(part.set_index("code"))
    first = frames[0]
    for other, file in zip(frames[1:], list(_RAW_FILES)[1:]):
        if list(other.index) != list(first.index) or not (other["name"] == first["name"]).all():
            raise DataError("the files list different counties", file=Path(folder) / file,
                            fix="Use the three files of one snapshot of thebamboogrove/tudigong")
    table = pd.concat([first] + [f.drop(columns="name") for f in frames[1:]], axis=1).reset_index()
    emptied = [f"{n} ({c}): no census figures" for c, n in
               zip(table.loc[table["residents"].isna(), "code"], table.loc[table["residents"].isna(), "name"])]
    odd = table["household_size"] > MAX_HOUSEHOLD_SIZE
    emptied += [f"{n} ({c}): household size {s:g} in the source is not an average household, left empty"
                for c, n, s in zip(table.loc[odd, "code"], table.loc[odd, "name"], table.loc[odd, "household_size"])]
    table.loc[odd, "household_size"] = np.nan
    # Age shares are fractions of the residents: where the three aggregates do not add up to
    # one, the source divided by another total (扎赉诺尔区 150703: 0.4578), so none can be used.
    ages = [*AGGREGATES, *BANDS]
    off = (table[list(AGGREGATES)].sum(axis=1) - 1.0).abs() > AGE_SUM_TOLERANCE
    off &= table["residents"].notna()
    emptied += [f"{n} ({c}): age shares add up to {t:.4f} in the source, not 1, left empty"
                for c, n, t in zip(table.loc[off, "code"], table.loc[off, "name"],
                                   table.loc[off, list(AGGREGATES)].sum(axis=1))]
    table.loc[off, ages] = np.nan
    table["residents"] = table["residents"].astype("Int64")
    return table[list(COLUMNS)], emptied
