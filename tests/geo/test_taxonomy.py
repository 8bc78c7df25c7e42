import re

import pytest

from geo.taxonomy import CATEGORIES, ESSENTIAL_CATEGORIES, category_from_osm_tags, label

DESIGN_KEYS = [
    "community_service_center", "community_living_room", "elderly_care", "meal_aid", "health",
    "childcare", "culture", "sports", "social_work_station", "volunteer_station",
    "convenience_retail", "express", "emergency_shelter", "police", "legal_service",
    "government_service",
]
# Font Awesome 4.7 names (the set folium's Icon(prefix="fa") can draw) used by the taxonomy.
FA4_NAMES = {
    "home", "heart", "medkit", "child", "book", "futbol-o", "shopping-cart", "truck", "shield",
    "balance-scale", "university", "users", "hand-paper-o", "coffee", "cutlery", "life-ring",
}


def test_the_sixteen_design_categories_in_order():
    assert list(CATEGORIES) == DESIGN_KEYS
    assert all(key == cat.key for key, cat in CATEGORIES.items())


def test_labels_colours_and_icons_are_distinct_and_well_formed():
    cats = list(CATEGORIES.values())
    assert len({c.zh for c in cats}) == 16 and len({c.en for c in cats}) == 16
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c.color) for c in cats)
    assert len({c.color for c in cats}) == 16
    assert {c.icon for c in cats} <= FA4_NAMES and len({c.icon for c in cats}) == 16
    assert all(re.search(r"[\u4e00-\u9fff]", c.zh) for c in cats)


def test_essential_categories():
    assert ESSENTIAL_CATEGORIES == ("community_service_center", "elderly_care", "health",
                                    "childcare", "culture", "sports", "convenience_retail")
    assert set(ESSENTIAL_CATEGORIES) <= set(CATEGORIES)


@pytest.mark.parametrize("tags, expected", [
    ({"amenity": "community_centre"}, "community_service_center"),
    ({"amenity": "social_facility", "social_facility:for": "senior"}, "elderly_care"),
    ({"amenity": "social_facility", "social_facility": "nursing_home"}, "elderly_care"),
    ({"amenity": "social_facility", "social_facility": "group_home"}, "social_work_station"),
    ({"social_facility": "food_bank"}, "meal_aid"),
    ({"amenity": "doctors"}, "health"),
    ({"amenity": "clinic"}, "health"),
    ({"amenity": "health_post"}, "health"),
    ({"amenity": "kindergarten"}, "childcare"),
    ({"amenity": "childcare"}, "childcare"),
    ({"amenity": "library"}, "culture"),
    ({"amenity": "arts_centre"}, "culture"),
    ({"leisure": "sports_centre"}, "sports"),
    ({"leisure": "pitch", "sport": "basketball"}, "sports"),
    ({"leisure": "fitness_station"}, "sports"),
    ({"leisure": "fitness_centre"}, "sports"),
    ({"shop": "supermarket"}, "convenience_retail"),
    ({"shop": "convenience"}, "convenience_retail"),
    ({"shop": "greengrocer"}, "convenience_retail"),
    ({"shop": "bakery"}, "convenience_retail"),
    ({"shop": "hairdresser"}, "convenience_retail"),
    ({"amenity": "marketplace"}, "convenience_retail"),
    ({"amenity": "post_office"}, "express"),
    ({"amenity": "parcel_locker"}, "express"),
    ({"amenity": "police"}, "police"),
    ({"amenity": "townhall"}, "government_service"),
    ({"emergency": "assembly_point"}, "emergency_shelter"),
    ({"highway": "residential"}, None),
    ({"amenity": "bench"}, None),
    ({}, None),
])
def test_osm_tags_map_onto_categories(tags, expected):
    assert category_from_osm_tags(tags) == expected


def test_label_in_both_languages_and_unknown_keys():
    assert label("community_living_room") == "社区客厅"
    assert label("community_living_room", "en") == "Community living room"
    assert label("health", lang="zh") == "社区卫生服务站"
    assert label("not_a_category") == "not_a_category"
