"""Opening Fernet tokens with every key's work done once, for columns read row by row.

`cryptography`'s Fernet sets up an OpenSSL HMAC and an AES-CBC context for every token it
opens, and that set-up is most of its cost: ~12% of a list of 20 shipments' CPU went to
decrypting their phone numbers (docs/performance.md, Round 11). `Opener` keeps, per key, the
keyed HMAC to copy and, per thread, one AES context in ECB mode: after the HMAC has been
checked, CBC decryption is each block's AES decryption XOR the block before it (the IV for
the first), which is what a CBC context computes. Encrypting stays with Fernet itself.

A Fernet token (https://github.com/fernet/spec): version 0x80 (1 byte), timestamp (8), IV
(16), AES-128-CBC ciphertext of the PKCS7-padded plaintext, HMAC-SHA256 (32) of all before it
under the key's first half; the second half is the AES key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Sequence

from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

_VERSION = 0x80
_HEADER = 9  # the version and the timestamp
_BLOCK = 16
_MAC = 32
_SHORTEST = _HEADER + _BLOCK + _BLOCK + _MAC  # the IV and one block of padded plaintext


class Opener:
    """Opens what `MultiFernet([Fernet(k) for k in keys]).decrypt` opens (no age limit), with
    the same checks: the version, the HMAC under each key in turn (compared in constant time,
    before any decryption), whole blocks, the padding. Anything else raises `InvalidToken`."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        self._signing: list[hmac.HMAC] = []
        self._aes_keys: list[bytes] = []
        for key in keys:
            raw = base64.urlsafe_b64decode(key)
            if len(raw) != 32:
                raise ValueError("a Fernet key is 32 url-safe base64-encoded bytes")
            self._signing.append(hmac.new(raw[:16], digestmod=hashlib.sha256))
            self._aes_keys.append(raw[16:])
        # An AES context is not for two threads at once, so each thread has its own.
        self._local = threading.local()

    def open(self, token: str | bytes) -> bytes:
        try:
            data = base64.urlsafe_b64decode(token)
        except (TypeError, ValueError):  # not base64 (binascii.Error), or not ASCII
            raise InvalidToken from None
        if len(data) < _SHORTEST or data[0] != _VERSION or (len(data) - _SHORTEST) % _BLOCK:
            raise InvalidToken
        signed, mac = data[:-_MAC], data[-_MAC:]
        key = self._signer_of(signed, mac)
        ciphertext = data[_HEADER + _BLOCK : -_MAC]
        # Whole blocks only (checked above): an ECB context keeps no state between calls.
        decrypted = self._blocks(key).update(ciphertext)
        chained = data[_HEADER : -_MAC - _BLOCK]  # the IV, then each ciphertext block but the last
        padded = (int.from_bytes(decrypted, "big") ^ int.from_bytes(chained, "big")).to_bytes(
            len(ciphertext), "big"
        )
        pad = padded[-1]
        if not 1 <= pad <= _BLOCK or padded[-pad:] != bytes((pad,)) * pad:
            raise InvalidToken
        return padded[:-pad]

    def _signer_of(self, signed: bytes, mac: bytes) -> int:
        """The index of the first key whose HMAC of `signed` is `mac`."""
        for index, signing in enumerate(self._signing):
            check = signing.copy()
            check.update(signed)
            if hmac.compare_digest(check.digest(), mac):
                return index
        raise InvalidToken

    def _blocks(self, key: int) -> CipherContext:
        contexts: dict[int, CipherContext] | None = getattr(self._local, "contexts", None)
        if contexts is None:
            contexts = self._local.contexts = {}
        if key not in contexts:
            aes = algorithms.AES(self._aes_keys[key])
            contexts[key] = Cipher(aes, modes.ECB()).decryptor()  # CBC, see the docstring
        return contexts[key]
