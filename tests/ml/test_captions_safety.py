import codecs
import subprocess
import sys

import pytest

from ml.captions import blocklist, safety
from ml.captions.safety import listed_reason, offensive_reason, offensive_reasons, offensive_share

# Slurs kept obfuscated, as in the blocklist's own tests.
SLUR, OTHER_SLUR = codecs.decode("snttbg", "rot13"), codecs.decode("avttre", "rot13")

# Lines people write in memes, full of words the filters must read in context; the threshold was picked on these
# (with "i hate mondays", the one line the classifier flags at 0.9, see safety.CLASSIFIER_THRESHOLD).
ORDINARY = [
    "one does not simply walk into mordor", "kill the bugs", "this test suite is killing me",
    "my mom told me to make my own tortillas", "i killed it at the interview", "shoot me a text when you get home",
    "this deadline is going to be the death of me", "the struggle is real", "brace yourselves winter is coming",
    "when you finally beat the final boss", "nailed it", "i'm dying of laughter", "that escalated quickly",
    "my code works and i don't know why", "kill all the bugs", "y u no answer the phone",
    "i am once again asking for coffee", "the cake is a lie", "mondays am i right", "this is fine",
    "me explaining the plot of the movie to my mom", "when the wifi drops during a meeting", "press f to pay respects",
    "stop it, get some help", "ain't nobody got time for that", "shut up and take my money",
    "not sure if hungry or bored", "what if i told you the printer works", "you get a car, everybody gets a car",
    "deploying on a friday? bold move", "my plants are dying again", "i'll be back",
    "the boss fight killed me twenty times", "shooting hoops after work", "my cat destroyed the couch",
    "that pizza was the bomb", "crushing it at the gym", "hit the books before finals", "sick beats bro",
    "the rapper dropped a new album", "my diet starts tomorrow", "i could murder a burger right now",
    "the hottest day of the year", "this meeting could have been an email",
]
OFFENSIVE_LANGUAGE = [
    "you are a stupid idiot", "shut the fuck up", "fuck mondays", "this shit is fucked", "go to hell you bitch",
    "what a dumbass", "eat shit", "you piece of shit", "screw you asshole", "kiss my ass", "fucking morons everywhere",
    "stupid bitch", "you ugly bastard", "son of a bitch", "what a load of bullshit", "shut up you fat pig",
    "all these hoes", "damn motherfucker", "you dumb cunt", "fuck off and die",
]


@pytest.mark.parametrize(
    "line",
    [
        "everyones a retard",  # reached the gallery before this filter
        f"you are a {SLUR}",
        f"YOU ARE A {SLUR.upper()}",
        f"{OTHER_SLUR.replace('i', '1')}s everywhere",  # leetspeak
        f"what a {SLUR[:2]}{SLUR[2] * 5}{SLUR[3:]}",  # repeated letters
        f"what a {' '.join(SLUR)} lol",  # spelled out
        f"{'.'.join(SLUR)}",
        "jungle bunny",
    ],
)
def test_slurs_are_flagged_as_slurs(line):
    assert offensive_reason(line) == "slur"


@pytest.mark.parametrize("line", ["i am a rapist", "he got raped", "r4pe", "the pedophile next door"])
def test_sexual_violence_is_flagged(line):
    assert offensive_reason(line) == "sexual violence"


@pytest.mark.parametrize("line", ["watching porn at work", "send nudes", "suck my", "pornhub premium", "b00bs"])
def test_sexual_content_is_flagged(line):
    assert offensive_reason(line) == "sexual"


@pytest.mark.parametrize(
    "line",
    ["i will kill you", "I'm gonna murder you all", "ill stab him", "we are going to shoot them", "kys",
     "just kill yourself", "kiiiiill yourself", "i hope you die", "go die in a fire"],
)
def test_threats_are_flagged(line):
    assert offensive_reason(line) == "threat"


@pytest.mark.parametrize(
    "line",
    ["i'm going to assassinate the president", "kill donald trump", "someone shoot the fat old pope",
     "obama should be executed", "death to putin"],
)
def test_violence_against_real_people_is_flagged(line):
    assert offensive_reason(line) == "violence against a real person"


@pytest.mark.parametrize("line", OFFENSIVE_LANGUAGE)
def test_the_classifier_flags_what_the_lists_do_not_name(line):
    assert offensive_reason(line) is not None


def test_the_classifier_is_a_check_of_its_own():
    assert listed_reason("you are a stupid idiot") is None
    assert offensive_reason("you are a stupid idiot") == safety.CLASSIFIER_CLASS


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_meme_lines_pass(line):
    assert offensive_reason(line) is None


@pytest.mark.parametrize(
    "line",
    ["the rapper kept rapping", "my therapist says hi", "scunthorpe united", "i got laid off",
     "the jfk assassination files", "the pen is mightier than the sword", "niger and nigeria", "is this nsfw",
     "2 + 2 = 4", "cocktail hour", "a spice rack"],
)
def test_words_that_merely_contain_or_resemble_listed_words_pass(line):
    assert offensive_reason(line) is None


def test_every_word_the_generator_masks_is_flagged_as_a_slur_or_sexual_violence():
    assert blocklist._BLOCKED_SHA256 <= {digest for digest, kind in safety._HASHED.items() if kind in ("slur", "sexual violence")}


def test_offensive_reasons_in_one_batch_equal_one_at_a_time():
    lines = ORDINARY[:5] + OFFENSIVE_LANGUAGE[:5] + ["i will kill you", "send nudes"]
    assert offensive_reasons(lines) == [offensive_reason(line) for line in lines]


def test_offensive_share_counts_captions_of_any_shape():
    assert offensive_share([["one does not simply", "walk into mordor"], "kill the bugs", ["i will", "kill you"], "send nudes"]) == 0.5
    assert offensive_share([]) == 0.0


def test_the_classifier_loads_on_first_use_not_on_import():
    code = (
        "import sys; import ml.captions.safety as s; print('profanity_check' in sys.modules); "
        "s.offensive_reason('hello'); s.offensive_reason('bye'); print('profanity_check' in sys.modules, s._classifier.cache_info().misses)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "1"]


def test_the_classifier_gives_the_probabilities_of_its_scikit_learn_model():
    from profanity_check import profanity_check

    lines = ORDINARY + OFFENSIVE_LANGUAGE + ["", "i hate mondays", "zzzz " * 200]
    expected = profanity_check.model.predict_proba(profanity_check.vectorizer.transform(lines))[:, 1]
    assert safety.classifier_probabilities(lines) == pytest.approx(expected.tolist(), abs=1e-9)
