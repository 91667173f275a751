"""Language ID with lid.176: scripts, short text, allowed languages, threshold, tag-only mode."""
import pytest

from filters.language import LanguageId
from tests.filters.conftest import doc

TEXTS = {
    "en": "The weather was lovely, so we walked along the river\nand had lunch in the park.",
    "de": "Das Wetter war schön, also gingen wir am Fluss entlang.",
    "fr": "Il faisait beau, alors nous nous sommes promenés le long de la rivière.",
    "ru": "Погода была прекрасная, и мы гуляли вдоль реки.",
    "ja": "天気が良かったので、川沿いを散歩しました。",
    "zh": "天气很好，所以我们沿着河边散步。",
    "es": "Hace buen tiempo hoy.",
}


@pytest.fixture(scope="module")
def tagger():
    return LanguageId()


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_detects_language_including_non_latin_scripts_and_short_text(tagger, language):
    d = tagger(doc(TEXTS[language]))
    assert d.keep
    assert d.signals["language"] == language
    assert 0.5 < d.signals["language_score"] <= 1.0


def test_keeps_only_allowed_languages_above_threshold():
    english_only = LanguageId(languages=["en"], threshold=0.65)
    assert english_only(doc(TEXTS["en"])).keep
    d = english_only(doc(TEXTS["ru"]))
    assert (d.keep, d.reason, d.signals["language"]) == (False, "language_not_allowed", "ru")
    assert d.score < 0.65


def test_allowed_language_below_threshold_is_dropped_as_low_score():
    d = LanguageId(languages=["en"], threshold=0.9999)(doc("ok then"))
    assert not d.keep and d.signals["language"] == "en" and d.reason == "language_low_score"


def test_several_allowed_languages():
    cjk = LanguageId(languages=["ja", "zh"], threshold=0.5)
    assert cjk(doc(TEXTS["ja"])).keep and cjk(doc(TEXTS["zh"])).keep and not cjk(doc(TEXTS["de"])).keep


def test_unknown_or_malformed_language_codes_are_refused():
    with pytest.raises(ValueError, match="does not know"):
        LanguageId(languages=["xx"])
    with pytest.raises(ValueError, match="language code"):
        LanguageId(languages=["English"])
    with pytest.raises(FileNotFoundError):
        LanguageId(model="/no/such/lid.bin")
