"""Code pages: runs of text per page, transliteration, cleaning, and text drawn as an image."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.devices.printing.codepages import (
    CODE_PAGES,
    TextEncoder,
    UnencodableTextError,
    clean,
    pages_for,
    text_image,
    transliterate,
)

LATIN_EURO_CYRILLIC = pages_for(("CP437", "CP858", "CP866"))


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("Фёдор Достоевский", "Fedor Dostoevskii"),
        ("ЩУКИН Жорж", "ShchUKIN Zhorzh"),
        ("Юлия Шевчук", "Iuliia Shevchuk"),
        ("Ζωή Παπαδοπούλου", "Zoi Papadopoulou"),
        ("Θεόδωρος Χατζής", "Theodoros Chatzis"),
        ("Łódź Straße", "Lodz Strasse"),
        ("Ærøskøbing", "Aeroskobing"),
        ("Crème brûlée", "Creme brulee"),
        ("−10 % – “VIP” …", '-10 % - "VIP" ...'),
    ],
)
def test_transliteration_spells_greek_cyrillic_and_accents_in_latin(text: str, latin: str) -> None:
    assert transliterate(text) == latin


def test_a_profile_encodes_each_run_in_the_first_page_that_has_it() -> None:
    encoder = TextEncoder(LATIN_EURO_CYRILLIC)
    cp437, cp858, cp866 = LATIN_EURO_CYRILLIC
    assert encoder.runs("Ada Lovelace", None) == [(cp437, b"Ada Lovelace")]
    assert encoder.runs("5,00 €", None) == [(cp858, "5,00 €".encode("cp858"))]
    assert encoder.runs("Фёдор", cp437) == [(cp866, "Фёдор".encode("cp866"))]
    # the page in use is kept while it can encode: no switch back for plain ASCII
    assert encoder.runs("Total", cp866) == [(cp866, b"Total")]


def test_mixed_text_is_split_into_runs_with_the_fewest_switches() -> None:
    encoder = TextEncoder(LATIN_EURO_CYRILLIC)
    _, cp858, cp866 = LATIN_EURO_CYRILLIC
    runs = encoder.runs("Фёдор: 5 €", None)
    assert runs == [(cp866, "Фёдор: 5 ".encode("cp866")), (cp858, "€".encode("cp858"))]


def test_text_no_page_has_is_refused_by_runs_and_kept_for_an_image_by_printable() -> None:
    encoder = TextEncoder(LATIN_EURO_CYRILLIC)
    with pytest.raises(UnencodableTextError, match="山"):
        encoder.runs("山田", None)
    assert encoder.printable("山田 − Ζωή") == "山田 - Zoi"
    assert not encoder.covers(encoder.printable("山田"))


def test_image_mode_keeps_letters_for_the_image_but_still_fixes_punctuation() -> None:
    encoder = TextEncoder(pages_for(("CP437",)), fallback="image")
    assert encoder.printable("Фёдор — VIP") == "Фёдор - VIP"


def test_a_printer_can_renumber_a_page() -> None:
    (page,) = pages_for(("CP866",), (("CP866", 59),))
    assert page.number == 59
    assert page.codec == CODE_PAGES["CP866"].codec
    with pytest.raises(ValueError, match="Unknown code page"):
        pages_for(("CP9999",))


def test_clean_composes_and_neutralises_control_characters() -> None:
    assert clean("Cafe\u0301") == "Café"
    assert clean("Evil\x1b@\x1dV\x00name") == "Evil @ V name"
    assert clean("soft\u00adhy\u200dphen") == "softhyphen"


def test_text_drawn_as_an_image_fills_the_paper_width() -> None:
    image = text_image("Фёдор", 48, 576)
    assert image.size == (576, 24)
    assert image.mode == "1"
    assert image.getbbox() is not None
    assert text_image("Ζωή", 32, 384, double=True, indent=4).size == (384, 48)


@given(st.text(max_size=60))
def test_after_printable_the_text_is_encoded_or_left_for_an_image_never_as_question_marks(
    text: str,
) -> None:
    encoder = TextEncoder(LATIN_EURO_CYRILLIC)
    ready = encoder.printable(clean(text))
    if encoder.covers(ready):
        data = b"".join(chunk for _, chunk in encoder.runs(ready, None))
        assert data.count(b"?") == ready.count("?")
    else:
        with pytest.raises(UnencodableTextError):
            encoder.runs(ready, None)
