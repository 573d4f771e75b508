"""Chunking granularity, tags and the extracted world on the sample adventure."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.campaign.pipeline import parse_campaign_pdf
from ingest.campaign.tagger import singular
from persistence.retrieval import tag_value

SAMPLE_CAMPAIGN_PDF = Path(__file__).resolve().parents[3] / "data" / "campaigns" / "the-drowned-lantern.pdf"
KEYED = ["A1. Harbor Gate", "A2. The Gutted Eel", "A3. Harbormaster's Office", "A4. Chapel of the Tide",
         "A5. Net-Mender's Row", "A6. The Wreck Beach", "B1. The Tidal Causeway", "B2. Keeper's Cottage",
         "B3. The Wreckers' Cellar", "B4. Lighthouse Base and Oil Store", "B5. The Spiral Stair", "B6. The Lamp Room",
         "B7. The Sea Stair", "C1. The Dripping Landing", "C2. The Bone Shoals", "C3. The Hall of Nets",
         "C4. The Tidal Cages", "C5. Kelpwhistle's Grotto", "C6. The Drowned Lantern"]
NAMED_NPCS = ["Mother Grell", "Edric Vane", "Sister Ilse Marrow", "Wren Tallow", "Cutter Nell", "Osric Tallow",
              "Mother Kelpwhistle"]
SRD_MONSTERS = ["Bandit", "Bandit Captain", "Commoner", "Giant Crab", "Guard", "Merrow", "Noble", "Priest", "Sea Hag",
                "Spy", "Swarm of Quippers"]
SRD_ITEMS = ["Cloak of the Manta Ray", "Potion of Water Breathing", "Bag of Holding"]


@pytest.fixture(scope="module")
def sample():
    return parse_campaign_pdf(SAMPLE_CAMPAIGN_PDF, SRD_MONSTERS, SRD_ITEMS)


def _chunk(sample, heading: str):
    found = [c for c in sample.chunks if c.heading_path and c.heading_path[-1] == heading]
    assert found, heading
    return found[0]


def test_every_keyed_location_is_its_own_chunk_and_row(sample) -> None:
    location_chunks = [c.heading_path[-1] for c in sample.chunks if c.kind == "location"]
    assert location_chunks == KEYED
    rows = {loc.key: loc for loc in sample.world.locations}
    assert sorted(rows) == sorted(h.split(".")[0] for h in KEYED)
    assert rows["A1"].name == "Harbor Gate"
    assert rows["A1"].description.startswith("A squat gatehouse of gray stone")
    assert sample.chunks[rows["C4"].chunk_index].heading_path[-1] == "C4. The Tidal Cages"


def test_every_named_npc_is_its_own_chunk_and_row(sample) -> None:
    npcs = {n.name: n for n in sample.world.npcs}
    for name in NAMED_NPCS:
        assert name in npcs, name
        chunk = sample.chunks[npcs[name].chunk_index]
        assert chunk.heading_path[-1] == name
        assert chunk.kind in ("npc", "stat_block")
    vane = npcs["Edric Vane"]
    assert vane.role == "Harbormaster of Gullhaven and member of the town council."
    assert "arranged for the light to fail" in vane.secrets
    assert "fiddles with his cuffs" in vane.personality
    assert vane.stat_block == "noble"
    assert vane.location == "Harbormaster's Office"
    assert npcs["Cutter Nell"].stat_block == "bandit captain"
    assert npcs["Mother Kelpwhistle"].location == "The Drowned Lantern"
    assert "Drowned Sailor" not in npcs            # a creature, written in lower case in the text


def test_no_chunk_is_oversized_and_each_keeps_path_and_page(sample) -> None:
    for chunk in sample.chunks:
        assert len(chunk.text) <= 1700 or chunk.kind in ("stat_block", "table")
        assert 1 <= chunk.page <= 12
    background = [c for c in sample.chunks if c.heading_path[-1:] == ("Adventure Background",)]
    assert len(background) == 2                      # a long section, split on a paragraph boundary
    assert background[1].text.split("\n\n")[1].startswith("(…)")   # with a sentence of overlap


def test_connections_come_from_area_references_and_paths(sample) -> None:
    pairs = {(c.from_name, c.to_name) for c in sample.world.connections}
    assert ("The Sea Stair", "The Dripping Landing") in pairs        # "The stair ends at area C1."
    assert ("Keeper's Cottage", "The Wreckers' Cellar") in pairs     # "a trapdoor leading down to area B3"
    assert ("Lighthouse Base and Oil Store", "The Sea Stair") in pairs
    assert ("The Spiral Stair", "The Lamp Room") in pairs


def test_plot_threads_and_hooks(sample) -> None:
    titles = [t.title for t in sample.world.threads]
    assert titles[0] == "Main plot: The Drowned Lantern"
    assert {"The Brine Hand", "The Chapel of the Tide", "The Gullhaven Council", "The Drowned Court"} <= set(titles)
    assert [h.title for h in sample.world.hooks] == ["The Factor's Loss", "A Letter from Wren", "The Saint's Dream",
                                                     "Shipwrecked"]


def test_structural_and_mention_tags(sample) -> None:
    a1 = _chunk(sample, "A1. Harbor Gate")
    assert {"location:Harbor_Gate", "chapter:Chapter_1_Gullhaven", "monster:Guard"} <= set(a1.tags)
    b3 = _chunk(sample, "B3. The Wreckers' Cellar")
    assert {"npc:Cutter_Nell", "monster:Bandit_Captain", "monster:Bandit", "item:Potion_of_Water_Breathing",
            "encounter:Wreckers_Cellar", "plot:Brine_Hand"} <= set(b3.tags)
    c2 = _chunk(sample, "C2. The Bone Shoals")
    assert "monster:Giant_Crab" in c2.tags           # "giant crabs" in bold → the SRD's Giant Crab
    assert "item:Cloak_of_the_Manta_Ray" in _chunk(sample, "C5. Kelpwhistle's Grotto").tags
    grell = _chunk(sample, "Mother Grell")
    assert {"npc:Mother_Grell", "location:Gutted_Eel"} <= set(grell.tags)
    table = _chunk(sample, "Coast and Caves Encounters (d8)")
    assert "encounter:Coast_and_Caves_Encounters" in table.tags
    b7 = _chunk(sample, "B7. The Sea Stair")
    assert "location:Dripping_Landing" in b7.tags    # "area C1" reference
    assert not any(t.startswith("npc:") for t in _chunk(sample, "C2. The Bone Shoals").tags)


def test_tags_without_srd_rows_still_find_stat_block_creatures() -> None:
    parsed = parse_campaign_pdf(SAMPLE_CAMPAIGN_PDF)
    tags = {t for c in parsed.chunks for t in c.tags}
    assert {"monster:Drowned_Sailor", "monster:Bandit_Captain", "monster:Merrow"} <= tags
    assert "monster:Bold" not in tags


@pytest.mark.parametrize("raw,value", [("The Gutted Eel", "Gutted_Eel"), ("Harbormaster's Office", "Harbormasters_Office"),
                                       ("Chapter 1: Gullhaven", "Chapter_1_Gullhaven"), ("  A Letter from Wren ",
                                                                                          "Letter_from_Wren")])
def test_tag_value_normalises(raw: str, value: str) -> None:
    assert tag_value(raw) == value


def test_singular() -> None:
    assert [singular(w) for w in ("giant crabs", "wolves", "harpies", "bandit", "merrow")] == \
        ["giant crab", "wolf", "harpy", "bandit", "merrow"]
