"""Decrypting personal data columns opens exactly what Fernet opens (models/fernet_open.py).

The column type opens tokens with its own reading of the Fernet format (each key prepared
once), so these check it against `cryptography`'s Fernet: every listed key opens its tokens
in any thread, and a changed token, or a key no longer listed, opens nothing.
"""

from __future__ import annotations

import base64
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from logistics_ai.models import encryption
from logistics_ai.models.fernet_open import Opener
from tests.support import app_config

# Every padding length (1 to 16 bytes) over one, two and several blocks, and non-ASCII text.
PLAINTEXTS = [os.urandom(n) for n in range(0, 50)] + ["Zoë Ångström ☎".encode(), b"p" * 300]


def test_it_opens_every_token_of_every_listed_key_as_fernet_does() -> None:
    keys = [Fernet.generate_key() for _ in range(3)]
    opener, fernet = Opener(keys), MultiFernet([Fernet(k) for k in keys])
    for key in keys:
        for plaintext in PLAINTEXTS:
            token = Fernet(key).encrypt(plaintext)
            assert opener.open(token) == fernet.decrypt(token) == plaintext
            assert opener.open(token.decode()) == plaintext


def test_threads_opening_at_once_each_get_their_own_plaintext() -> None:
    key = Fernet.generate_key()
    opener = Opener([key])
    tokens = [(Fernet(key).encrypt(p), p) for p in PLAINTEXTS * 20]
    with ThreadPoolExecutor(8) as threads:
        opened = list(threads.map(lambda pair: opener.open(pair[0]), tokens))
    assert opened == [plaintext for _, plaintext in tokens]


def test_a_key_no_longer_listed_opens_nothing() -> None:
    dropped, kept = Fernet.generate_key(), Fernet.generate_key()
    with pytest.raises(InvalidToken):
        Opener([kept]).open(Fernet(dropped).encrypt(b"+1 312 555 0199"))


def test_any_changed_byte_of_a_token_is_refused() -> None:
    key = Fernet.generate_key()
    opener = Opener([key])
    data = base64.urlsafe_b64decode(Fernet(key).encrypt(b"+1 312 555 0199 ext. 12"))
    for at in range(len(data)):
        for flip in (0x01, 0x80):
            changed = bytearray(data)
            changed[at] ^= flip
            with pytest.raises(InvalidToken):
                opener.open(base64.urlsafe_b64encode(bytes(changed)))
    for cut in (data[:-1], data[:-16], data[16:], data[:72], data + b"\0" * 16, b""):
        with pytest.raises(InvalidToken):
            opener.open(base64.urlsafe_b64encode(cut))


def test_a_token_signed_right_but_badly_padded_is_refused() -> None:
    # Only the key's holder can make one: the padding is still checked after the HMAC.
    key = Fernet.generate_key()
    raw = base64.urlsafe_b64decode(key)
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(raw[16:]), modes.CBC(iv)).encryptor()
    body = b"\x80" + bytes(8) + iv + encryptor.update(b"sixteen bytes!!\x00") + encryptor.finalize()
    signer = hmac.HMAC(raw[:16], hashes.SHA256())
    signer.update(body)
    token = base64.urlsafe_b64encode(body + signer.finalize())
    with pytest.raises(InvalidToken):
        MultiFernet([Fernet(key)]).decrypt(token)
    with pytest.raises(InvalidToken):
        Opener([key]).open(token)


@pytest.mark.parametrize("token", ["not a token", "gAAAA", "gAAAAé" * 20, "=" * 8, ""])
def test_what_is_not_a_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        Opener([Fernet.generate_key()]).open(token)


def test_the_column_type_reads_both_keys_of_a_rotation_and_names_the_setting() -> None:
    new, old = Fernet.generate_key(), Fernet.generate_key()
    sealed_by_old = Fernet(old).encrypt(b"+1 773 555 0123").decode()
    with app_config.configured(field_encryption_keys=f"{new.decode()}, {old.decode()}"):
        assert encryption.decrypt(sealed_by_old) == "+1 773 555 0123"
        assert encryption.decrypt(encryption.encrypt("+1 312 555 0199")) == "+1 312 555 0199"
    with (
        app_config.configured(field_encryption_keys=new.decode()),
        pytest.raises(ValueError, match="FIELD_ENCRYPTION_KEYS"),
    ):
        encryption.decrypt(sealed_by_old)
    with app_config.configured(field_encryption_keys=""):  # a key derived from SECRET_KEY
        assert encryption.decrypt(encryption.encrypt("+1 312 555 0199")) == "+1 312 555 0199"
