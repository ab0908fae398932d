import pytest

from diary.spinal_levels import INTERSPACES, normalize_level, normalize_levels


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("L3/L4", "L3/L4"),
        ("l3/l4", "L3/L4"),
        (" C6 / C7 ", "C6/C7"),
        ("L2-L3", "L2/L3"),
        ("T12/L1", "T12/L1"),
        ("C7/T1", "C7/T1"),
        ("L5/S1", "L5/S1"),
        ("S1/S2", "S1/S2"),
        ("C1/C2", "C1/C2"),
    ],
)
def test_adjacent_interspaces_are_accepted_and_made_canonical(raw, canonical):
    assert normalize_level(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    ["L3/L5", "L4/L3", "L6/S1", "C0/C1", "T13/L1", "S2/S3", "L3", "L3/L4/L5", "", "3/4", "X1/X2"],
)
def test_anything_but_an_adjacent_interspace_is_refused(raw):
    with pytest.raises(ValueError, match="adjacent interspace"):
        normalize_level(raw)


def test_the_spine_has_the_expected_interspaces():
    assert len(INTERSPACES) == 25  # C1/C2..C7/T1 (7), T1/T2..T12/L1 (12), L1/L2..L5/S1 (5), S1/S2
    assert INTERSPACES[0] == "C1/C2" and INTERSPACES[-1] == "S1/S2"


def test_levels_are_deduplicated_and_ordered_head_to_tail():
    assert normalize_levels(["L4/L5", "c6/c7", "L4-L5"]) == ["C6/C7", "L4/L5"]
