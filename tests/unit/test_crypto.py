"""The credential cipher: several comma-separated secrets, the first encrypting and every
one decrypting, with data sealed before rotation existed still readable."""

import pytest

from storage.crypto import CredentialCipher, CredentialsUnreadable, split_secrets

# Made by the single-secret cipher as it was before rotation (storage/crypto.py at
# 88c0006): CredentialCipher("before-rotation secret").encrypt({"access_token": "abc123"}).
# A literal, so that a change to the key derivation cannot pass by changing both sides.
BEFORE_ROTATION = (
    "gAAAAABrEIg0IYXz727qTw5dYHShDi6XsH5-eSdkRmC2QtlywN60x5wrMmIU377ndXimD1xekuOdAzHOP644otUT"
    "PdKUG7gd_6AkRBhteA8Mpf-hNLsfJq4="
)
# The same, by CredentialCipher(" spaced, with a comma ").encrypt({"access_token": "xyz"}):
# a secret that was one secret before commas separated several.
BEFORE_ROTATION_WITH_A_COMMA = (
    "gAAAAABrEIg0xV6d_LEvgy8aiwcQZzXHdNJ5wdAB9N06QoZUquW2zIIUxiwwsKQSz5MtJjVbcx2_VY6-4OAkqSIn"
    "tooJtdJOW445abGrIfCrhiXhX179NOk="
)


def test_data_sealed_by_the_single_key_cipher_still_opens() -> None:
    assert CredentialCipher("before-rotation secret").decrypt(BEFORE_ROTATION) == {
        "access_token": "abc123"
    }
    both = CredentialCipher("a new secret,before-rotation secret")
    assert both.decrypt(BEFORE_ROTATION) == {"access_token": "abc123"}


def test_a_former_secret_holding_a_comma_still_opens_what_it_sealed() -> None:
    cipher = CredentialCipher(" spaced, with a comma ")
    assert cipher.decrypt(BEFORE_ROTATION_WITH_A_COMMA) == {"access_token": "xyz"}
    # ...but new data goes under the first listed secret, which rotation moves it to.
    fresh = cipher.encrypt({"k": "v"})
    assert CredentialCipher("spaced").decrypt(fresh) == {"k": "v"}
    assert CredentialCipher("spaced").decrypt(cipher.rotate(BEFORE_ROTATION_WITH_A_COMMA)) == {
        "access_token": "xyz"
    }


def test_the_first_secret_encrypts_and_every_one_decrypts() -> None:
    old, new = CredentialCipher("old"), CredentialCipher("new")
    both = CredentialCipher("new, old")
    assert both.key_count == 2
    assert both.decrypt(old.encrypt({"t": "1"})) == {"t": "1"}
    assert both.decrypt(new.encrypt({"t": "2"})) == {"t": "2"}
    sealed = both.encrypt({"t": "3"})
    assert new.decrypt(sealed) == {"t": "3"}
    with pytest.raises(CredentialsUnreadable):
        old.decrypt(sealed)


def test_rotate_moves_a_token_to_the_first_key() -> None:
    sealed = CredentialCipher("old").encrypt({"access_token": "abc"})
    rotated = CredentialCipher("new,old").rotate(sealed)
    assert rotated != sealed
    assert CredentialCipher("new").decrypt(rotated) == {"access_token": "abc"}
    with pytest.raises(CredentialsUnreadable):
        CredentialCipher("old").decrypt(rotated)
    # Rotating what is already on the first key keeps it readable there.
    assert CredentialCipher("new").decrypt(CredentialCipher("new").rotate(rotated)) == {
        "access_token": "abc"
    }


# A fixed Fernet key: test ids must be the same in every collecting process (xdist).
@pytest.mark.parametrize(
    "token", ["not a token", "Qk0zbTBjVVJxN0FIaEpIbFJxVzdEbVk0WjNJTG5Yd0E=", "é"]
)
def test_nothing_opens_what_no_key_sealed_and_the_refusal_quotes_no_secret(token: str) -> None:
    cipher = CredentialCipher("hunter2,swordfish")
    wrong = CredentialCipher("another").encrypt({"access_token": "abc"})
    for bad in (wrong, token):
        for attempt in (cipher.decrypt, cipher.rotate):
            with pytest.raises(CredentialsUnreadable) as refused:
                attempt(bad)
            message = str(refused.value)
            assert "TRYPOST_SECRET_KEY" in message
            assert "hunter2" not in message and "swordfish" not in message
            assert bad not in message


def test_repr_hides_every_secret() -> None:
    shown = repr(CredentialCipher("hunter2, swordfish"))
    assert "hunter2" not in shown and "swordfish" not in shown


@pytest.mark.parametrize("secret", ["", ",", " , ,", "   "])
def test_no_secret_at_all_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        CredentialCipher(secret)


def test_blanks_around_and_between_secrets_are_dropped() -> None:
    assert split_secrets(" new ,, old ,") == ["new", "old"]
    assert CredentialCipher(" new ,, old ,").key_count == 2
