"""The federation listener (server-server-api "TLS", "Retrieving server keys"): `domovoy serve
--federation-listen ADDR:PORT --tls-cert FILE --tls-key FILE` serves the federation API over TLS
with the operator's certificate (here one signed by a CA the test makes with `openssl`), the
server's keys there are signed by the key they publish, /.well-known/matrix/server delegates to
the federation port, and bad federation settings stop the server with a message naming them.
Plain HTTP or garbage on the TLS port costs the server nothing."""

import asyncio
import base64
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation_net import FEDERATION_RE, canonical, make_ca, make_certificate
from harness import DomovoyServer, _binary


def make_ca_and_certificate(folder, name):
    """A CA and a certificate for `name` (and 127.0.0.1) signed by it, with the openssl tool."""
    ca = make_ca(folder)
    cert, key = make_certificate(folder, name)
    return ca, cert, key


def unpadded_b64decode(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


class TestFederationListener(unittest.IsolatedAsyncioTestCase):

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="domovoy-fed-certs-")
        cls.ca, cls.cert, cls.key = make_ca_and_certificate(cls.certs, "spb.localhost")
        cls.server = DomovoyServer(extra_args=["--federation-listen", "127.0.0.1:0", "--tls-cert", cls.cert,
                                               "--tls-key", cls.key]).start()
        for _ in range(200):
            with open(cls.server.stdout_path) as f:
                m = FEDERATION_RE.search(f.read())
            if m:
                cls.federation_port = int(m.group(1))
                break
            time.sleep(0.02)
        else:
            cls.server.stop()
            raise RuntimeError("no federation listener announced:\n" + cls.server.logs())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.certs, ignore_errors=True)

    async def https(self, path, hostname="spb.localhost"):
        context = ssl.create_default_context(cafile=self.ca)
        reader, writer = await asyncio.open_connection("127.0.0.1", self.federation_port, ssl=context,
                                                       server_hostname=hostname)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), head.decode(), body

    async def test_keys_over_tls_are_signed_by_the_published_key(self):
        status, head, body = await self.https("/_matrix/key/v2/server")
        self.assertEqual(status, 200, head)
        self.assertIn("application/json", head.lower())
        keys = json.loads(body)
        self.assertEqual(keys["server_name"], "localhost")
        ((key_id, key),) = keys["verify_keys"].items()
        self.assertTrue(key_id.startswith("ed25519:"), key_id)
        signature = keys["signatures"]["localhost"][key_id]
        unsigned = {k: v for k, v in keys.items() if k not in ("signatures", "unsigned")}
        Ed25519PublicKey.from_public_bytes(unpadded_b64decode(key["key"])).verify(
            unpadded_b64decode(signature), canonical(unsigned))  # raises when the signature is wrong
        status, _, body = await self.https("/_matrix/federation/v1/version")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["server"]["name"], "Domovoy")

    async def test_unknown_federation_endpoint_is_unrecognized(self):
        status, _, body = await self.https("/_matrix/federation/v1/nothing/here")
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["errcode"], "M_UNRECOGNIZED")
        # OpenID userinfo is a federation path (widgets' servers ask it there): a bad token is refused.
        status, _, body = await self.https("/_matrix/federation/v1/openid/userinfo?access_token=nonsense")
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["errcode"], "M_UNKNOWN_TOKEN")
        # The client API is not on the federation listener.
        status, _, body = await self.https("/_matrix/client/v3/login")
        self.assertEqual(status, 404)

    async def test_the_certificate_is_checked_by_name(self):
        context = ssl.create_default_context(cafile=self.ca)
        with self.assertRaises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", self.federation_port, ssl=context,
                                          server_hostname="msk.localhost")

    async def test_well_known_delegates_to_the_federation_port(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        writer.write(b"GET /.well-known/matrix/server HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        body = json.loads(data.partition(b"\r\n\r\n")[2])
        self.assertEqual(body, {"m.server": f"localhost:{self.federation_port}"})

    async def test_plain_http_and_garbage_on_the_tls_port_harm_nothing(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.federation_port)
        writer.write(b"GET /_matrix/key/v2/server HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 40)
        self.assertNotIn(b"verify_keys", data, "no key answer over plain HTTP")
        writer.close()
        # Garbage inside a good TLS session is a malformed request.
        context = ssl.create_default_context(cafile=self.ca)
        reader, writer = await asyncio.open_connection("127.0.0.1", self.federation_port, ssl=context,
                                                       server_hostname="spb.localhost")
        writer.write(b"\x00\x01 not http at all\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:80])
        writer.close()
        status, _, _ = await self.https("/_matrix/federation/v1/version")
        self.assertEqual(status, 200, "still serving")


class TestFederationSettingsRefused(unittest.TestCase):

    def test_bad_federation_settings_stop_the_server(self):
        tmp = tempfile.mkdtemp(prefix="domovoy-fed-bad-")
        self.addCleanup(shutil.rmtree, tmp, True)
        _, cert, key = make_ca_and_certificate(tmp, "spb.localhost")
        not_pem = os.path.join(tmp, "not.pem")
        with open(not_pem, "w") as f:
            f.write("this is no certificate\n")
        cases = [
            (["--federation-listen", "127.0.0.1:0"], 2, "tls_cert"),
            (["--federation-listen", "127.0.0.1:0", "--tls-cert", os.path.join(tmp, "missing.pem"),
              "--tls-key", key], 2, "missing.pem"),
            (["--federation-listen", "localhost-is-no-ip:0", "--tls-cert", cert, "--tls-key", key], 2,
             "federation.listen"),
            (["--federation-allow", "bad name!"], 2, "federation.allow"),
            (["--federation-allow-ip", "10.0.0.0/40"], 2, "federation.allow_ip"),
            (["--federation-listen", "127.0.0.1:0", "--tls-cert", not_pem, "--tls-key", key], 4,
             "federation listener"),
            (["--federation-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", not_pem], 4,
             "federation listener"),
        ]
        for args, code, named in cases:
            proc = subprocess.run(
                [_binary(), "serve", "--server-name", "localhost", "--listen", "127.0.0.1:0",
                 "--data-dir", os.path.join(tmp, "data"), *args],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
            self.assertEqual(proc.returncode, code, (args, proc.stdout, proc.stderr))
            self.assertIn(named, proc.stderr, (args, "no message naming what is refused"))
            self.assertNotIn("Federation listening", proc.stdout)
