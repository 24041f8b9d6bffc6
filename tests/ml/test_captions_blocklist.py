import codecs

from ml.captions.blocklist import is_blocked

A_BLOCKED_WORD = codecs.decode("snttbg", "rot13")  # kept obfuscated, as in the module


def test_blocked_word_is_blocked_whatever_its_case():
    assert is_blocked(A_BLOCKED_WORD)
    assert is_blocked(A_BLOCKED_WORD.upper())


def test_ordinary_words_pass():
    assert not any(is_blocked(word) for word in ("cat", "monday", "brian", "the"))


def test_words_for_sexual_violence_are_blocked():
    # The bundled model once wrote "i am a rapist" for a harmless title.
    assert all(is_blocked(word) for word in ("rape", "raped", "rapist", "molester", "pedophile"))
