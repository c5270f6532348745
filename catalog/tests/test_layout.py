import pytest

from catalog.layout import LayoutError, parse_layout, row_label


def test_parses_rows_numbers_types_and_gaps():
    seats = parse_layout("SS_P\nAR")
    assert [(s.name, s.seat_type, s.row_index, s.column) for s in seats] == [
        ("A1", "STANDARD", 0, 0),
        ("A2", "STANDARD", 0, 1),
        ("A3", "PREMIUM", 0, 3),
        ("B1", "ACCESSIBLE", 1, 0),
        ("B2", "RECLINER", 1, 1),
    ]


def test_accepts_a_list_of_rows_and_ignores_blank_lines_and_case():
    assert len(parse_layout(["ss", "", "  pp  "])) == 4


@pytest.mark.parametrize(
    "layout, message",
    [
        ("", "empty"),
        ("SSX", "unknown seat letter"),
        ("SS\n___", "Row B has no seats"),
        ("S" * 81, "longer than"),
    ],
)
def test_rejects_bad_layouts_with_a_clear_message(layout, message):
    with pytest.raises(LayoutError, match=message):
        parse_layout(layout)


def test_row_labels_go_past_z():
    assert [row_label(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]
