"""Story fingerprints and assignment: merges, hard negatives, updates, the window, labelled set."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.store.story_codec import candidate_from, candidate_json
from monitor.stories import (
    Assignment,
    Fingerprint,
    MemoryStoryIndex,
    assign,
    fingerprint,
    merge,
    new_candidate,
    process,
)
from monitor.stories_text import Words, fold, is_generic_name, names, strip_boilerplate
from monitor.types import GeoTags, Place

T0 = datetime(2026, 1, 3, 19, 30, tzinfo=UTC)
LABELLED = Path(__file__).resolve().parents[1] / "data" / "stories_labelled.jsonl"

GREEN_ZONE = [
    (
        "Rockets target Baghdad's Green Zone, U.S. Embassy defence system fires",
        "BAGHDAD (AM) - At least three rockets were fired at Baghdad's heavily fortified Green "
        "Zone late on Saturday, setting off the C-RAM air defence system at the U.S. Embassy, two "
        "Iraqi security officials said. There were no immediate reports of casualties.",
    ),
    (
        "Iraq: several rockets fall on the Green Zone of Baghdad, near the American embassy",
        "Several rockets fell on Saturday evening on the Green Zone of Baghdad, where are found "
        "the government institutions and the embassy of the United States, according to a "
        "security source. The anti-missile system C-RAM of the embassy entered into action.",
    ),
    (
        "US embassy in Baghdad activates air defences as rockets hit Green Zone",
        "Air defences at the US embassy in Baghdad were activated on Saturday night after several "
        "rockets struck inside the Green Zone, Iraqi security sources told Gulf Broadcaster. No "
        "group immediately claimed responsibility.",
    ),
]


def run(
    items: Sequence[tuple[str, str, datetime, str | None]],
    geo: Sequence[GeoTags | None] | None = None,
) -> list[Assignment]:
    """Assign (title, summary, time, primary) items in order through a fresh memory index;
    `geo`: each item's tags; by default the real tagger's, as the pipeline has them."""
    index = MemoryStoryIndex()
    tags = list(geo) if geo is not None else [tag(title, summary) for title, summary, *_ in items]
    return [
        process(index, fingerprint(title, summary, geo=tag), at, primary, index.next_id)
        for (title, summary, at, primary), tag in zip(items, tags, strict=True)
    ]


def tag(title: str, summary: str) -> GeoTags:
    from monitor.geo import load_tagger

    return load_tagger().tag(summary, title)


def untagged(count: int) -> list[GeoTags | None]:
    return [None] * count


def place(text: str, name: str, country: str, field: str) -> Place:
    """The tagger's Place for the first `name` in `text`."""
    start = text.index(name)
    return Place(name, country, start, start + len(name), field)


def story_ids(results: Sequence[Assignment]) -> list[int | None]:
    return [r.story_id for r in results]


# -- merging ----------------------------------------------------------------------------------


def test_three_outlets_green_zone_reports_join_one_story() -> None:
    results = run([(t, s, T0 + timedelta(minutes=i), "IQ") for i, (t, s) in enumerate(GREEN_ZONE)])
    assert results[0].new
    assert [r.new for r in results[1:]] == [False, False]
    assert len(set(story_ids(results))) == 1


def test_the_demo_feeds_green_zone_reports_form_one_story_with_three_outlets() -> None:
    feedparser = pytest.importorskip("feedparser")
    feeds = sorted((LABELLED.parents[2] / "config" / "demo" / "feeds").glob("*.xml"))
    if not feeds:
        pytest.skip("no demo feeds")
    index = MemoryStoryIndex()
    outlets: dict[int, set[str]] = {}
    green_zone: set[int] = set()
    for path in feeds:
        for entry in feedparser.parse(path).entries:
            summary = re.sub(r"<[^>]+>", " ", entry.get("summary", ""))
            result = process(index, fingerprint(entry.title, summary), T0, None, index.next_id)
            assert result.story_id is not None
            outlets.setdefault(result.story_id, set()).add(path.stem)
            if "Green Zone" in entry.title:
                green_zone.add(result.story_id)
    assert len(green_zone) == 1
    assert len(outlets[green_zone.pop()]) == 3


def test_an_unknown_primary_country_does_not_keep_a_report_apart() -> None:
    items = [(t, s, T0, p) for (t, s), p in zip(GREEN_ZONE, ["IQ", None, "IQ"], strict=True)]
    assert len(set(story_ids(run(items)))) == 1


def test_a_verbatim_reprint_joins_as_a_near_duplicate_that_updates_nothing() -> None:
    title, summary = GREEN_ZONE[0]
    first, reprint = run([(title, summary, T0, "IQ"), (title, summary, T0, "IQ")])
    assert reprint.story_id == first.story_id
    assert reprint.reason == "near-duplicate"
    assert not reprint.updated


def test_a_name_capitalised_only_by_position_joins_when_another_outlet_writes_it_as_a_name() -> (
    None
):
    # "Nvidia" opens both sentences of the first report (a weak name); the second writes it
    # mid-sentence. Without the confirmation each names its own things and none in common.
    first = (
        "Nvidia shares slump after new chip export curbs",
        "Nvidia lost 7% of its market value on Tuesday after the Commerce Department widened "
        "curbs on exports of advanced chips to China.",
    )
    second = (
        "Chip stocks fall as Washington tightens export rules",
        "Shares of Nvidia fell sharply on Tuesday after the US widened its curbs on advanced chip "
        "exports to China, traders in New York said.",
    )
    results = run([(*first, T0, "US"), (*second, T0 + timedelta(minutes=30), "US")])
    assert results[1].story_id == results[0].story_id


DELHI = (
    (
        "Delhi chokes on smog, primary schools shut",
        "Delhi ordered all primary schools shut on Monday as the air quality index crossed 450 and "
        "a thick smog settled over the city.",
    ),
    (
        "Delhi closes schools as toxic haze thickens",
        "Delhi's government closed primary schools from Monday after air quality readings crossed "
        "450, blaming crop fires in neighbouring states.",
    ),
)


def delhi_tags(title: str, summary: str) -> GeoTags:
    return GeoTags(
        ("IN",), "IN", (place(title, "Delhi", "IN", "title"), place(summary, "Delhi", "IN", "text"))
    )


def test_a_place_found_by_the_gazetteer_is_a_name_even_at_a_sentence_start() -> None:
    title, summary = DELHI[0]
    assert "delhi" not in fingerprint(title, summary).specific_names
    assert "delhi" in fingerprint(title, summary, geo=delhi_tags(title, summary)).specific_names


def test_reports_naming_a_tagged_place_only_at_sentence_starts_join() -> None:
    items = [(*text, T0 + timedelta(minutes=40 * i), "IN") for i, text in enumerate(DELHI)]
    tagged = run(items, [delhi_tags(*text) for text in DELHI])
    assert tagged[1].story_id == tagged[0].story_id


def test_a_dateline_place_is_not_a_name_of_the_story() -> None:
    title = "Schools shut as smog thickens"
    summary = "NEW DELHI (Reuters) - Authorities shut primary schools in Lahore on Monday."
    tags = GeoTags(("IN", "PK"), "PK", (place(summary, "NEW DELHI", "IN", "text"),))
    assert not {"new delhi", "delhi"} & fingerprint(title, summary, geo=tags).specific_names


def test_different_primary_countries_join_when_each_report_mentions_the_others() -> None:
    # The tagger's primary is one guess: The Hague for one outlet, Israel for the other.
    hague = (
        "ICC issues arrest warrant for Israeli defence chief",
        "The International Criminal Court in The Hague issued an arrest warrant on Thursday for "
        "Israel's defence minister over the conduct of the war in Gaza, judges said.",
    )
    israel = (
        "Israel rejects Hague court warrant for defence minister",
        "Israel's government on Thursday rejected the arrest warrant issued by the International "
        "Criminal Court for its defence minister over the Gaza war.",
    )
    items = [(*hague, T0, "NL"), (*israel, T0 + timedelta(hours=1), "IL")]
    tags = [GeoTags(("NL", "IL", "PS"), "NL"), GeoTags(("IL", "PS"), "IL")]
    assert run(items, untagged(2))[1].new
    joined = run(items, tags)
    assert joined[1].story_id == joined[0].story_id


def test_a_headline_place_named_in_the_other_reports_text_is_no_disagreement() -> None:
    hilla = (
        "Explosion at militia arms depot in Hilla",
        "A large explosion tore through an arms depot used by an armed faction in Babylon "
        "province late on Saturday, security sources said.",
    )
    baghdad = (
        "Blast hits weapons store south of Baghdad",
        "An explosion tore through a weapons depot of an armed faction near Hilla, about 100 km "
        "south of Baghdad, late on Saturday. The cause was not known.",
    )
    results = run([(*hilla, T0, "IQ"), (*baghdad, T0 + timedelta(minutes=50), "IQ")])
    assert results[1].story_id == results[0].story_id


# -- hard negatives -----------------------------------------------------------------------------


def test_same_place_same_attack_type_two_days_later_is_a_new_story() -> None:
    later = (
        "Rockets fall near Green Zone for second time this week",
        "BAGHDAD, Nov 5 (Reuters) - Two rockets fell near Baghdad's Green Zone on Thursday "
        "night, two days after a similar attack, hitting an empty car park on the bank of the "
        "Tigris, police said.",
    )
    results = run(
        [(t, s, T0, "IQ") for t, s in GREEN_ZONE] + [(*later, T0 + timedelta(days=2), "IQ")]
    )
    assert results[-1].new


def test_same_words_about_different_countries_stay_apart() -> None:
    pakistan = (
        "Floods kill 23 in northern Pakistan after heavy rain",
        "Flash floods triggered by torrential rain killed 23 people in Pakistan's Khyber "
        "Pakhtunkhwa province over the weekend, the provincial disaster authority said.",
    )
    afghanistan = (
        "Floods kill 23 in northern Afghanistan after heavy rain",
        "Flash floods caused by heavy rain killed 23 people in Afghanistan's Baghlan province "
        "over the weekend, a spokesman for the Taliban administration said.",
    )
    tagged = run([(*pakistan, T0, "PK"), (*afghanistan, T0, "AF")])
    unknown = run([(*pakistan, T0, "PK"), (*afghanistan, T0, None)])
    assert tagged[1].new
    assert unknown[1].new


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            (
                "Protesters clash with police in Basra over power cuts",
                "Hundreds of protesters angry about electricity cuts clashed with police outside "
                "the Basra provincial council on Wednesday, and 7 people were injured.",
            ),
            (
                "Protesters clash with police in Nasiriyah over jobs",
                "Unemployed graduates clashed with police in Nasiriyah on Wednesday as they tried "
                "to storm the Dhi Qar governorate building, leaving 4 people injured.",
            ),
        ),
        (
            (
                "Gunmen kidnap 30 students from school in northwest Nigeria",
                "Gunmen stormed a boarding school in Nigeria's Kebbi state on Wednesday and "
                "abducted 30 students, police said.",
            ),
            (
                "Gunmen kidnap 20 worshippers from church in central Nigeria",
                "Gunmen attacked a church in Nigeria's Kogi state on Wednesday evening and "
                "abducted 20 worshippers, police said.",
            ),
        ),
    ],
)
def test_same_kind_of_event_in_different_cities_on_the_same_day_stays_apart(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    results = run([(*first, T0, "XX"), (*second, T0 + timedelta(hours=3), "XX")])
    assert results[1].new


def test_one_fact_in_different_words_and_languages_is_one_term() -> None:
    english = fingerprint("Strong quake jolts Hokkaido, dozens killed", "")
    other = fingerprint("Tremor shakes Hokkaido: muertos", "")
    french = fingerprint("Séisme à Hokkaido, des dizaines de morts", "")
    assert {"quake", "kill"} <= english.terms & other.terms
    assert {"quake", "kill"} <= english.terms & french.terms
    assert fingerprint("BTC tops $150K", "").terms & fingerprint("Bitcoin tops $150K", "").terms


def test_inflections_and_cognates_meet_on_their_first_seven_letters() -> None:
    english = fingerprint("Presidential guard: military investigators question officers", "")
    spanish = fingerprint("El presidente ordena una investigación militar", "")
    assert {"preside", "militar", "investi"} <= english.terms & spanish.terms


def test_a_knife_attack_is_one_term_in_every_language_and_so_is_the_central_bank() -> None:
    english = fingerprint("Three dead in knife attack at city festival", "")
    for other in ("Stabbing at city festival", "Messerangriff auf Stadtfest", "Apuñalamiento"):
        assert "stab" in english.terms & fingerprint(other, "").terms
    assert fingerprint("ECB holds rates", "").terms & fingerprint("La BCE maintient", "").terms
    assert "ecb" in fingerprint("Die EZB lässt den Leitzins", "").specific_names


def test_romance_tion_nouns_meet_their_english_spelling() -> None:
    english = fingerprint("Argentina's inflation slows; election and protection debate", "")
    for other in (
        "La inflación se desacelera; debate sobre la elección y la protección",
        "A inflação desacelera",
        "L'inflazione rallenta",
    ):
        assert "inflati" in english.terms & fingerprint(other, "").terms, other
    assert {"electio", "protect"} <= english.terms


def test_the_government_and_interest_rates_are_one_term_in_every_language_and_dates_none() -> None:
    english = fingerprint("Government keeps interest rate unchanged on Monday in August", "")
    for other in (
        "Le gouvernement laisse le taux inchangé lundi en août",
        "Die Regierung lässt den Zins am Montag im August unverändert",
        "El gobierno mantiene la tasa sin cambios el lunes en agosto",
    ):
        theirs = fingerprint(other, "").terms
        assert "governm" in english.terms & theirs, other
        assert not theirs & {"lundi", "aout", "montag", "lunes", "agosto"}, other
    assert {"rate", "unchang"} <= english.terms & fingerprint("Zins unverändert", "").terms


def test_a_quarter_point_cut_is_the_same_words_in_every_language() -> None:
    english = fingerprint("Fed cuts rates by a quarter point", "")
    for other in (
        "La Reserva Federal recorta los tipos un cuarto de punto",
        "Fed senkt Zinsen um einen Viertel Punkt",
    ):
        assert {"cut", "quarter", "point"} <= english.terms & fingerprint(other, "").terms, other


def test_a_murder_is_a_killing_in_every_language() -> None:
    english = fingerprint("Journalist shot dead in Culiacan", "")
    spanish = fingerprint("Asesinan a periodista en Culiacán", "")
    assert {"kill", "journal"} <= english.terms & spanish.terms


def test_a_decimal_is_one_number_however_its_point_is_written() -> None:
    english = fingerprint("Inflation slows to 1.6% as rate falls to 4.25%", "")
    spanish = fingerprint("La inflación baja a 1,6%; la tasa queda en 4,25%", "")
    brazil = fingerprint("Selic fica em 14,25%", "")
    assert {"1.6", "4.25"} <= english.numbers & spanish.numbers
    assert not english.numbers & brazil.numbers  # 4.25 and 14.25 share no "25"
    assert fingerprint("Deposit rate stays at 2.00%", "").numbers == frozenset({"2"})
    assert fingerprint("Der Einlagenzins bleibt bei 2,0 Prozent", "").numbers == frozenset({"2"})


def test_a_shared_percentage_is_not_a_shared_fact() -> None:
    airline = fingerprint(
        "Northway Airlines shares rise 4.25% after carrier raises annual guidance",
        "Shares of Northway Airlines gained 4.25% in Oslo trading after the carrier lifted its "
        "annual passenger guidance, citing strong summer bookings on transatlantic routes.",
    )
    software = fingerprint(
        "Quillon stock up 4.25% as software maker beats estimates",
        "Quillon's stock rose 4.25% after the software maker reported annual revenue above "
        "analysts' estimates and announced a buyback of its shares.",
    )
    story = new_candidate(1, airline, T0, None)
    assert assign(software, T0 + timedelta(hours=2), None, [story]).new


def test_number_words_in_other_languages_are_numbers() -> None:
    for text in ("Trois morts", "Tres muertos", "Drei Tote", "Três mortos"):
        assert fingerprint(text, "").numbers == frozenset({"3"}), text


def test_an_acronym_meets_the_initials_of_its_name() -> None:
    full = (
        "India's central bank holds rates steady",
        "The Reserve Bank of India left its key repo rate unchanged, as expected.",
    )
    short = (
        "RBI keeps repo rate unchanged, retains neutral stance",
        "The monetary policy committee voted to keep the key rate where it is.",
    )
    assert "rbi" in fingerprint(*full).initials
    assert "rbi" in fingerprint(*short).specific_names
    results = run([(*full, T0, "IN"), (*short, T0 + timedelta(hours=1), "IN")])
    assert results[1].story_id == results[0].story_id


def test_reports_sharing_only_a_headline_verb_phrase_stay_apart() -> None:
    # "Rockets hit <something>" from twenty feeds with nothing else in common: twenty events
    # ("Rockets" opens every headline, so it is a weak name in each of them).
    items = [
        (f"Rockets hit w{i}a w{i}b w{i}c", " ".join(f"w{i}x{k}" for k in range(6)),
         T0 + timedelta(minutes=i), None)
        for i in range(20)
    ]  # fmt: skip
    assert len({r.story_id for r in run(items)}) == 20


def test_reports_whose_headlines_say_the_same_join_though_their_leads_differ() -> None:
    first = (
        "Tsunami advisory issued after quake",
        "Waves of about 20 centimetres reached two fishing harbours, the meteorological agency "
        "said, adding that ferries would resume sailing by the afternoon and schools would reopen.",
    )
    second = (
        "Quake: tsunami advisory lifted",
        "Residents of low-lying towns moved to higher ground before dawn while trains were halted "
        "for inspection of tracks and bridges, broadcasters showed shelves toppled in shops.",
    )
    results = run([(*first, T0, "XX"), (*second, T0 + timedelta(hours=2), "XX")])
    assert results[1].story_id == results[0].story_id
    assert results[1].reason == "same-headline"


def test_scaled_numbers_are_written_out() -> None:
    scaled = fingerprint("BTC tops $150K", "")
    assert scaled.numbers == fingerprint("Bitcoin tops $150,000", "").numbers


def test_spellings_of_one_city_meet() -> None:
    kiev = fingerprint("Drones hit Kiev overnight", "", geo=tag("Drones hit Kiev overnight", ""))
    kyiv = fingerprint("Drones hit Kyiv overnight", "", geo=tag("Drones hit Kyiv overnight", ""))
    assert "kyiv" in kiev.specific_names & kyiv.specific_names


def test_rewrites_sharing_a_place_and_few_words_join() -> None:
    first = (
        "Shelling of market in Sudan's El Obeid kills at least 20, medics say",
        "PORT SUDAN (Reuters) - Artillery shells fired by the paramilitary Rapid Support Forces "
        "hit a crowded market in El Obeid, capital of North Kordofan state, killing at least 20.",
    )
    second = (
        "RSF accused of deadly attack on El Obeid market as Kordofan fighting rages",
        "Sudan's army-aligned government accused the Rapid Support Forces of a 'massacre of "
        "civilians', while the UN called for an independent investigation.",
    )
    results = run([(*first, T0, "SD"), (*second, T0 + timedelta(hours=3), "SD")])
    assert results[1].story_id == results[0].story_id


def test_a_city_and_the_province_around_it_do_not_tell_events_apart() -> None:
    bannu = (
        "Seven policemen martyred in suicide attack on Bannu checkpost",
        "A suicide bomber rammed an explosives-laden vehicle into a police checkpost in Bannu, "
        "killing seven policemen, officials said.",
    )
    province = (
        "Suicide bomber kills seven police in northwest Pakistan",
        "A suicide bomber struck a police post in Khyber Pakhtunkhwa province on Tuesday, killing "
        "seven policemen near the Afghan border, officials said.",
    )
    results = run([(*bannu, T0, "PK"), (*province, T0 + timedelta(hours=2), "PK")])
    assert results[1].story_id == results[0].story_id


def test_reports_sharing_a_country_and_one_headline_word_find_each_other() -> None:
    index = MemoryStoryIndex()
    rbi = ("RBI keeps repo rate unchanged", "The Reserve Bank of India held its key rate.")
    india = ("India's central bank holds rates steady", "Inflation stayed below target.")
    first = fingerprint(*rbi, geo=GeoTags(("IN",), "IN"))
    process(index, first, T0, "IN", index.next_id)
    second = fingerprint(*india, geo=GeoTags(("IN",), "IN"))
    assert index.candidates(second.band_keys, T0 - timedelta(hours=1))


# -- updates ------------------------------------------------------------------------------------

MARKET = (
    "Car bomb kills five in Baghdad market",
    "A car bomb exploded in a crowded market in Baghdad's Sadr City district on Monday morning, "
    "killing five people and wounding 14, police and medical sources said.",
)


def test_a_rising_death_toll_is_an_update() -> None:
    toll = (
        "Death toll from Baghdad market car bomb rises to 9",
        "The death toll from Monday's car bomb attack in a market in Sadr City, in eastern "
        "Baghdad, has risen to nine, with 20 others wounded, an Iraqi police source said.",
    )
    results = run([(*MARKET, T0, "IQ"), (*toll, T0 + timedelta(hours=2), "IQ")])
    assert results[1].story_id == results[0].story_id
    assert results[1].updated


def test_an_update_marker_is_an_update_even_without_new_numbers() -> None:
    marked = ("UPDATE 1-" + MARKET[0], MARKET[1])
    results = run([(*MARKET, T0, "IQ"), (*marked, T0 + timedelta(hours=1), "IQ")])
    assert results[1].story_id == results[0].story_id
    assert results[1].updated


def test_a_materially_longer_lead_is_an_update() -> None:
    longer = (
        MARKET[0],
        MARKET[1] + " The blast set several stalls on fire and damaged nearby shops; residents "
        "said the market had been searched by security forces only an hour earlier, and the "
        "interior ministry ordered an inquiry into how the car got past checkpoints.",
    )
    results = run([(*MARKET, T0, "IQ"), (*longer, T0 + timedelta(hours=1), "IQ")])
    assert results[1].story_id == results[0].story_id
    assert results[1].updated


def test_a_rewrite_with_the_same_facts_is_not_an_update() -> None:
    rewrite = (
        "Car bombing at Sadr City market leaves 5 dead",
        "A parked car packed with explosives blew up in a busy Sadr City market in eastern "
        "Baghdad on Monday, killing five civilians and wounding 14 others, Iraqi police said.",
    )
    results = run([(*MARKET, T0, "IQ"), (*rewrite, T0 + timedelta(minutes=30), "IQ")])
    assert results[1].story_id == results[0].story_id
    assert not results[1].updated


# -- the window ---------------------------------------------------------------------------------


def test_the_same_text_four_days_later_starts_a_new_story() -> None:
    results = run([(*MARKET, T0, "IQ"), (*MARKET, T0 + timedelta(days=4), "IQ")])
    assert results[1].new
    assert results[1].story_id != results[0].story_id


KANDAHAR = (
    (
        "Gunmen storm police station in Kandahar, killing four",
        "Gunmen attacked a police station on the outskirts of Kandahar city before dawn on Sunday, "
        "killing four officers and wounding three, a provincial spokesman said.",
    ),
    (
        "Taliban say attackers killed after Kandahar assault",
        "Security forces shot dead two gunmen after an assault on a checkpoint in Kandahar on "
        "Sunday that left four officers dead, the Taliban's interior ministry said in a statement.",
    ),
)


@pytest.mark.parametrize(("hours", "joins"), [(5, True), (30, False)])
def test_the_same_event_bar_rises_only_after_some_quiet_hours(hours: int, joins: bool) -> None:
    first, second = KANDAHAR
    results = run([(*first, T0, "AF"), (*second, T0 + timedelta(hours=hours), "AF")])
    assert (results[1].story_id == results[0].story_id) is joins


def test_the_same_text_within_the_window_joins() -> None:
    results = run([(*MARKET, T0, "IQ"), (*MARKET, T0 + timedelta(hours=30), "IQ")])
    assert results[1].story_id == results[0].story_id


# -- fingerprints and the index -------------------------------------------------------------------


def test_wire_boilerplate_is_stripped_and_remembered_as_markers() -> None:
    title = strip_boilerplate("UPDATE 2-Rockets hit Green Zone")
    lead = strip_boilerplate("BAGHDAD, Nov 3 (Reuters) - At least three rockets landed.")
    flash = strip_boilerplate("BREAKING: Explosion heard in Erbil")
    assert (title.text, title.update_marker) == ("Rockets hit Green Zone", True)
    assert lead.text == "At least three rockets landed."
    assert (flash.text, flash.breaking_marker) == ("Explosion heard in Erbil", True)


@pytest.mark.parametrize(
    "lead",
    [
        "ABU DHABI, 19th September, 2026 (WAM) -- Captives were released.",
        "MOSCOW, September 19. /TASS/. Captives were released.",
        "Pyongyang, September 12 (KCNA) -- Captives were released.",
        "BEIJING, Sept. 7 (Xinhua) -- Captives were released.",
    ],
)
def test_state_agency_datelines_are_stripped_so_the_bureau_is_not_a_place_of_the_event(
    lead: str,
) -> None:
    assert strip_boilerplate(lead).text == "Captives were released."


def test_folding_removes_case_accents_and_punctuation() -> None:
    assert fold("Querétaro's ŁÓDŹ, Zürich—Straße!") == "queretaro s lodz zurich strasse"


def test_capitals_explained_by_position_are_weak_names_and_countries_are_generic() -> None:
    found = names(Words.of("Boeing workers end strike"), Words.of("Workers in Seattle voted."))
    assert "seattle" in found.strong
    assert "boeing" in found.weak
    assert "worker" not in found.strong + found.weak
    assert all(is_generic_name(n) for n in ("iraq", "iraqi", "ukrainian", "ministry"))
    assert not any(is_generic_name(n) for n in ("baghdad", "quetta", "samo"))


def test_band_keys_are_short_stable_strings() -> None:
    fp = fingerprint(*GREEN_ZONE[0])
    again = fingerprint(*GREEN_ZONE[0])
    assert fp.band_keys == again.band_keys
    assert 10 <= len(fp.band_keys) <= 40
    assert all(isinstance(k, str) and len(k) <= 12 for k in fp.band_keys)


def test_each_band_key_yields_only_its_newest_stories() -> None:
    index = MemoryStoryIndex(per_key=8)
    fp = fingerprint(*MARKET)
    for story_id in range(1, 500):
        index.add(new_candidate(story_id, fp, T0, "IQ"), fp.band_keys)
    found = index.candidates(fp.band_keys, T0 - timedelta(hours=72))
    assert sorted(c.story_id for c in found) == list(range(492, 500))


def test_a_lookup_returns_at_most_limit_stories_those_sharing_most_keys_first() -> None:
    index = MemoryStoryIndex(per_key=8, limit=16)
    story = new_candidate(0, fingerprint(*MARKET), T0, "IQ")
    for story_id in range(1, 400):
        index.add(replace(story, story_id=story_id), [f"k{story_id % 40}"])
    index.add(replace(story, story_id=1000), ["k1", "k2", "k3"])
    found = index.candidates([f"k{i}" for i in range(40)], T0 - timedelta(hours=72))
    assert len(found) == 16
    assert found[0].story_id == 1000


def test_the_index_skips_stories_last_seen_before_the_window() -> None:
    index = MemoryStoryIndex()
    fp = fingerprint(*MARKET)
    index.add(new_candidate(1, fp, T0, "IQ"), fp.band_keys)
    assert index.candidates(fp.band_keys, T0 + timedelta(seconds=1)) == []


def test_a_merged_story_keeps_its_first_and_latest_members_and_widens_its_times() -> None:
    fps: list[Fingerprint] = [fingerprint(t, s) for t, s in GREEN_ZONE] * 2
    story = new_candidate(7, fps[0], T0, None)
    for i, fp in enumerate(fps[1:], start=1):
        story = merge(story, fp, T0 + timedelta(minutes=i), "IQ")
    assert len(story.members) == 4
    assert story.members[0].signature == fps[0].signature
    assert (story.first_seen, story.last_seen) == (T0, T0 + timedelta(minutes=5))
    assert story.primary_country == "IQ"


def test_a_candidate_stored_before_weak_names_and_countries_existed_still_loads() -> None:
    story = new_candidate(3, fingerprint(*GREEN_ZONE[0]), T0, "IQ")
    old = json.loads(candidate_json(story))
    del old["weak_names"], old["countries"]
    loaded = candidate_from(3, json.dumps(old), story.title, "IQ", T0, T0)
    assert loaded == replace(story, weak_names=frozenset(), countries=frozenset())


def test_a_candidate_survives_a_json_round_trip_for_the_store() -> None:
    first = new_candidate(3, fingerprint(*GREEN_ZONE[0], geo=GeoTags(("IQ", "US"), "IQ")), T0, "IQ")
    story = merge(first, fingerprint(*GREEN_ZONE[1]), T0 + timedelta(hours=1), None)
    stored = candidate_json(story)
    when = (story.first_seen, story.last_seen)
    assert (
        candidate_from(story.story_id, stored, story.title, story.primary_country, *when) == story
    )


# -- the labelled set -----------------------------------------------------------------------------


def pairwise_quality(rows: list[dict[str, str]], stories: dict[str, int]) -> tuple[float, float]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(rows, 2):
        same_label = a["group"] == b["group"]
        same_story = stories[a["id"]] == stories[b["id"]]
        tp += same_label and same_story
        fp += same_story and not same_label
        fn += same_label and not same_story
    return tp / (tp + fp), tp / (tp + fn)


def labelled_quality(tagger_primary: bool) -> dict[str, tuple[float, float]]:
    """Pairwise (precision, recall) per split and overall ("all"). Every item is tagged with
    the real gazetteer, as the pipeline does; `tagger_primary`: use its primary country, else
    the label's."""
    from monitor.geo import load_tagger

    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    rows.sort(key=lambda r: (r["published"], r["id"]))
    assert len(rows) >= 900 and len({r["group"] for r in rows}) >= 400
    tagger = load_tagger()
    tags = [tagger.tag(r["summary"], r["title"]) for r in rows]
    results = run(
        [
            (
                r["title"], r["summary"], datetime.fromisoformat(r["published"]),
                tag.primary if tagger_primary else r.get("primary"),
            )
            for r, tag in zip(rows, tags, strict=True)
        ],
        tags,
    )  # fmt: skip
    stories = {r["id"]: a.story_id or 0 for r, a in zip(rows, results, strict=True)}
    splits = {split: [r for r in rows if split in ("all", r.get("split", "dev"))]
              for split in FLOORS}  # fmt: skip
    return {split: pairwise_quality(part, stories) for split, part in splits.items()}


# Recall floors per split, a little under what is measured (bench/stories.md): "dev" and
# "holdout" were written with the first model; "b" to "g" later by other hands, with more
# rewording and other languages; "e", "f" and "g" also with syndicated copy, as real feeds carry
# it (each was scored once before any of its items were looked at; "g" has not been looked at).
# Precision must stay ≥ 0.95 everywhere.
FLOORS = {
    "dev": 0.98, "holdout": 0.98, "b": 0.78, "c": 0.63, "d": 0.55, "e": 0.85, "f": 0.75,
    "g": 0.74, "all": 0.79,
}  # fmt: skip


@pytest.mark.parametrize("tagger_primary", [True, False], ids=["tagger", "label-primary"])
def test_the_labelled_set_keeps_precision_and_recall_above_their_floors(
    tagger_primary: bool,
) -> None:
    quality = labelled_quality(tagger_primary)
    for split, (precision, recall) in quality.items():
        assert precision >= 0.95, split
        assert recall >= FLOORS[split], split


def test_a_candidate_stored_with_members_as_json_lists_still_loads() -> None:
    story = new_candidate(3, fingerprint(*GREEN_ZONE[0]), T0, "IQ")
    old = json.loads(candidate_json(story))
    old["members"] = [[list(m.signature), sorted(m.terms)] for m in story.members]
    assert candidate_from(3, json.dumps(old), story.title, "IQ", T0, T0) == story
