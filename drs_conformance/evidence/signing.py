"""Signing a bundle's manifest with an Ed25519 key, and checking the signature, through `cryptography`."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from drs_conformance.errors import UsageError

__all__ = ["ALGORITHM", "Signature", "fingerprint", "load_private_key", "load_public_key", "sign", "verify_signature"]

ALGORITHM = "ed25519"
_MAKE_KEY = "make one with: openssl genpkey -algorithm ed25519 -out key.pem"


@dataclass(frozen=True)
class Signature:
    """A signature of the manifest's bytes, and which public key checks it (its SHA-256 fingerprint)."""

    algorithm: str
    public_key_sha256: str
    signature: str  # base64

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "public_key_sha256": self.public_key_sha256, "signature": self.signature}

    @classmethod
    def from_dict(cls, data: Any) -> Signature:
        """A signature read from a bundle; ValueError when it is not one."""
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("algorithm", "signature")):
            raise ValueError("not a signature record (algorithm, public_key_sha256, signature)")
        return cls(
            algorithm=data["algorithm"],
            public_key_sha256=str(data.get("public_key_sha256", "")),
            signature=data["signature"],
        )


def _read(path: Path, flag: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot read it: {exc.strerror or exc}") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file, or a one-line UsageError saying what is wrong."""
    data = _read(path, "--sign-key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise UsageError(f"--sign-key {path}: the key is encrypted; give an unencrypted PEM key") from None
    except ValueError:
        raise UsageError(f"--sign-key {path}: not a PEM private key ({_MAKE_KEY})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(
            f"--sign-key {path}: a {type(key).__name__.removeprefix('_')} key; give an Ed25519 key ({_MAKE_KEY})"
        )
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file (or the public half of a private key), or a one-line UsageError."""
    data = _read(path, "--public-key")
    try:
        key: Any = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (TypeError, ValueError):
            raise UsageError(
                f"--public-key {path}: not a PEM public key (from the signing key: "
                "openssl pkey -in key.pem -pubout -out key.pub)"
            ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"--public-key {path}: not an Ed25519 key; give the public half of the signing key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """The SHA-256 of the raw public key, in hex: names the key in a bundle and in verify's lines."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(key: Ed25519PrivateKey, data: bytes) -> Signature:
    return Signature(
        algorithm=ALGORITHM,
        public_key_sha256=fingerprint(key.public_key()),
        signature=base64.b64encode(key.sign(data)).decode("ascii"),
    )


def verify_signature(key: Ed25519PublicKey, data: bytes, signature: Signature) -> str | None:
    """None when `signature` is `key`'s over `data`; otherwise why not, in a few words."""
    if signature.algorithm != ALGORITHM:
        return f"signed with {signature.algorithm!r}, which this kit does not check (it checks {ALGORITHM})"
    try:
        raw = base64.b64decode(signature.signature, validate=True)
    except ValueError:
        return "the signature is not base64"
    try:
        key.verify(raw, data)
    except InvalidSignature:
        if signature.public_key_sha256 and signature.public_key_sha256 != fingerprint(key):
            return f"signed by another key (sha256 {signature.public_key_sha256[:16]}…), not the one given"
        return "the signature does not match the manifest (the manifest was changed after signing)"
    if signature.public_key_sha256 != fingerprint(key):
        return f"the signature is the given key's, but the record names key sha256 {signature.public_key_sha256[:16]}…"
    return None
