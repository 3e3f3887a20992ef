"""Staff PINs: hashed with argon2id, compared in constant time, never stored in clear."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain.errors import ValidationError

# Parameters sized for a till: about 50 ms to check a PIN on a modest CPU.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_pin(pin: str) -> str:
    """The argon2id hash of a staff PIN (4 to 8 digits)."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise ValidationError.single("pin", "A PIN is 4 to 8 digits.")
    return _hasher.hash(pin)


def pin_matches(pin_hash: str, pin: str) -> bool:
    """Whether ``pin`` is the PIN behind ``pin_hash``; a malformed hash never matches."""
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False
