from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import PlaceConfig
from monitor.errors import ConfigError
from monitor.geo import Tagger, load_tagger
from monitor.geo.evaluate import evaluate, read_labelled
from monitor.geo.gazetteer import (
    Gazetteer,
    cache_path,
    load_gazetteer,
    read_cache,
    write_cache,
)

LABELLED = Path(__file__).resolve().parents[1] / "data" / "geo_labelled.jsonl"

SEED_TITLE = "Rockets hit Baghdad's Green Zone, C-RAM fires at U.S. Embassy"
SEED_TEXT = (
    "Several rockets struck Baghdad's heavily fortified Green Zone late on Sunday, and the "
    "C-RAM defence system was seen firing over the U.S. Embassy, security sources said. "
    "The U.S. has blamed Iran-backed militias for past attacks on U.S. facilities. U.S. "
    "officials said the U.S. would hold Iran responsible; the attack came days before the "
    "anniversary of the killing of Qassem Suleimani in a U.S. strike."
)


@pytest.fixture(scope="session")
def tagger() -> Tagger:
    return load_tagger()


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def countries(tagger: Tagger, text: str, title: str = "") -> set[str]:
    return set(tagger.tag(text, title).countries)


def test_the_seed_story_happens_in_iraq_though_it_names_the_us_more(tagger: Tagger) -> None:
    for title in (SEED_TITLE, ""):
        tags = tagger.tag(SEED_TEXT, title)
        assert tags.primary == "IQ"
        assert {"IQ", "US", "IR"} <= set(tags.countries)


def test_place_offsets_point_at_the_name_as_written(tagger: Tagger) -> None:
    tags = tagger.tag(SEED_TEXT, SEED_TITLE)
    fields = {"title": SEED_TITLE, "text": SEED_TEXT}
    assert tags.places
    for place in tags.places:
        assert fields[place.field][place.start : place.end] == place.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Iraqi forces retook the town.", {"IQ"}),
        ("An Iranian-backed militia claimed the attack.", {"IR"}),
        ("Two Britons and a Dutchman were freed.", {"GB", "NL"}),
        ("Palestinians fled south as Israeli tanks advanced.", {"PS", "IL"}),
        ("North Korean hackers stole the funds.", {"KP"}),
        ("The English-speaking region has been in turmoil.", set()),
    ],
)
def test_demonyms_and_adjectives_count_as_countries(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert countries(tagger, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Give us the money, the US said.", {"US"}),
        ("Talks with us went well, the minister said.", set()),
        ("She bought fine china and a turkey for dinner.", set()),
        ("The police said the reading was nice and the split was mobile.", set()),
    ],
)
def test_names_are_case_sensitive(tagger: Tagger, text: str, expected: set[str]) -> None:
    assert countries(tagger, text) == expected


def test_title_case_headlines_do_not_turn_capitalised_words_into_places(tagger: Tagger) -> None:
    title = "Rockets Hit Baghdad's Green Zone Near U.S. Embassy"
    tags = tagger.tag("Rockets hit the Green Zone, Iraqi officials said.", title)
    assert [p.name for p in tags.places if p.field == "title"] == [
        "Baghdad", "Green Zone", "U.S."
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Police said the suspect was arrested.", set()),
        ("Reading the statement, the minister paused.", set()),
        ("Nice weather drew crowds to the beaches.", set()),
        ("Mobile networks were down for hours.", set()),
        ("Split between factions, the party stalled.", set()),
        ("Male voters backed the challenger.", set()),
        ("Hundreds gathered in Nice, France, for the ceremony.", {"FR"}),
        ("Councillors in Reading, England, approved the plan.", {"GB"}),
        ("The Croatian port of Split was packed with tourists.", {"HR"}),
    ],
)
def test_common_word_city_names_need_support(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert countries(tagger, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A protest was held in London on Saturday.", "GB"),
        ("Floods hit Hyderabad on Wednesday.", "IN"),
        ("Tripoli was calm on Friday.", "LY"),
        ("The mayor of Paris announced new bike lanes.", "FR"),
    ],
)
def test_population_priors_pick_the_bigger_namesake(
    tagger: Tagger, text: str, expected: str
) -> None:
    assert tagger.tag(text).primary == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Police in Georgia fired water cannon at protesters in Tbilisi.", "GE"),
        ("Voters in Georgia lined up early in the suburbs of Atlanta.", "US"),
        ("Georgia's parliament approved the bill on Tuesday.", "GE"),
        ("Hyderabad police, in Pakistan's Sindh province, made arrests.", "PK"),
        ("Victoria police charged a man after a stabbing in Melbourne.", "AU"),
    ],
)
def test_co_occurring_places_choose_between_namesakes(
    tagger: Tagger, text: str, expected: str
) -> None:
    assert tagger.tag(text).primary == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paris Hilton launched a fragrance on Tuesday.", set()),
        ("Jordan Henderson scored the winner.", set()),
        ("Defense Secretary Lloyd Austin spoke. Austin said talks went well.", set()),
        ("Actor Denzel Washington returns to the stage.", set()),
        ("Chad Smith, the drummer, played a solo.", set()),
        ("King Abdullah of Jordan met the envoy in Amman.", {"JO"}),
        ("Voters in Chad went to the polls.", {"TD"}),
    ],
)
def test_person_names_that_contain_places_are_not_places(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert countries(tagger, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The New York Times reported the deal.", set()),
        ("The Washington Post said the publisher would leave.", set()),
        ("Al-Ahram, the state daily, ran the story.", set()),
        ("Castro spoke at the Olympic stadium.", set()),
        ("Smoke drifted over the Jordan River valley.", set()),
        ("Rockets fell near the U.S. Embassy in Baghdad.", {"US", "IQ"}),
    ],
)
def test_organisations_containing_places_are_handled(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert countries(tagger, text) == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("", "The Winnipeg Fire Paramedic Service fought two fires overnight.", "CA"),
        ("Muscat Film Festival ends amid fanfare",
         "Muscat: The 10th Muscat International Film Festival came to a close.", "OM"),
        ("", "The Kentucky Department of Education faces a 6 percent cut.", "US"),
        ("Godolphin's Thunder Snow wins Dubai World Cup",
         "Dubai may have been hot and humid over the past week.", "AE"),
        ("", "SAN ANTONIO Turner Sports analyst Charles Barkley blasted the FBI.", "US"),
    ],
)
def test_an_organisation_or_event_named_after_a_place_refers_to_it(
    tagger: Tagger, title: str, text: str, expected: str
) -> None:
    tags = tagger.tag(text, title)
    assert (tags.primary, set(tags.countries)) == (expected, {expected})


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Abducted California woman found after three weeks", "", {"US"}),
        ("", "Jordan Peterson spoke in Toronto on Friday.", {"CA"}),
        ("", "Flash floods along the Guadalupe River in central Texas killed 50.", {"US"}),
        ("", "Hezbollah leader Hassan Nasrallah spoke in Beirut.", {"LB"}),
    ],
)
def test_a_first_name_or_a_river_is_not_the_place(
    tagger: Tagger, title: str, text: str, expected: set[str]
) -> None:
    assert set(tagger.tag(text, title).countries) == expected


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("", "EDMONTON, Ky. (WBKO) -- One man is dead after a hunting accident."),
        ("", "GLASGOW, Ky. (WBKO) - A woman died after being struck by a vehicle."),
        ("Two arrested on drug charges in London",
         "LONDON, Ky. (WKYT) - London Police have arrested two people."),
    ],
)
def test_a_town_the_gazetteer_lacks_takes_its_state(
    tagger: Tagger, title: str, text: str
) -> None:
    tags = tagger.tag(text, title)
    assert (tags.primary, set(tags.countries)) == ("US", {"US"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A fire in Laurel County destroyed two homes.", {"US"}),
        ("Deputies in Rapides Parish arrested a woman.", {"US"}),
        ("HORRY COUNTY, SC (WMBF) - A man lives on Atlantic Avenue in Garden City.", {"US"}),
        ("The airline flies to Montreal, CA and Boston.", {"CA", "US"}),
        ("Saudi Arabian authorities expressed concern as the Hajj began in Mecca.", {"SA"}),
        ("Soul music fans gathered for the festival.", set()),
        ("Floods hit Basra and Kharkiv overnight.", {"IQ", "UA"}),
    ],
)
def test_counties_state_codes_and_big_cities_other_names(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert set(tagger.tag(text).countries) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cattle at a farm in Surrey, UK have tested positive.", {"GB"}),
        ("Hampshire racing driver Rob Collard set his goals high.", {"GB"}),
        ("Five men appeared before Tipperary District Court.", {"IE"}),
        ("Four people in the West Midlands have died of flu.", {"GB"}),
        ("The Eiffel Tower went dark on Tuesday.", {"FR"}),
        ("Gunmen opened fire on Haifa Street in central Baghdad.", {"IQ"}),
    ],
)
def test_counties_regions_landmarks_and_streets(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert set(tagger.tag(text).countries) == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Turkey shells Syrian city as it pushes into Kurdish enclave",
         "BEIRUT (AP) — Turkey has shelled a city in northeastern Syria as Turkish forces press "
         "into a Syrian Kurdish enclave.", "SY"),
        ("", "A bacteria that infected 300 patients in a British hospital may have come from "
         "the United States or Canada.", "GB"),
        ("Message from President Enrique Peña Nieto (English version)",
         "I am talking about the relationship between Mexico and the United States.", "MX"),
        ("", "Western Australian authorities say a toxin killed 5,000 birds.", "AU"),
        ("Senior U.S. Military Official Visits Georgia",
         "Gen. Cartwright, the second highest ranking officer of the United States, will meet "
         "President Saakashvili.", "GE"),
    ],
)
def test_demonyms_naming_the_scene_and_languages(
    tagger: Tagger, title: str, text: str, expected: str
) -> None:
    assert tagger.tag(text, title).primary == expected


@pytest.mark.parametrize(
    "text",
    [
        "Lin-Manuel Miranda thought he had a migraine.",
        "There were two absentees at the Rogers Centre on opening day.",
    ],
)
def test_a_weak_name_inside_a_longer_name_is_not_a_place(tagger: Tagger, text: str) -> None:
    assert tagger.tag(text).countries == ()


@pytest.mark.parametrize(
    ("title", "text", "primary", "expected"),
    [
        ("", "The Liberia-flagged, Greek-managed bulker sank off Yemen's Hodeidah.", "YE",
         {"GR", "YE"}),
        ("", "Hezbollah confirmed the death of Hassan Ali Qassir in Beirut.", "LB", {"LB"}),
        ("N. Korea fires ballistic missile into East Sea",
         "The missile flew 950 km, South Korea's Joint Chiefs of Staff said.", "KP",
         {"KP", "KR"}),
        ("Kenya's Kipkemboi wins Amsterdam Marathon",
         "AMSTERDAM (Reuters) - Kenya's Kipkemboi won the Amsterdam Marathon a week after the "
         "Chicago record.", "NL", {"NL", "KE", "US"}),
    ],
)
def test_flags_first_names_short_forms_and_datelines(
    tagger: Tagger, title: str, text: str, primary: str, expected: set[str]
) -> None:
    tags = tagger.tag(text, title)
    assert (tags.primary, set(tags.countries)) == (primary, expected)


def test_a_pair_binds_in_a_title_case_headline_and_holds_for_later_mentions(
    tagger: Tagger,
) -> None:
    tags = tagger.tag(
        "Riley Oliver Smith, 70, of Paris died at Paris Regional Medical Center.",
        "Riley Oliver Smith of Paris, TX",
    )
    assert (tags.primary, set(tags.countries)) == ("US", {"US"})


def test_a_dateline_reading_holds_for_the_names_other_mentions(tagger: Tagger) -> None:
    tags = tagger.tag(
        "AMSTERDAM (Reuters) - Kipkemboi won the Amsterdam Marathon after the Chicago record."
    )
    assert {p.country for p in tags.places if p.name.lower() == "amsterdam"} == {"NL"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gardai have yet to confirm the identity of the youth.", {"IE"}),
        ("RBI keeps repo rate unchanged, retains neutral stance.", {"IN"}),
        ("Trump says talks with Iran went well.", {"IR"}),
        ("Netanyahu met the envoy in Washington.", {"US"}),
        ("Fed up with delays, commuters walked.", set()),
    ],
)
def test_institutions_and_leaders_count_only_when_no_place_is_named(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert set(tagger.tag(text).countries) == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Copom eleva a Selic para 15%", "Decisão unânime surpreende parte do mercado.", "BR"),
        ("La inflación de octubre fue de 2,1%, según el Indec", "", "AR"),
        ("Banxico recorta su tasa en 25 puntos", "La junta votó cuatro a uno.", "MX"),
        ("Pemex output slides for a ninth month", "Crude production fell 3%.", "MX"),
        ("Sejm passes judicial reform bill", "The vote was 240-206.", "PL"),
        ("Sensex, Nifty 50 end lower as bank stocks drag", "", "IN"),
        ("JCS says missile flew about 300 km", "Officials are analysing the launch.", "KR"),
        ("Tatmadaw airstrike kills 11 at a school", "", "MM"),
        ("Sonatrach signs gas deal with Italian buyer", "", "IT"),  # a place wins
        ("BoE holds rates; Threadneedle Street split 5-4", "", "GB"),
        ("Ifo business climate weakens again", "Firms were gloomier about orders.", "DE"),
        ("Kospi rebounds as chipmakers rally", "Foreign investors bought shares.", "KR"),
    ],
)
def test_national_institutions_place_an_item_that_names_no_place(
    tagger: Tagger, title: str, text: str, expected: str
) -> None:
    assert tagger.tag(text, title).primary == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An actor's name overrides every other reading of it, so names that are towns or
        # demonyms are left out or guarded: "Dax" is a French town (only "DAX index" is the
        # index), "Ifo" a Nigerian town, "Dane" a demonym, "BOE" Spain's official gazette.
        ("Rugby fans packed the stadium in Dax on Saturday.", {"FR"}),
        ("Traders in Ifo protested the new levy.", {"NG"}),
        ("The Dane finished second in the sprint.", {"DK"}),
        ("El BOE publica el decreto de ayudas.", set()),
        ("The DAX index fell 1.2% by midday.", {"DE"}),
    ],
)
def test_institution_names_do_not_hide_towns_demonyms_or_other_bodies(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert set(tagger.tag(text).countries) == expected


def test_a_list_of_places_is_not_a_town_and_its_state(tagger: Tagger) -> None:
    tags = tagger.tag("Drones were launched at Moscow, Ukraine and the U.S. said.")
    assert {"RU", "UA", "US"} <= set(tags.countries)


def test_the_embassy_story_happens_where_the_embassy_is(tagger: Tagger) -> None:
    assert tagger.tag("Rockets fell near the U.S. Embassy in Baghdad.").primary == "IQ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Police in London, Ontario, charged a driver.", "CA"),
        ("A tornado touched down in Paris, Texas, on Wednesday.", "US"),
        ("Floods hit Lebanon, Tennessee, overnight.", "US"),
        ("Students rallied in Athens, Ga., on Friday.", "US"),
        ("Bushfires threatened homes near Bathurst, N.S.W., on Monday.", "AU"),
        ("The fire started in Kamloops, B.C., on Sunday.", "CA"),
        ("A gunman opened fire in Louisville, Ky., police said.", "US"),
    ],
)
def test_city_state_and_city_country_pairs_bind(
    tagger: Tagger, text: str, expected: str
) -> None:
    tags = tagger.tag(text)
    assert tags.primary == expected
    assert set(tags.countries) == {expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wildfires spread across California on Monday.", "US"),
        ("Snow closed roads in Ontario.", "CA"),
        ("Floods hit Bavaria overnight.", "DE"),
        ("Clashes erupted in Anbar province.", "IQ"),
        ("Heavy rain lashed Queensland.", "AU"),
    ],
)
def test_admin_divisions_resolve_to_their_country(
    tagger: Tagger, text: str, expected: str
) -> None:
    assert tagger.tag(text).primary == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SEOUL (Reuters) - Officials met U.S. and Japanese envoys on Monday.", "KR"),
        ("Kabul, Dec 20 (AFP) - The U.S. and Pakistan held talks.", "AF"),
        ("KYIV, Ukraine — Russian drones hit Poland's border area, the U.S. said.", "UA"),
        ("MAYFIELD, Ky. (AP) — A tornado destroyed a factory.", "US"),
    ],
)
def test_a_dateline_decides_where_the_story_happens(
    tagger: Tagger, text: str, expected: str
) -> None:
    assert tagger.tag(text).primary == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DUBAI (Reuters) - Iran launched a satellite into orbit, state media said.", "IR"),
        ("CAIRO (Reuters) - An Israeli strike on a school in Gaza City killed 14.", "PS"),
        ("CAIRO (Reuters) - Egypt's central bank raised rates on Thursday.", "EG"),
        ("SEOUL (Reuters) - Officials met U.S. envoys on Monday.", "KR"),
    ],
)
def test_a_bureau_dateline_yields_to_the_story_when_its_country_is_not_named(
    tagger: Tagger, text: str, expected: str
) -> None:
    assert tagger.tag(text).primary == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hundreds gathered on the seafront in Nice on Sunday.", {"FR"}),
        ("A gunman opened fire at a bowling alley in Lewiston on Wednesday.", {"US"}),
        ("Gunmen seized 30 pupils in Maga, in Nigeria's Kebbi state.", {"NG"}),
        ("In Reading the statement aloud, he paused.", set()),
    ],
)
def test_a_weak_name_after_a_lower_case_in_is_a_place_unless_the_item_says_elsewhere(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert countries(tagger, text) == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Six injured as Russia attacks Kyiv", "A Russian drone attack on Kyiv hurt six.", "UA"),
        ("Israel pounds south Beirut", "Israeli jets struck south Beirut overnight.", "LB"),
        ("Drones downed near Baghdad International Airport", "", "IQ"),
    ],
)
def test_the_target_of_an_attack_is_the_scene(
    tagger: Tagger, title: str, text: str, expected: str
) -> None:
    assert tagger.tag(text, title).primary == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Strikes hit Kharkiv", "Moscow said its forces hit military targets.", "UA"),
        ("", "Washington said its strikes in Yemen hit Houthi targets.", "YE"),
        ("", "The Kremlin said Putin would not attend the summit in Turkey.", "TR"),
    ],
)
def test_scene_beats_actor(tagger: Tagger, title: str, text: str, expected: str) -> None:
    assert tagger.tag(text, title).primary == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Turkey shells border villages",
         "Turkey shelled two villages in northern Syria overnight, a monitoring group said.", "SY"),
        ("Israel bombs port", "Israel bombed the port of Hodeidah in Yemen on Monday.", "YE"),
    ],
)
def test_the_country_that_attacks_is_an_actor(
    tagger: Tagger, title: str, text: str, expected: str
) -> None:
    assert tagger.tag(text, title).primary == expected


def test_a_first_name_before_a_leaders_name_is_no_place(tagger: Tagger) -> None:
    tags = tagger.tag("Officials in Ottawa said Vladimir Putin had telephoned on Monday.")
    assert [p.name for p in tags.places] == ["Ottawa"]


def test_a_river_named_after_a_city_leaves_the_citys_other_mentions(tagger: Tagger) -> None:
    tags = tagger.tag(
        "Volunteers pulled tyres out of the Tijuana River near San Diego.",
        "Sewage from Tijuana fouls beaches",
    )
    assert tags.primary == "MX"
    assert [p.name for p in tags.places] == ["Tijuana", "San Diego"]


def test_a_dateline_glued_to_its_dash_is_a_dateline(tagger: Tagger) -> None:
    tags = tagger.tag(
        "WASHINGTON—The White House said on Tuesday it would keep 900 troops in Syria, "
        "reversing a plan to pull them out of Syria by spring.",
        "U.S. drops plan to leave Syria",
    )
    assert tags.primary == "US"


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Lorry overturns", "Traffic is queuing after a lorry overturned on the A38 at dawn.",
         "GB"),
        ("", "The M62 will shut overnight between two junctions for resurfacing.", "GB"),
        ("", "The A380 superjumbo made its last flight for the airline.", None),
        ("", "The M23 rebels said they had seized a hill.", None),
        ("", "A lorry overturned on the A38 near Bristol.", "GB"),
    ],
)
def test_a_british_road_number_places_an_item_that_names_no_place(
    tagger: Tagger, title: str, text: str, expected: str | None
) -> None:
    assert tagger.tag(text, title).primary == expected


def test_a_philippine_city_is_found_without_city_after_its_name(tagger: Tagger) -> None:
    tags = tagger.tag("A Makati court on Monday fined two firms over unpaid taxes.")
    assert (tags.primary, [p.name for p in tags.places]) == ("PH", ["Makati"])


def test_where_refugees_fled_from_is_not_where_they_are(tagger: Tagger) -> None:
    tags = tagger.tag(
        "Aid groups say camps in Chad are full. Families keep arriving after fleeing "
        "fighting in the Darfur region of Sudan and the border towns of Sudan."
    )
    assert tags.primary == "TD"


@pytest.mark.parametrize(
    ("text", "expected", "names"),
    [
        ("A fisherman was hurt at Edmonton, south of Cairns, on Sunday.", "AU", ["Cairns"]),
        ("Two farms burned at Perth, 40 km west of Glasgow, overnight.", "GB",
         ["Perth", "Glasgow"]),
    ],
)
def test_a_place_said_to_lie_near_another_lies_in_its_country(
    tagger: Tagger, text: str, expected: str, names: list[str]
) -> None:
    tags = tagger.tag(text)
    assert (tags.primary, [p.name for p in tags.places]) == (expected, names)


@pytest.mark.parametrize(
    "title",
    ["Recall of kettles made in China widens", "China-made kettles recalled"],
)
def test_where_goods_were_made_is_not_the_scene(tagger: Tagger, title: str) -> None:
    assert tagger.tag("A retailer in Ohio issued the recall on Friday.", title).primary == "US"


def test_a_city_named_like_an_english_word_needs_support(tagger: Tagger) -> None:
    tags = tagger.tag(
        "The permanent secretary said work would begin in Abuja next month.",
        "Perm Sec Unveils Plan for Rural Roads",
    )
    assert (tags.primary, tags.countries) == ("NG", ("NG",))


def test_text_without_places_has_no_primary(tagger: Tagger) -> None:
    tags = tagger.tag("The central bank left rates unchanged.", "Rates on hold")
    assert tags.primary is None
    assert tags.countries == ()
    assert tags.places == ()


def test_config_places_are_layered_on_top(tagger: Tagger) -> None:
    places = [
        PlaceConfig(name="Camp Sentinel", aliases=("Sentinel Base",), within="Baghdad"),
        PlaceConfig(name="Harbour Nine", country="no"),
    ]
    custom = load_tagger(places)
    assert custom.tag("Mortars hit Camp Sentinel overnight.").primary == "IQ"
    assert custom.tag("Mortars hit Sentinel Base overnight.").primary == "IQ"
    assert custom.tag("A ship docked at Harbour Nine.").primary == "NO"
    assert tagger.tag("Mortars hit Camp Sentinel overnight.").primary is None


def test_a_config_place_without_a_country_is_a_config_error() -> None:
    places = [PlaceConfig(name="Camp Nowhere", within="Zzyzx"), PlaceConfig("Ok", country="IQ")]
    with pytest.raises(ConfigError) as caught:
        load_tagger(places)
    assert len(caught.value.problems) == 1
    assert "Camp Nowhere" in caught.value.problems[0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Baghdad", "IQ"), ("green zone", "IQ"), ("Kyiv", "UA"), ("Texas", "US"), ("Zzyzx", None)],
)
def test_resolve_place_names_the_country(tagger: Tagger, name: str, expected: str | None) -> None:
    assert tagger.resolve_place(name) == expected


def test_an_unwritable_cache_folder_is_only_a_warning(tmp_path: Path, gazetteer: Gazetteer) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    target = cache_path(blocked / "cache")
    write_cache(target, gazetteer)
    assert read_cache(target) is None
    assert list(tmp_path.iterdir()) == [blocked]


def test_the_labelled_set_scores_stay_above_the_floor(tagger: Tagger) -> None:
    items = read_labelled(LABELLED)
    assert len(items) >= 150
    scores = evaluate(tagger, items)
    assert scores.f1 >= 0.95
    assert scores.primary_accuracy >= 0.90


def test_a_current_cache_file_is_reused_as_is(tmp_path: Path, gazetteer: Gazetteer) -> None:
    target = cache_path(tmp_path)
    write_cache(target, gazetteer)
    stamp = target.stat().st_mtime_ns
    assert load_gazetteer(tmp_path) == gazetteer
    assert target.stat().st_mtime_ns == stamp
    assert list(tmp_path.glob("gazetteer-*.pickle")) == [target]


def test_writing_a_cache_removes_caches_of_older_data(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    stale = tmp_path / "gazetteer-0000000000000000.pickle"
    stale.write_bytes(b"old")
    write_cache(cache_path(tmp_path), gazetteer)
    assert not stale.exists()


STORIES = LABELLED.parent / "stories_labelled.jsonl"


# Measured: 0.953 on the first 301 items, 0.854 on all 725 (the later "b" and "c" splits were
# written by other hands, with more stories told through organisations and people alone).
@pytest.mark.parametrize(("splits", "floor"), [({"dev", "holdout"}, 0.92), ({"b", "c"}, 0.72)])
def test_primary_accuracy_on_the_stories_set_labelled_by_other_hands(
    tagger: Tagger, splits: set[str], floor: float
) -> None:
    items = [
        {"text": row["summary"], "title": row["title"], "primary": row["primary"], "countries": []}
        for row in read_labelled(STORIES)
        if "primary" in row and row.get("split", "dev") in splits
    ]
    assert evaluate(tagger, items).primary_accuracy >= floor


def test_title_and_text_are_matched_apart_though_in_one_automaton_pass(tagger: Tagger) -> None:
    # "New" ending the title and "York" starting the text must not make New York.
    split = tagger.tag("York officials said nothing.", title="Rally in New")
    assert not any(p.name == "New York" for p in split.places)
    together = tagger.tag("Officials in New York said nothing.", title="Rally in New")
    assert [(p.name, p.field, p.start) for p in together.places] == [("New York", "text", 13)]


def test_each_field_is_tagged_as_if_alone(tagger: Tagger) -> None:
    title, text = "Rockets hit Baghdad", "KYIV, Ukraine (Reuters) - Drones struck Kharkiv."
    both = tagger.tag(text, title=title)
    assert [p for p in both.places if p.field == "title"] == [
        p for p in tagger.tag("", title=title).places
    ]
    assert [p for p in both.places if p.field == "text"] == list(tagger.tag(text).places)


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("North Korea test-fires cruise missiles: JCS",
         "SEOUL, March 3 (Yonhap) -- North Korea fired two cruise missiles off its west coast "
         "on Tuesday, the Joint Chiefs of Staff said.", "KP"),
        ("Yemen's Houthis say they downed a U.S. drone",
         "DUBAI, United Arab Emirates (AP) — Yemen's Houthi rebels said Sunday they shot down "
         "an American MQ-9 Reaper drone over Marib.", "YE"),
        ("Turkish jets hit militant camps in northern Iraq",
         "ANKARA (Reuters) - Turkish warplanes bombed militant camps in Iraq's Duhok province, "
         "Turkey's defence ministry said on Friday.", "IQ"),
        ("", "SEOUL (Yonhap) — North Korea fired a short-range missile into the sea on Monday, "
         "the military said.", "KP"),
    ],
)
def test_a_dateline_yields_when_headline_and_lead_tell_of_another_country(
    tagger: Tagger, title: str, text: str, expected: str
) -> None:
    assert tagger.tag(text, title).primary == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        # The dateline's country is a scene in the lead: the dateline still decides.
        ("North Korea launches rocket",
         "SEOUL (Reuters) - North Korea launched a rocket on Monday, prompting an emergency "
         "meeting in Seoul.", "KR"),
        # A country named only as a cause is no subject.
        ("Carmaker's sales slip on China weakness",
         "BERLIN (Reuters) - The carmaker's sales fell 3% as deliveries in China slid, the "
         "company said.", "DE"),
    ],
)
def test_a_dateline_holds_when_its_country_is_a_scene_or_the_other_no_subject(
    tagger: Tagger, title: str, text: str, expected: str
) -> None:
    assert tagger.tag(text, title).primary == expected


def test_a_country_whose_organ_speaks_is_an_actor(tagger: Tagger) -> None:
    tags = tagger.tag(
        "North Korea fired a missile toward the sea, South Korea's Joint Chiefs of Staff said.",
        "NK fires missile",
    )
    assert tags.primary == "KP"


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Elecciones en Alemania", "Los votantes eligen hoy un nuevo parlamento.", "DE"),
        ("", "Le gouvernement de la Suède a présenté son budget mardi.", "SE"),
        ("Inflação volta a subir nos Estados Unidos", "", "US"),
        ("", "Die Regierung in Österreich hat den Haushalt vorgelegt.", "AT"),
        ("", "Il governo della Spagna approva la manovra.", "ES"),
    ],
)
def test_country_names_in_other_languages_are_countries(
    tagger: Tagger, title: str, text: str, expected: str
) -> None:
    assert tagger.tag(text, title).primary == expected


@pytest.mark.parametrize(
    "text",
    [
        "Maurice Dupont opened the show on Monday.",  # French for Mauritius, and a first name
        "Grenade attack wounds two at a market.",  # French for Grenada
        "Island Records signed the band in May.",  # German for Iceland
    ],
)
def test_foreign_country_names_that_are_english_words_or_names_are_not_places(
    tagger: Tagger, text: str
) -> None:
    assert tagger.tag(text).primary is None


def test_a_foreign_country_name_never_overrides_a_place_of_that_name(tagger: Tagger) -> None:
    # Spanish for Grenada is "Granada", the Andalusian city.
    assert tagger.tag("Granada celebra la Semana Santa con miles de visitantes.").primary == "ES"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Un incendie s'est déclaré à Nice dimanche soir.", "FR"),
        ("Um turista morreu em Split no sábado.", "HR"),
        ("Un sismo de magnitud 6 sacudió la región de Atacama el lunes.", "CL"),
        ("Im Bundesland Bayern regnet es seit Tagen.", "DE"),
        ("Residents of Sagaing Region said the strike hit a school.", "MM"),
        ("She studied economics at Georgia State University.", "US"),
    ],
)
def test_places_said_to_be_places_in_other_languages_and_by_their_division_word(
    tagger: Tagger, text: str, expected: str
) -> None:
    assert tagger.tag(text).primary == expected


def test_a_building_or_body_named_with_de_is_no_town(tagger: Tagger) -> None:
    tags = tagger.tag("El presidente juramentó al ministro en Palacio de Gobierno.")
    assert tags.primary is None
