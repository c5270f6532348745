"""Signing keys for JWT: from the environment, or a development pair on disk."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def _generate(algorithm: str):
    if algorithm.startswith("ES"):
        curves = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
        return ec.generate_private_key(curves[algorithm])
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def generate_key_pair(algorithm: str = "RS256") -> tuple[str, str]:
    """A fresh (private, public) PEM pair for ``algorithm``."""
    key = _generate(algorithm)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem.decode(), public_pem.decode()


def development_key_pair(directory: Path, algorithm: str) -> tuple[str, str]:
    """Return (private, public) PEM, creating the pair on first use.

    The files live in a git-ignored folder, one pair per algorithm family, so a
    fresh checkout gets its own keys and none are ever committed.
    """
    directory.mkdir(mode=0o700, exist_ok=True)
    private_path = directory / f"jwt-{algorithm.lower()}.pem"
    public_path = directory / f"jwt-{algorithm.lower()}.pub.pem"
    if not private_path.exists():
        private_pem, public_pem = generate_key_pair(algorithm)
        tmp = private_path.with_suffix(".tmp")
        tmp.write_text(private_pem)
        tmp.chmod(0o600)
        public_path.write_text(public_pem)
        tmp.replace(private_path)
    return private_path.read_text(), public_path.read_text()


if __name__ == "__main__":
    # `python -m cinema.keys DIR [ALGORITHM]`: create the pair in DIR if missing
    # and print the private key's path (the container entrypoint uses it).
    import sys

    folder, algorithm = Path(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "RS256")
    development_key_pair(folder, algorithm)
    print(folder / f"jwt-{algorithm.lower()}.pem")
