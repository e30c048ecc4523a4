"""A local HTTPS endpoint standing in for CloudFormation's pre-signed response URL.

crhelper always answers over HTTPS, so this serves TLS with a self-signed
certificate made at start; the Lambda process trusts it through
SSL_CERT_FILE. Each response URL carries a fake signature in its query
string, so tests can check that no log line ever contains it.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Response:
    """What CloudFormation received for one request."""

    status: str
    reason: str
    physical_id: str
    data: dict[str, Any]
    raw: bytes = field(repr=False)


def _write_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "response-endpoint.pem", directory / "response-endpoint.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class ResponseEndpoint:
    """Records the PUTs that crhelper sends; can drop connections to test retries."""

    def __init__(self, directory: Path) -> None:
        self.cert_path, key_path = _write_certificate(directory)
        self.responses: dict[str, list[Response]] = {}
        self.dropped = 0
        self._drop_next = 0
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def handle(self) -> None:
                with endpoint._lock:
                    drop = endpoint._drop_next > 0
                    if drop:
                        endpoint._drop_next -= 1
                        endpoint.dropped += 1
                if drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                super().handle()

            def do_PUT(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                body = json.loads(raw)
                request_key = self.path.split("?")[0].rsplit("/", 1)[-1]
                response = Response(
                    status=body.get("Status", ""),
                    reason=body.get("Reason", ""),
                    physical_id=body.get("PhysicalResourceId", ""),
                    data=body.get("Data") or {},
                    raw=raw,
                )
                with endpoint._lock:
                    endpoint.responses.setdefault(request_key, []).append(response)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ResponseEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def new_url(self, request_key: str) -> tuple[str, str]:
        """A pre-signed-looking URL for one request, and its secret signature."""
        signature = secrets.token_hex(32)
        url = (
            f"https://127.0.0.1:{self.port}/cloudformation-response/{request_key}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature={signature}"
        )
        return url, signature

    def reset(self) -> None:
        """Forget the drops asked for and counted (responses stay, keyed by request)."""
        with self._lock:
            self._drop_next = 0
            self.dropped = 0

    def drop_next_connections(self, count: int) -> None:
        """Close the next ``count`` connections before answering."""
        with self._lock:
            self._drop_next = count

    def received(self, request_key: str) -> list[Response]:
        with self._lock:
            return list(self.responses.get(request_key, []))
