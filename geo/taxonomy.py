"""Facility categories of the community-service plans, with labels, colours, icons and OSM tags.

The keys are the ones data sets use in the ``category`` column of the facilities layer.

Examples
--------
>>> from geo.taxonomy import CATEGORIES, category_from_osm_tags, label
>>> label("elderly_care")
'养老服务站'
>>> category_from_osm_tags({"amenity": "clinic"})
'health'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

Language = Literal["zh", "en"]


@dataclass(frozen=True)
class Category:
    """One kind of community service facility.

    Attributes
    ----------
    key : str
        Value of the ``category`` column.
    zh, en : str
        Labels for maps, tables and reports.
    color : str
        Hex colour, distinct between categories.
    icon : str
        Font Awesome 4 icon name (as folium's ``Icon(prefix="fa")`` expects).
    osm_tags : tuple of (str, str)
        OSM ``(key, value)`` pairs that mark a feature of this category; value ``"*"`` means any.
    """

    key: str
    zh: str
    en: str
    color: str
    icon: str
    osm_tags: tuple[tuple[str, str], ...] = ()


def _cat(key: str, zh: str, en: str, color: str, icon: str,
         *tags: tuple[str, str]) -> tuple[str, Category]:
    return key, Category(key, zh, en, color, icon, tuple(tags))


CATEGORIES: dict[str, Category] = dict([
    _cat("community_service_center", "社区综合服务设施", "Community service centre", "#d62728",
         "home", ("amenity", "community_centre")),
    _cat("community_living_room", "社区客厅", "Community living room", "#ff7f0e", "coffee",
         ("community_centre", "community_living_room")),
    _cat("elderly_care", "养老服务站", "Elderly care station", "#8c564b", "heart",
         ("social_facility:for", "senior"), ("amenity", "nursing_home"),
         ("social_facility", "nursing_home"), ("social_facility", "assisted_living"),
         ("social_facility", "day_care")),
    _cat("meal_aid", "老年助餐点", "Meal aid point for the elderly", "#bcbd22", "cutlery",
         ("social_facility", "food_bank"), ("social_facility", "soup_kitchen")),
    _cat("health", "社区卫生服务站", "Community health station", "#e377c2", "medkit",
         ("amenity", "doctors"), ("amenity", "clinic"), ("healthcare", "clinic"),
         ("healthcare", "doctor"), ("amenity", "health_post"), ("healthcare", "centre")),
    _cat("childcare", "托育/幼儿园", "Childcare and kindergarten", "#17becf", "child",
         ("amenity", "kindergarten"), ("amenity", "childcare")),
    _cat("culture", "综合文化服务中心", "Cultural service centre", "#9467bd", "book",
         ("amenity", "library"), ("amenity", "arts_centre")),
    _cat("sports", "全民健身场地", "Sports and fitness ground", "#2ca02c", "futbol-o",
         ("leisure", "sports_centre"), ("leisure", "pitch"), ("leisure", "fitness_station"),
         ("leisure", "fitness_centre")),
    _cat("social_work_station", "社工站", "Social work station", "#1f77b4", "users",
         ("social_facility", "outreach"), ("amenity", "social_facility")),
    _cat("volunteer_station", "志愿服务站点", "Volunteer service point", "#aec7e8", "hand-paper-o",
         ("office", "association")),
    _cat("convenience_retail", "便民商业", "Convenience retail", "#ffbb78", "shopping-cart",
         ("shop", "supermarket"), ("shop", "convenience"), ("shop", "greengrocer"),
         ("shop", "bakery"), ("shop", "hairdresser"), ("amenity", "marketplace"),
         ("shop", "butcher"), ("craft", "shoemaker"), ("shop", "repair")),
    _cat("express", "快递点", "Parcel and post point", "#7f7f7f", "truck",
         ("amenity", "post_office"), ("amenity", "parcel_locker"), ("amenity", "post_depot")),
    _cat("emergency_shelter", "应急避难场所", "Emergency shelter", "#98df8a", "life-ring",
         ("emergency", "assembly_point"), ("amenity", "shelter")),
    _cat("police", "警务室", "Police office", "#393b79", "shield",
         ("amenity", "police")),
    _cat("legal_service", "法律服务", "Legal service", "#c49c94", "balance-scale",
         ("office", "lawyer"), ("office", "notary")),
    _cat("government_service", "便民服务中心", "Public service centre", "#637939", "university",
         ("amenity", "townhall"), ("office", "government")),
])

#: Categories every resident should reach within the circle ("complete circle").
ESSENTIAL_CATEGORIES: tuple[str, ...] = (
    "community_service_center", "elderly_care", "health", "childcare", "culture", "sports",
    "convenience_retail",
)

# Tags checked before the generic ones: a social facility for seniors is elderly care whatever
# its social_facility value; a shelter is only an emergency shelter when it says so.
_PRIORITY: tuple[tuple[str, str, str], ...] = (
    ("social_facility:for", "senior", "elderly_care"),
    ("social_facility:for", "elderly", "elderly_care"),
    ("social_facility", "food_bank", "meal_aid"),
    ("social_facility", "soup_kitchen", "meal_aid"),
    ("social_facility", "outreach", "social_work_station"),
    ("social_facility", "nursing_home", "elderly_care"),
    ("social_facility", "assisted_living", "elderly_care"),
    ("social_facility", "day_care", "elderly_care"),  # 日间照料中心
    ("community_centre", "community_living_room", "community_living_room"),
)
# Any other social facility (group home, shelter, …) is closest to a social-work station.
_GENERIC_SOCIAL = "social_work_station"
# Keys whose matches are decided in _PRIORITY only (they qualify other tags).
_PRIORITY_ONLY_KEYS = frozenset({"social_facility:for", "social_facility", "community_centre"})


def category_from_osm_tags(tags: Mapping[str, str]) -> str | None:
    """Category key for a feature's OSM tags, or ``None`` when it is not a community service.

    Parameters
    ----------
    tags : mapping
        OSM tags of one node, way or relation.

    Returns
    -------
    str or None

    Examples
    --------
    >>> category_from_osm_tags({"amenity": "social_facility", "social_facility:for": "senior"})
    'elderly_care'
    >>> category_from_osm_tags({"shop": "supermarket"})
    'convenience_retail'
    >>> category_from_osm_tags({"highway": "residential"}) is None
    True
    """
    for key, value, category_key in _PRIORITY:
        if tags.get(key) == value:
            return category_key
    for category in CATEGORIES.values():
        for key, value in category.osm_tags:
            if key in _PRIORITY_ONLY_KEYS:
                continue
            got = tags.get(key)
            if got is not None and (value == "*" or got == value):
                return category.key
    # amenity=social_facility or any social_facility=* not matched above
    if tags.get("amenity") == "social_facility" or "social_facility" in tags:
        return _GENERIC_SOCIAL
    return None


def label(key: str, lang: Language = "zh") -> str:
    """Label of a category in Chinese (``"zh"``) or English (``"en"``).

    Unknown keys are returned as they are, so a table never shows an empty name.
    """
    category = CATEGORIES.get(key)
    if category is None:
        return key
    return category.en if lang == "en" else category.zh


#: Kinds of community: urban communities get the urban circle, rural villages the rural one.
COMMUNITY_KINDS: tuple[str, ...] = ("urban", "rural")
#: Name endings that say the kind when a community layer has no kind column (DESIGN.md layers).
RURAL_NAME_ENDINGS: tuple[str, ...] = ("村", "村委会", "村民委员会")
URBAN_NAME_ENDINGS: tuple[str, ...] = ("社区", "居委会", "居民委员会", "社区居委会")


def kind_from_name(names: pd.Series) -> pd.Series:
    """Community kind read from the name: …村 → ``"rural"``, …社区 → ``"urban"``, else ``""``.

    The one rule for a community without a kind; callers decide what an unclear name becomes
    (the validator takes it as urban and says so).

    Examples
    --------
    >>> kind_from_name(pd.Series(["采石村", "花山社区", "新区"])).tolist()
    ['rural', 'urban', '']
    """
    # One pass in Python: communities are few, and this module stays light to import.
    return names.astype(str).str.strip().map(
        lambda n: "rural" if n.endswith(RURAL_NAME_ENDINGS) else "urban" if n.endswith(URBAN_NAME_ENDINGS) else ""
    ).astype(object)


#: Other names planners write in a ``category`` column, mapped to category keys (the keys, the
#: zh and en labels are accepted as well). Compared after :func:`normalise_category`.
CATEGORY_SYNONYMS: dict[str, str] = {
    word: key for key, words in {
        "community_service_center": (
            "社区综合服务设施", "社区综合服务中心", "社区综合服务站", "社区服务中心", "社区服务站",
            "党群服务中心", "党群服务站", "社区党群服务中心", "村级综合服务中心", "村综合服务中心",
            "村级综合服务站", "村党群服务中心", "邻里中心", "社区中心", "community centre",
            "community center"),
        "community_living_room": ("社区客厅", "邻里客厅", "共享客厅", "living room"),
        "elderly_care": (
            "养老服务站", "养老服务中心", "日间照料中心", "社区日间照料中心", "日间照料站", "养老驿站",
            "居家养老服务站", "居家养老服务中心", "托老所", "养老院", "敬老院", "农村幸福院", "幸福院",
            "颐养之家", "长者服务站", "嵌入式养老服务机构", "elderly care", "nursing home",
            "day care centre"),
        "meal_aid": ("老年助餐点", "助餐点", "助餐服务点", "老年食堂", "长者食堂", "社区食堂", "助老餐厅",
                     "爱心食堂", "meal aid"),
        "health": (
            "社区卫生服务站", "社区卫生服务中心", "卫生服务站", "卫生服务中心", "村卫生室", "卫生室",
            "卫生院", "乡镇卫生院", "社区医院", "诊所", "门诊部", "clinic", "health station"),
        "childcare": ("托育/幼儿园", "托育", "幼儿园", "托育园", "托育机构", "托育中心", "托育点",
                      "托儿所", "普惠托育", "kindergarten", "nursery"),
        "culture": ("综合文化服务中心", "综合文化站", "文化站", "文化服务中心", "文化活动中心", "文化活动室",
                    "图书室", "图书馆", "农家书屋", "文化礼堂", "新时代文明实践站", "library"),
        "sports": ("全民健身场地", "全民健身中心", "健身场地", "健身点", "健身广场", "健身路径", "体育场",
                   "体育馆", "运动场", "球场", "健身中心", "sports ground", "sports centre"),
        "social_work_station": ("社工站", "社会工作服务站", "乡镇(街道)社工站", "乡镇社工站",
                                "街道社工站", "社会工作站", "social work station"),
        "volunteer_station": ("志愿服务站点", "志愿服务站", "志愿者服务站", "志愿服务点",
                              "volunteer station"),
        "convenience_retail": ("便民商业", "超市", "菜市场", "农贸市场", "便利店", "早餐店", "早餐", "理发",
                               "理发店", "维修", "维修点", "便民维修", "生鲜店", "菜店", "便民店", "小卖部",
                               "supermarket", "market", "convenience store"),
        "express": ("快递点", "快递驿站", "快递", "菜鸟驿站", "快递服务站", "快递柜", "智能快递柜", "邮政所",
                    "邮局", "邮政网点", "post office", "parcel point"),
        "emergency_shelter": ("应急避难场所", "避难场所", "应急避难所", "避难所", "shelter"),
        "police": ("警务室", "社区警务室", "警务站", "警务工作站", "派出所", "police station"),
        "legal_service": ("法律服务", "法律服务站", "法律服务室", "公共法律服务站", "公共法律服务室",
                          "法律援助站", "legal aid"),
        "government_service": ("便民服务中心", "便民服务站", "代办站", "为民服务中心", "政务服务中心",
                               "政务服务站", "public service centre"),
    }.items() for word in words
}


def normalise_category(value: str) -> str:
    """A category value as compared: NFKC (full-width → half-width), lower case, spaces as ``_``."""
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    return "_".join(text.replace("（", "(").replace("）", ")").split())


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for word, key in CATEGORY_SYNONYMS.items():
        table[normalise_category(word)] = key
    for key, category in CATEGORIES.items():
        for word in (key, category.zh, category.en):
            table[normalise_category(word)] = key
    return table


_LOOKUP = _lookup()


def category_key(value: object) -> str | None:
    """The category key of a value of the ``category`` column (key, label or synonym), or ``None``.

    >>> category_key("日间照料中心"), category_key("Community living room"), category_key("图书")
    ('elderly_care', 'community_living_room', None)
    """
    if not isinstance(value, str) or not value.strip():
        return None
    return _LOOKUP.get(normalise_category(value))
