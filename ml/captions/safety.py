"""Is a caption fit to show? `offensive_reason(text)` names the class of the problem, or None.

Two independent checks. A word-and-phrase filter by class: slurs and words for sexual violence are stored as
SHA-256 hashes (so this file does not print them), milder classes plainly; it matches tokens and runs of up to
three tokens after undoing simple obfuscation (leetspeak, repeated letters, s p a c e d letters). Then the
classifier shipped inside the `alt-profanity-check` wheel (a TF-IDF + linear SVM, loaded once per process on
first use; nothing is downloaded) catches the offensive language the lists do not name.

Plain Python; the generator's reranker and the site's last filter both call it."""
from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

# Picked by measurement (45 ordinary meme lines full of trigger words and 20 offensive ones, in the tests; 20,000
# random ImgFlip captions): at 0.5 the classifier flags 8 of the ordinary lines ("kill the bugs" scores 0.54) and
# 9.5% of the captions, at 0.7 3 lines and 6.1%, at 0.9 one ("i hate mondays", 0.91) and 3.4%, at 0.95 none and
# 2.5%. Every offensive line scores over 0.9, and the real captions between 0.9 and 0.95 still hold threats and
# homophobic lines, so 0.9.
CLASSIFIER_THRESHOLD = 0.9
CLASSIFIER_CLASS = "offensive language"


class UnfitCaptions(ValueError):
    """No candidate caption passed the checks; the message is for the user."""


# sha256 of the lower-case word or phrase -> class.
_HASHED = {
    "120f6e5b4ea32f65bda68452fcfaaef06b0136e1d0e4a6f60bc3771fa0936dd6": "slur",
    "5b3ae48be122f7ed19b4cc587649f41f9d2565df51cfa332f8e7806f4ebb9032": "slur",
    "08a841e996781e9e77d30a4e4420a8f501a280b00624e6d1224bf54aaff73eba": "slur",
    "341d56384afc0f47b34ca18273e793be555507a49444c30d3d0588688de46cb3": "slur",
    "3eed6d8f9ba46205b8fba3d622d26832fcc2a342b65e940a538aeb8c4d32af2d": "slur",
    "87d1690e74a1d8276d11401dc3da66b774e8f1cade9758b9ddf8737166ca73b7": "slur",
    "8f5083e3e5c7dc8932f2bf58212f963f3a44752618c96297f82623f736c52738": "slur",
    "1e02eec4f1095143be282056557034d4e8ab915342c1af508223141d472d2347": "slur",
    "9915ba2d822280f22c283df4e76584a40e0119fc58f73c5f84d4fdb04d04fa6f": "slur",
    "17bde8b4064612e266eaa1b5b1dfa054d1e6dd263f66b392159006d2c9a8ae8a": "slur",
    "85580f904474c32c4d826196710555cab41ef442bfb99806d47a09161b0f2ac9": "slur",
    "886d51e97ad7931d0d2af8439ca6d9e4887e3c2b469ed247cbd68ceb3649ccde": "slur",
    "92a9bf818e7e00021b6d6959f877f5df11b0f989e486db38f35853ebbd552086": "slur",
    "16ea09fc78ca83ca502cbcf2377acdf280bf18f61e259153f0868405eedab5ef": "slur",
    "402f7ebd98864afed4817ff4718d357dbfa95458aa4236d6c5959536956fa4e5": "slur",
    "158869a97379229b7681efae9d7f9c9214134e836d649ba53477c0c111414d59": "slur",
    "c1cabb6f6e431f9c4dea4c3b3264d6fe3829241d674f3496a2dfff6658f0363e": "slur",
    "bd331fb1d24298f52943034a243a341877957b895f4372b11babb87262904ed6": "slur",
    "98b52c4b6b7d1f48e7477a5ccc10955dd195d0ac5a38c8281bfeb08762634909": "slur",
    "044eb98b18769b887d5a0258f675e413058b8e9fc9b9786b418bfc6f03f26c98": "slur",
    "94c6d2e10a76c3134a31abb9a1e0e54feb4fe2b999cc5b788d5e9ef09c59b659": "slur",
    "eef3bd091670c3447022d619c06ad15de96da72b5a66f28bb8b75d1b1c12a05f": "slur",
    "0ce875d620076b533c6e681abaa0dc5d9a941366bb000a02ec5351f341b96c61": "slur",
    "c3de533e9b7fe63b79f648687a30d2861edd92fe7c3cd1f2c485e0a605367624": "slur",
    "268651b3ece980102f18871fde07189372961e056f858ca147a28d004f876b03": "slur",
    "f9d0d9b18ae9033a5ea36df19bf279b059e887a9ae785db81117bceaecc95933": "slur",
    "45cd3e1bb472d8e285a160a95f6409ec5ce86102e9caaaf0b63fc11db04ab559": "slur",
    "093b7636b24aca21881555cbf01456403ee52306a78a181f55fd58a5bb5f8b10": "slur",
    "cc02032349c833ac5e97bac094560ed40e09acf34cb1978ab7a9840b9bf15b4d": "slur",
    "82159dd02870c13ec30e4f146db7c317aca568469d0e7e22b8610a2eaa3d3924": "slur",
    "e7b98c6aa5b944e0b315d350d423f895ac9e44fb84f1534b18c2572370a67b9e": "slur",
    "daec0c235d3135fc1c60aee787f784c59c4d53b2041ff2bacd0d3bebda7246a8": "slur",
    "333f7618092958c75b8c5af6f1ec77b42803922a0fc6ff1570a8af3a3aab3b4a": "slur",
    "da0a6b1b9213d48ff10cc45733cc8a925dbd2afb26320ed488ac2efa9a8ae33a": "slur",
    "22fc75e65a0e9d34324092a7c6a8dba961853294abca4e5914e60c550f48e0c2": "slur",
    "17a110e5332848721f27510e1e2bca710a321663bb8a5632e0e46a820fc9e28a": "slur",
    "ee5a869b5ace6905c18930b814171beef8a7968dbc619a692d966c69464a0971": "slur",
    "c70e3e7c47f06aee0da280ecbb8fa029af41501910bc3fe9b5c36f16b7d78216": "slur",
    "12e6274e4309293e2d480272b49a6c7c73a6a6b22678ba226b533c67006c17d1": "slur",
    "bb209d506bb8b17815af0e50923c3d8f65985dab91083f026f1881a7430c5cc7": "slur",
    "dc675e448132fd2a4fed47c1736784e83fe01e8cf137dcf97cca9fc7e337e8b4": "slur",
    "70e4043b678ff365b6377e3ceeb5067bc27bbcd03707e17a36b62bf0201340bc": "slur",
    "6d1833779e389477ac6757e19c371df8e141bd67bc83e4b596dfc8a1947db29d": "slur",
    "ba59331131251da4ca819aa8bd51bb0636e3969bd224b1210d6420c84da5ad49": "slur",
    "e742d17ff490c87e19d0cfbfdb18c691aad9543e5d61498df7a6ba6dc56e3124": "slur",
    "374cd9d139c966f016f006517b2f4cc4d0ff7ed9a4ed579ec31ebcd869b43e9d": "slur",
    "3b1e0d7c5dd45583867e897943e37a940a7e7321022317dd3deea01963ee365e": "slur",
    "7122c9a14ba2d20ebb6ebc763eb8433eee8877a22d84ff75e6056a81bf7cd0ee": "slur",
    "b3cec2f6ece2cef2abef927e6a7093e2e37675438ebf6c6f5da0a03c359e8fc3": "slur",
    "33740da8a87dc7defbdbb7d06549dd8d82a33000a25293ceb9af687eb16bef22": "slur",
    "2892629af65ef61214b0732c5e66eb4b4495d7671bec49eab71a80767e9d1947": "slur",
    "0f9326dff651fe0347281f245745fc879090339e7029dc1e44ca7bf12cf2832d": "slur",
    "68681c97086eb97c81f544fc3a81b05ff3f3c31a898e9a26fbe8f585efbd42e9": "slur",
    "59cc3cb8a42973019cddacdee59e0aa7746ba6c203af78cefb453cb3a1b6610d": "sexual violence",
    "867d78976655050c6f3621a708b12be3eec80af71355b97bae7a6e50e52b3a1d": "sexual violence",
    "78a00d189cb84bce8b055cf325c0cc98e3440b89f9201390473b43a1fd581712": "sexual violence",
    "be2db2bf99f64685e99a8ccfb2edc983b0810a3869f0cb12a410a3d2757d7f66": "sexual violence",
    "a76d588d0047e3b043406060ba6170e2313f46f15a084d680464f881f1efeeb9": "sexual violence",
    "eb9b035455b44ae0c47b89aa899e181f65b6957b95fbe6d724e646e289b8de25": "sexual violence",
    "a6ee0e6b8b6a6ba1287f6d14dd0e97b37db9e1c1be07072c344957af0fa07506": "sexual violence",
    "0632813d1fd36b45a9ccdbdb5e04ae088b14c07548f460a3fb9345162f7d94c9": "sexual violence",
    "d7d34a40733b781818e489f6724cae6cf19170d051b4f94372efb304256daded": "sexual violence",
    "060360e1bc3bb24a95e408fae05f7e65491a12c71302f16824e5db810055e7dd": "sexual violence",
    "0cf97c16c9486c76e8190c969c2125ad961aa821cd74956333526f00450547ba": "sexual violence",
    "7920e3b1ffdeb694e70b876e8744318e1080176f4af4fc9e995fb14b2ae65b99": "sexual violence",
    "ab26f6966ee37fdf3b66775bf6d4f5541ae62ba85301ca534723a68cc7bfeba6": "sexual violence",
    "5af6e7f08d4bfea30f09574dbea03c26dd380e6ed71c1e9cc1869051a15074b0": "sexual violence",
    "3ef0b158edbfe22d12f0b0a9c59e00f7ee84a3f0730ba94c659502f9bb145056": "sexual violence",
    "bd02fbb1f47380c50831c920476dd6eb9ee6fcd89429c3490d1af8f5cb21887e": "sexual violence",
    "82e695c9e75f5bc67deea8c67acb1c7bce3f633d533f9785804b500206348b89": "sexual violence",
    "793922ac29bcc4f3e3e5c864d9426f75899a4e31d321706411e5f680e5880190": "sexual violence",
    "3011afcf6014f73e6395b88a525a223920bd3dfbc9796a313f0a97b7a008b387": "sexual violence",
    "05e63c241b46cfaab2dd136950e737ca8031a8bdcbd5179e79e19b09cd81af9d": "sexual violence",
    "c370669ac2532699311435ba477b308001be36120b62eecdbadc57a6df83c917": "sexual violence",
    "3af57114405e5121b4b5aa95bdc502dbd2e6ff73ea656bbaca9cd214a6a85d90": "sexual violence",
    "a8d8ed072e30e4a960c977ada8390608eb0da234df7cbf8e0eac9e40500e32a2": "sexual violence",
}

SEXUAL_WORDS = frozenset("""
porn porno porns pornhub xvideos xhamster hentai rule34 onlyfans lewd blowjob blowjobs handjob rimjob cumshot
creampie gangbang bukkake deepthroat jizz cum cumming semen dildo dildos masturbate masturbating masturbation fap
fapping orgasm orgasms orgy boner boners erection erections penis penises vagina vaginas pussy pussies clit clitoris
tits titties boobs boobies nipple nipples nude nudes horny milf anal sex sexting threesome stripper strippers cock cocks
slut sluts whore whores thot thots
""".split())
SEXUAL_PHRASES = frozenset({
    "suck my", "suck dick", "suck a dick", "my dick", "his dick", "your dick", "big dick", "dick pic", "dick pics",
    "blow me", "bust a nut", "finna nut", "gonna nut", "have sex",
})

_SUBJECT = r"(?:i|we|ill|well|im|imma|ima)"
_MODALS = r"(?:(?:will|shall|am|are|gonna|going|to|gon|finna|about|wanna|want|gotta|got|have|must|should|would|could|can|just)\s+){0,3}"
_HARM = r"(?:kill|murder|shoot|stab|strangle|choke|behead|decapitate|slaughter|butcher|bomb|hang|lynch|torture|burn|hurt|end|slit|execute|kidnap)"
_VICTIM = r"(?:you|u|ya|yall|him|her|them|everyone|everybody|your\s+(?:family|kids|children|mom|mother|dad|father|wife|husband|sister|brother|dog))"
THREATS = re.compile(
    rf"\b{_SUBJECT}\s+{_MODALS}{_HARM}\s+{_VICTIM}\b"
    r"|\b(?:kill|hang|shoot|neck)\s+(?:yourself|urself|yourselves|your\s+self)\b|\bkys\b"
    r"|\b(?:hope|wish)\s+(?:you|u|ya)\s+(?:die|dies|get\s+cancer)\b|\byou\s+(?:should|deserve\s+to|need\s+to|must)\s+die\b"
    r"|\bdie\s+in\s+a\s+fire\b|\bgo\s+die\b"
)

# Living public figures a meme might name; violence against them is never a joke the site tells.
REAL_PEOPLE = (
    "trump", "donald trump", "obama", "barack obama", "michelle obama", "biden", "joe biden", "hillary", "clinton",
    "bush", "putin", "kim jong un", "xi jinping", "zelensky", "zelenskyy", "netanyahu", "boris johnson", "trudeau",
    "macron", "bernie", "sanders", "pelosi", "kamala", "harris", "desantis", "aoc", "ted cruz", "mcconnell", "pence",
    "elon", "musk", "zuckerberg", "bill gates", "bezos", "bieber", "justin bieber", "kanye", "taylor swift",
    "kardashian", "kardashians", "miley cyrus", "nicki minaj", "ariana grande", "beyonce", "rihanna", "oprah", "greta",
    "thunberg", "jake paul", "logan paul", "pewdiepie", "the queen", "king charles", "prince harry", "meghan markle",
    "the pope", "pope", "pope francis", "the president", "the prime minister", "will smith", "chris rock", "johnny depp",
    "amber heard", "tom cruise", "mr beast", "mrbeast",
)
_PERSON = "(?:" + "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in sorted(REAL_PEOPLE, key=len, reverse=True)) + ")"
_ATTACK = r"(?:kill|murder|shoot|stab|behead|decapitate|hang|lynch|bomb|execute|torture|punch|slap|strangle|choke|burn|beat\s+up)(?:s|ed|ing)?"
_TITLES = r"(?:(?:the|that|this|mr|mrs|ms|president|senator|governor|dirty|fat|old|damn|fucking)\s+){0,3}"
VIOLENCE_AGAINST_PEOPLE = re.compile(
    rf"\b{_ATTACK}\s+{_TITLES}{_PERSON}\b"
    rf"|\b{_PERSON}\s+(?:\w+\s+)?(?:should|must|will|needs\s+to|deserves\s+to|gonna|is\s+going\s+to)\s+(?:be\s+)?"
    r"(?:die|killed|shot|hanged|hung|executed|assassinated|murdered|lynched|beheaded)\b"
    rf"|\bdeath\s+to\s+{_TITLES}{_PERSON}\b"
    r"|\bassassinat(?:e|es|ing)\b"  # the verb names a public figure as the victim ("assassination" is history)
)

_LEET = str.maketrans("013457@$!", "oieastasi")
_TOKEN = re.compile(r"[a-z0-9@$!]+")
# Runs of three or more of a letter are read as one or two; a double letter stays ("rapping" is not "raping").
_LONG_RUN = re.compile(r"(.)\1{2,}")
# The words the lists and patterns spell, so that "kiiiill you" reads as "kill you".
_KNOWN = SEXUAL_WORDS | set(" ".join(SEXUAL_PHRASES).split()) | set(
    re.findall(r"[a-z]{2,}", THREATS.pattern + VIOLENCE_AGAINST_PEOPLE.pattern)
)
_MAX_RUNS = 6  # a token with more runs of repeated letters is checked as written, not in every spelling


def offensive_reason(text: str) -> str | None:
    """The class of what makes the text unfit to show ("slur", "sexual violence", "sexual", "threat", "violence
    against a real person", "offensive language"), or None."""
    return offensive_reasons([text])[0]


def offensive_reasons(texts: Sequence[str]) -> list[str | None]:
    """offensive_reason for many texts: the classifier runs once for all of them (one call costs ~3 ms, a batch of
    32 about the same)."""
    reasons = [listed_reason(text) for text in texts]
    unlisted = [i for i, reason in enumerate(reasons) if reason is None]
    if unlisted:
        for i, probability in zip(unlisted, classifier_probabilities([texts[i] for i in unlisted])):
            if probability >= CLASSIFIER_THRESHOLD:
                reasons[i] = CLASSIFIER_CLASS
    return reasons


def offensive_share(captions: Iterable[str | Sequence[str]]) -> float:
    """Share of captions (a string, or one string per box) that offensive_reason flags; 0 for none."""
    texts = [caption if isinstance(caption, str) else " ".join(caption) for caption in captions]
    return sum(reason is not None for reason in offensive_reasons(texts)) / len(texts) if texts else 0.0


def listed_reason(text: str) -> str | None:
    """The word-and-phrase filter alone."""
    tokens = tokenize(text)
    for token in itertools.chain(tokens, _spelled_out(tokens)):
        for spelling in _spellings(token):
            if reason := _listed_class(spelling, SEXUAL_WORDS):
                return reason
    words = [canonical(token) for token in tokens]
    for phrase in _phrases(words):
        if reason := _listed_class(phrase, SEXUAL_PHRASES):
            return reason
    sentence = " ".join(words)
    if THREATS.search(sentence):
        return "threat"
    if VIOLENCE_AGAINST_PEOPLE.search(sentence):
        return "violence against a real person"
    return None


def _listed_class(words: str, sexual: frozenset[str]) -> str | None:
    return _HASHED.get(hashlib.sha256(words.encode("utf-8")).hexdigest()) or ("sexual" if words in sexual else None)


def tokenize(text: str) -> list[str]:
    """Lower-case tokens without accents or apostrophes ("i'll" is "ill"); digits and symbols read as the letters
    they stand for inside a word ("n00b"), not in numbers."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("'", "").replace("\u2019", "")
    return [token.translate(_LEET) if any(ch.isalpha() for ch in token) else token for token in _TOKEN.findall(text)]


def canonical(token: str) -> str:
    """The token as a listed word when some spelling of it is one ("kiiiill" is "kill"), else with long runs of a
    letter cut to two."""
    listed = (spelling for spelling in _spellings(token) if spelling in _KNOWN)
    return next(listed, _LONG_RUN.sub(r"\1\1", token))


def _spellings(token: str) -> list[str]:
    """The token with each run of three or more of a letter read once or twice ("fuuuuck": "fuck", "fuuck"), as
    written first."""
    runs = _LONG_RUN.findall(token)
    if not runs or len(runs) > _MAX_RUNS:
        return [token]
    parts = _LONG_RUN.split(token)  # text, run letter, text, run letter, ..., text
    spellings = [token]
    for counts in itertools.product((1, 2), repeat=len(runs)):
        spelling = "".join(part if i % 2 == 0 else part * counts[i // 2] for i, part in enumerate(parts))
        if spelling not in spellings:
            spellings.append(spelling)
    return spellings


def _spelled_out(tokens: list[str]) -> Iterable[str]:
    """Runs of three or more one-letter tokens, joined: "f u c k", "f.u.c.k"; every stretch of the run, since
    "a" and "i" are words of their own ("what a f u c k")."""
    for is_letter, group in itertools.groupby(tokens, key=lambda token: len(token) == 1):
        letters = "".join(group)
        if is_letter:
            for start, stop in itertools.combinations(range(len(letters) + 1), 2):
                if stop - start >= 3:
                    yield letters[start:stop]


def _phrases(words: list[str]) -> Iterable[str]:
    """Runs of two and three words."""
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            yield " ".join(words[i : i + n])


@functools.cache
def _classifier() -> tuple:
    """alt-profanity-check's vectorizer, and its model (five LinearSVCs, each with a sigmoid calibration, averaged:
    scikit-learn's CalibratedClassifierCV) as plain arrays: its predict_proba spends ~3 ms a call checking
    its input, against ~0.5 ms for this whole call. Unpickled on first use (about a second): importing the module
    loads them."""
    from profanity_check import profanity_check

    members = profanity_check.model.calibrated_classifiers_
    weights = np.stack([member.estimator.coef_[0] for member in members], axis=1)  # (features, members)
    intercepts = np.array([member.estimator.intercept_[0] for member in members])
    slopes = np.array([member.calibrators[0].a_ for member in members])
    offsets = np.array([member.calibrators[0].b_ for member in members])
    return profanity_check.vectorizer, weights, intercepts, slopes, offsets


def classifier_probabilities(texts: Sequence[str]) -> list[float]:
    """The classifier's probability that each text is offensive: each member's decision value through its sigmoid
    (p = 1 / (1 + exp(a·d + b))), averaged over the members, as CalibratedClassifierCV.predict_proba does."""
    vectorizer, weights, intercepts, slopes, offsets = _classifier()
    decisions = vectorizer.transform(list(texts)) @ weights + intercepts
    return (1.0 / (1.0 + np.exp(slopes * decisions + offsets))).mean(axis=1).tolist()
