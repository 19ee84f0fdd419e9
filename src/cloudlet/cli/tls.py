"""HTTPS for ``cloudlet serve``: the certificate files to use and a local certificate authority.

``--tls-self-signed`` creates, once, in ``{data dir}/tls/``, a certificate authority
(``ca.pem``, ``ca-key.pem``) and a server certificate signed by it (``cert.pem``, ``key.pem``)
for ``localhost``, ``127.0.0.1``, ``::1`` and the host being served. Clients trust the CA
(``NODE_EXTRA_CA_CERTS``, ``SSL_CERT_FILE``, …), not the server certificate, so a server
certificate issued again later (a new host name, or close to expiry) is trusted at once.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cloudlet.errors import BadRequestError

CA_DAYS = 3650
SERVER_DAYS = 825  # the longest validity Apple platforms accept for a server certificate
RENEW_BEFORE = timedelta(days=30)
_ANY_ADDRESS = {"0.0.0.0", "::", ""}

Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class TlsFiles:
    """What uvicorn serves with, and the CA clients must trust (None: not ours to tell)."""

    cert: Path
    key: Path
    ca: Path | None = None


def given_files(cert: Path | None, key: Path | None, self_signed: bool) -> TlsFiles | None:
    """Check the ``serve`` options: both files or neither, and not with ``--tls-self-signed``."""
    if self_signed and (cert or key):
        raise BadRequestError("--tls-self-signed cannot be combined with --tls-cert/--tls-key")
    if (cert is None) != (key is None):
        raise BadRequestError("--tls-cert and --tls-key must be given together")
    if cert is None or key is None:
        return None
    for path in (cert, key):
        if not path.is_file():
            raise BadRequestError(f"TLS file not found: {path}")
    return TlsFiles(cert, key)


def server_names(host: str) -> list[str]:
    """The names the server certificate covers: loopback, plus the host served if specific."""
    names = ["localhost", "127.0.0.1", "::1"]
    if host not in _ANY_ADDRESS and host not in names:
        names.append(host)
    return names


def self_signed(data_dir: Path, host: str) -> TlsFiles:
    """The local CA and server certificate in ``{data_dir}/tls``, created when missing; the
    server certificate is issued again when it lacks a name or expires within 30 days."""
    folder = data_dir / "tls"
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "cert.pem", folder / "key.pem", folder / "ca.pem")
    assert files.ca is not None
    ca_key_path = folder / "ca-key.pem"
    if not (files.ca.exists() and ca_key_path.exists()):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        _write(ca_key_path, _key_bytes(ca_key), private=True)
        _write(files.ca, _ca_certificate(ca_key).public_bytes(serialization.Encoding.PEM))
    names = server_names(host)
    if not _still_good(files, names):
        ca_key = _load_key(ca_key_path)
        ca_cert = x509.load_pem_x509_certificate(files.ca.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _server_certificate(key, names, ca_key, ca_cert)
        _write(files.key, _key_bytes(key), private=True)
        _write(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    return files


def _still_good(files: TlsFiles, names: list[str]) -> bool:
    if not (files.cert.exists() and files.key.exists()):
        return False
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    if cert.not_valid_after_utc - datetime.now(UTC) < RENEW_BEFORE:
        return False
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    covered = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    covered |= set(san.get_values_for_type(x509.DNSName))
    return all(str(_general_name(name).value) in covered for name in names)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _ca_certificate(key: Key) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cloudlet local CA")])
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _server_certificate(
    key: Key, names: list[str], ca_key: Key, ca_cert: x509.Certificate
) -> x509.Certificate:
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=True,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _key_bytes(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(path: Path) -> Key:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise BadRequestError(f"{path} is not the EC key Cloudlet created")
    return key


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write through a temporary file and a rename, so a crash never leaves half a PEM."""
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    temp.replace(path)


def welcome_lines(cloud: str, api_key: str, api_secret: str, origin: str, ca: Path | None) -> str:
    """What ``serve`` prints over HTTPS: the CLOUDINARY_URL and how each client trusts the CA.

    ``origin`` is ``host:port`` as clients should reach the server."""
    url = (
        f"cloudinary://{api_key}:{api_secret}@{cloud}"
        f"?upload_prefix=https://{origin}&secure_distribution={origin}&secure=true"
    )
    lines = [f"  export CLOUDINARY_URL='{url}'", ""]
    lines.append(
        f"  Delivery URLs the SDKs build are https://{origin}/{cloud}/… (secure_distribution);\n"
        "  Node always builds https:// URLs, and reads the same settings from CLOUDINARY_URL or\n"
        f"  cloudinary.config({{secure_distribution: '{origin}', upload_prefix: 'https://{origin}'}})."
    )
    if ca is not None:
        lines += [
            "",
            f"  The certificate is signed by a local CA made for this data dir: {ca}",
            "  Trust it (set before the program starts):",
            f"    Node.js:                   export NODE_EXTRA_CA_CERTS={ca}",
            f"    curl, httpx, OpenSSL:      export SSL_CERT_FILE={ca}",
            f"    requests:                  export REQUESTS_CA_BUNDLE={ca}",
            "    Python SDK:                it pins certifi's bundle and ignores the variables"
            " above;",
            "                               see docs/sdks.md for the two lines that add the CA",
        ]
    return "\n".join(lines) + "\n"
