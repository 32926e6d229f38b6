"""Brand colours against WCAG 2.1: the ratios, the text colour picked for each, the nearest passing shade."""

from __future__ import annotations

import pytest

from wowcard import contrast


def test_contrast_ratios_match_wcag_reference_values():
    assert contrast.ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast.ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast.ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey
    assert contrast.ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    ("colour", "text"),
    [
        ("#ffffff", "#1a1a1a"),
        ("#0b5d6b", "#ffffff"),
        ("#ffd23f", "#1a1a1a"),
        ("#1d4e89", "#ffffff"),
        ("#767676", "#ffffff"),
        ("#808080", "#000000"),
    ],
)
def test_text_on_a_colour_is_dark_or_light_whichever_reaches_aa(colour, text):
    assert contrast.text_on(colour) == text
    assert contrast.ratio(contrast.text_on(colour), colour) >= 4.5


def test_every_grey_gets_readable_text():
    for level in range(256):
        grey = f"#{level:02x}{level:02x}{level:02x}"
        assert contrast.ratio(contrast.text_on(grey), grey) >= 4.5, grey


def test_the_nearest_passing_shade_passes_and_keeps_the_hue():
    shade = contrast.nearest_passing("#f5c400", "#ffffff")
    assert contrast.ratio(shade, "#ffffff") >= 4.5
    assert contrast.ratio(shade, "#ffffff") < 4.7  # the nearest, not just any dark colour
    r, g, b = (int(shade[i : i + 2], 16) for i in (1, 3, 5))
    assert r > g > b  # still a yellow-orange, only darker


def test_a_primary_colour_unreadable_on_the_background_is_refused():
    with pytest.raises(contrast.ContrastError) as caught:
        contrast.palette("#f5c400", "#ffffff")
    assert caught.value.path == "brand.primary"
    assert "#f5c400" in caught.value.message and "#ffffff" in caught.value.message
    assert "1.64:1" in caught.value.message


def test_the_palette_of_a_dark_brand_uses_light_text():
    palette = contrast.palette("#ffd23f", "#14213d")
    assert palette.ink == "#ffffff" and palette.on_primary == "#1a1a1a"
