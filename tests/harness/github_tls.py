"""https://github.com on this machine: the stand-in over TLS with a certificate for github.com, reached
through an HTTP CONNECT proxy on 127.0.0.1, for clients that only know https://github.com (gh-scoped-creds).

A process gets there with `HTTPS_PROXY` (requests and git both honour it), `REQUESTS_CA_BUNDLE` and
`GIT_SSL_CAINFO` (the certificate, which is its own authority): `network_env()` gives those variables.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import shutil
import tempfile
import threading
from pathlib import Path

from hubextras.testing.github.apps import listen_tls

GITHUB = "github.com"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for github.com (world-readable) and its key (the test's account only)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, GITHUB)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(GITHUB)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "github.pem", folder / "github.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(cert_path, 0o644)
    os.chmod(key_path, 0o600)
    return cert_path, key_path


class ConnectProxy:
    """Tunnels `CONNECT github.com:443` to the stand-in's TLS port; refuses every other destination."""

    def __init__(self, target_port: int):
        self.target_port, self.port = target_port, 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _handle(self, reader, writer):
        request = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = request.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT" or target not in (f"{GITHUB}:443",):
            writer.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()

        async def pipe(source, sink):
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def start(self) -> ConnectProxy:
        self.thread.start()
        server = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._handle, "127.0.0.1", 0), self.loop)
        self.server = server.result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class GitHubOverTLS:
    """The running stand-in `standin` also at https://github.com for processes given `network_env()`."""

    def __init__(self, standin):
        self.folder = Path(tempfile.mkdtemp(prefix="hubextras-github-tls-"))
        os.chmod(self.folder, 0o755)  # people's accounts read the certificate
        self.cert, key = make_certificate(self.folder)
        self.proxy = ConnectProxy(listen_tls(standin, str(self.cert), str(key))).start()

    def network_env(self) -> dict[str, str]:
        proxy = f"http://127.0.0.1:{self.proxy.port}"
        return {"HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "", "no_proxy": "",
                "REQUESTS_CA_BUNDLE": str(self.cert), "GIT_SSL_CAINFO": str(self.cert)}

    def stop(self) -> None:
        self.proxy.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
