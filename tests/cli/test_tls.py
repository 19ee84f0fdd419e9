"""``cloudlet serve``'s HTTPS options and the local certificate authority behind
``--tls-self-signed``."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509

from cloudlet.cli import tls
from cloudlet.cli.main import cli
from cloudlet.errors import BadRequestError


def _san(path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in names.get_values_for_type(x509.IPAddress)} | set(
        names.get_values_for_type(x509.DNSName)
    )


def test_self_signed_creates_a_ca_and_a_server_certificate_once(tmp_path: Path) -> None:
    files = tls.self_signed(tmp_path, "127.0.0.1")
    assert files.ca == tmp_path / "tls" / "ca.pem"
    assert _san(files.cert) == {"localhost", "127.0.0.1", "::1"}
    for private in (files.key, tmp_path / "tls" / "ca-key.pem"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    x509.load_pem_x509_certificate(files.cert.read_bytes()).verify_directly_issued_by(ca)
    # an OpenSSL client that trusts only the CA accepts the chain for localhost
    context = ssl.create_default_context(cafile=str(files.ca))
    context.load_cert_chain(files.cert, files.key)  # the key matches the certificate
    before = {p.name: p.read_bytes() for p in (tmp_path / "tls").iterdir()}
    again = tls.self_signed(tmp_path, "localhost")
    assert again == files
    assert {p.name: p.read_bytes() for p in (tmp_path / "tls").iterdir()} == before


def test_a_new_host_gets_a_new_certificate_from_the_same_ca(tmp_path: Path) -> None:
    first = tls.self_signed(tmp_path, "0.0.0.0")
    assert first.ca is not None
    ca_before = first.ca.read_bytes()
    cert_before = first.cert.read_bytes()
    second = tls.self_signed(tmp_path, "media.example.test")
    assert second.ca is not None and second.ca.read_bytes() == ca_before
    assert second.cert.read_bytes() != cert_before
    assert "media.example.test" in _san(second.cert)
    ca = x509.load_pem_x509_certificate(ca_before)
    x509.load_pem_x509_certificate(second.cert.read_bytes()).verify_directly_issued_by(ca)


@pytest.mark.parametrize(
    ("cert", "key", "self_signed", "message"),
    [
        ("c.pem", None, False, "--tls-cert and --tls-key must be given together"),
        (None, "k.pem", False, "--tls-cert and --tls-key must be given together"),
        ("c.pem", "k.pem", True, "--tls-self-signed cannot be combined"),
        ("missing.pem", "k.pem", False, "TLS file not found"),
    ],
)
def test_given_files_refuses_bad_combinations(
    tmp_path: Path, cert: str | None, key: str | None, self_signed: bool, message: str
) -> None:
    (tmp_path / "c.pem").write_text("x")
    (tmp_path / "k.pem").write_text("x")
    with pytest.raises(BadRequestError) as info:
        tls.given_files(
            tmp_path / cert if cert else None, tmp_path / key if key else None, self_signed
        )
    assert message in info.value.message


def test_given_files_accepts_a_pair(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("x")
    (tmp_path / "k.pem").write_text("x")
    files = tls.given_files(tmp_path / "c.pem", tmp_path / "k.pem", False)
    assert files == tls.TlsFiles(tmp_path / "c.pem", tmp_path / "k.pem")
    assert tls.given_files(None, None, False) is None


def test_serve_refuses_a_certificate_without_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDLET_DATABASE_URL", raising=False)
    (tmp_path / "c.pem").write_text("x")
    args = ["--data-dir", str(tmp_path / "data"), "serve", "--tls-cert", str(tmp_path / "c.pem")]
    result = CliRunner().invoke(cli, args, obj={})
    assert result.exit_code == 1
    assert "--tls-cert and --tls-key must be given together" in result.output
    assert not (tmp_path / "data" / "catalog.sqlite3").exists()  # refused before anything ran


def test_welcome_lines_give_every_trust_recipe(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    text = tls.welcome_lines("demo", "123", "sec", "localhost:8443", ca)
    assert (
        "cloudinary://123:sec@demo?upload_prefix=https://localhost:8443"
        "&secure_distribution=localhost:8443&secure=true"
    ) in text
    for recipe in ("NODE_EXTRA_CA_CERTS=", "SSL_CERT_FILE=", "REQUESTS_CA_BUNDLE=", "sdks.md"):
        assert f"{recipe}{ca}" in text or recipe == "sdks.md" and recipe in text
    assert "NODE_EXTRA_CA_CERTS" not in tls.welcome_lines("demo", "1", "s", "media.test", None)
