"""An independent audit of the SRD records against the PDF pages, read by hand.

Each test names a record and the value the SRD prints for it (page numbers are the PDF's,
1-based). They were written from the page text and images, not from the parser's output.
"""

from __future__ import annotations


def test_plate_description_stops_before_the_next_section(srd_by_name):
    # p.64: the Plate paragraph ends "...distribute the weight over the body." and the next text,
    # "The time it takes to don or doff armor ...", belongs to "Getting Into and Out of Armor"
    plate = srd_by_name["equipment"]["Plate"]
    assert plate.description == (
        "Plate consists of shaped, interlocking metal plates to cover the entire body. A suit of plate "
        "includes gauntlets, heavy leather boots, a visored helmet, and thick layers of padding underneath "
        "the armor. Buckles and straps distribute the weight over the body."
    )


def test_torch_description_stops_before_tools(srd_by_name):
    # p.69: the Torch paragraph is the last of Adventuring Gear; "A tool helps you ..." opens "Tools"
    torch = srd_by_name["equipment"]["Torch"]
    assert torch.description == (
        "A torch burns for 1 hour, providing bright light in a 20-foot radius and dim light for an "
        "additional 20 feet. If you make a melee attack with a burning torch and hit, it deals 1 fire damage."
    )
