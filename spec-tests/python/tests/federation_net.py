"""Several servers federating over TLS on loopback, as regional servers do: one CA the test makes
with `openssl`, a certificate per server name (spb.localhost, msk.localhost, ...), server names
with the federation port in them (spb.localhost:PORT, contacted directly as the spec's server
discovery says), loopback let through the outbound deny list with --federation-allow-ip.

Also a fake server written here, independently of Domovoy's code: it publishes an ed25519 key
over HTTPS and signs X-Matrix requests with it (with `cryptography`), so the tests can call a
Domovoy's federation API as another implementation would, and forge what an attacker would.
"""

import asyncio
import base64
import copy
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from nio import AsyncClient

from harness import DomovoyServer, unique

import re

FEDERATION_RE = re.compile(r"Federation listening on https://127\.0\.0\.1:(\d+)/")


def make_ca(folder):
    """A certificate authority (ca.pem, ca.key) in `folder`."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                    "-days", "2", "-subj", "/CN=Domovoy test CA"], cwd=folder, check=True, capture_output=True)
    return os.path.join(folder, "ca.pem")


def make_certificate(folder, name):
    """A certificate for `name` (and 127.0.0.1) signed by the CA in `folder`: (cert, key) paths."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)
    base = name.replace(":", "_")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{base}.key", "-out", f"{base}.csr", "-subj", f"/CN={name}")
    with open(os.path.join(folder, f"{base}.ext"), "w") as f:
        f.write(f"subjectAltName=DNS:{name},IP:127.0.0.1\n")
    run("x509", "-req", "-in", f"{base}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", f"{base}.pem", "-days", "2", "-extfile", f"{base}.ext")
    return os.path.join(folder, f"{base}.pem"), os.path.join(folder, f"{base}.key")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def federation_port_of(server, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(server.stdout_path) as f:
            m = FEDERATION_RE.search(f.read())
        if m:
            return int(m.group(1))
        time.sleep(0.02)
    raise RuntimeError("no federation listener announced:\n" + server.logs())


def start_federated_server(folder, ca, host, port, allow=(), extra_args=(), data_dir=None, config_yaml=None):
    """A Domovoy named host:port with its federation listener on that port."""
    cert, key = make_certificate(folder, host) if not os.path.exists(os.path.join(folder, f"{host}.pem")) else (
        os.path.join(folder, f"{host}.pem"), os.path.join(folder, f"{host}.key"))
    args = ["--federation-listen", f"127.0.0.1:{port}", "--tls-cert", cert, "--tls-key", key,
            "--federation-ca", ca, "--federation-allow-ip", "127.0.0.0/8", "--federation-allow-ip", "::1/128"]
    for pattern in allow:
        args += ["--federation-allow", pattern]
    server = DomovoyServer(server_name=f"{host}:{port}", extra_args=args + list(extra_args), data_dir=data_dir,
                           config_yaml=config_yaml).start()
    server.federation_port = federation_port_of(server)
    server.server_name = f"{host}:{port}"
    return server


def unpadded_b64(data):
    return base64.b64encode(data).decode().rstrip("=")


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# What a room version 11 redaction keeps (rooms v11 "Redactions"): events are signed and their
# ids are hashed over this form.
REDACTION_TOP_LEVEL = {"event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures",
                       "depth", "prev_events", "auth_events", "origin_server_ts"}
REDACTION_CONTENT = {
    "m.room.member": {"membership", "join_authorised_via_users_server"},
    "m.room.create": None,  # all of it
    "m.room.join_rules": {"join_rule", "allow"},
    "m.room.power_levels": {"ban", "events", "events_default", "invite", "kick", "redact", "state_default",
                            "users", "users_default"},
    "m.room.history_visibility": {"history_visibility"},
    "m.room.redaction": {"redacts"},
}


def redacted(event):
    out = {key: copy.deepcopy(value) for key, value in event.items() if key in REDACTION_TOP_LEVEL}
    keep = REDACTION_CONTENT.get(event.get("type"), set())
    if keep is not None:
        out["content"] = {key: value for key, value in event.get("content", {}).items() if key in keep}
    return out


def content_hash(event):
    stripped = {key: value for key, value in event.items() if key not in ("unsigned", "signatures", "hashes")}
    return unpadded_b64(hashlib.sha256(canonical(stripped)).digest())


def event_id_of(event):
    """The reference hash of an event (room versions 4 and later), URL-safe unpadded Base64."""
    stripped = {key: value for key, value in redacted(event).items() if key not in ("unsigned", "signatures")}
    digest = base64.urlsafe_b64encode(hashlib.sha256(canonical(stripped)).digest()).decode().rstrip("=")
    return "$" + digest


class FakeServer:
    """Another server: publishes its key at /_matrix/key/v2/server over TLS and signs requests."""

    def __init__(self, folder, host):
        self.host = host
        self.port = free_port()
        self.server_name = f"{host}:{self.port}"
        self.key = Ed25519PrivateKey.generate()
        self.key_id = "ed25519:fake1"
        self.key_fetches = 0
        cert, key = make_certificate(folder, host)
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls.load_cert_chain(cert, key)
        self.runner = None

    def public_key(self):
        return unpadded_b64(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, obj):
        signature = unpadded_b64(self.key.sign(canonical(obj)))
        return signature

    def sign_event(self, event):
        """Hashes and signs an event as its sender's server does; returns (event_id, event)."""
        event = dict(event)
        event.pop("signatures", None)
        event["hashes"] = {"sha256": content_hash(event)}
        to_sign = {key: value for key, value in redacted(event).items() if key not in ("unsigned", "signatures")}
        event["signatures"] = {self.server_name: {self.key_id: self.sign(to_sign)}}
        return event_id_of(event), event

    async def start(self):
        async def keys(_request):
            self.key_fetches += 1
            body = {"server_name": self.server_name, "valid_until_ts": int(time.time() * 1000) + 3600_000,
                    "verify_keys": {self.key_id: {"key": self.public_key()}}, "old_verify_keys": {}}
            body["signatures"] = {self.server_name: {self.key_id: self.sign(body)}}
            return web.json_response(body)
        app = web.Application()
        app.router.add_get("/_matrix/key/v2/server", keys)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port, ssl_context=self.tls).start()
        return self

    async def stop(self):
        if self.runner:
            await self.runner.cleanup()
            self.runner = None

    def x_matrix(self, method, uri, destination, content=None, origin=None, key_id=None, signature=None):
        signed = {"method": method, "uri": uri, "origin": origin or self.server_name, "destination": destination}
        if content is not None:
            signed["content"] = content
        sig = signature if signature is not None else self.sign(signed)
        return (f'X-Matrix origin="{origin or self.server_name}",destination="{destination}",'
                f'key="{key_id or self.key_id}",sig="{sig}"')


async def https_request(ca, port, hostname, method, uri, authorization=None, body=None):
    """One request to a federation listener: (status, parsed JSON or None)."""
    context = ssl.create_default_context(cafile=ca)
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=hostname)
    payload = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {uri} HTTP/1.1\r\nHost: {hostname}:{port}\r\nConnection: close\r\n"
    if authorization:
        head += f"Authorization: {authorization}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    writer.write(head.encode() + b"\r\n" + payload)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 15)
    writer.close()
    header, _, rest = data.partition(b"\r\n\r\n")
    status = int(header.split(b" ")[1])
    try:
        return status, json.loads(rest)
    except ValueError:
        return status, None


class FederatedTestCase(unittest.IsolatedAsyncioTestCase):
    """Three regional servers (spb, msk, omsk) and a fake fourth (kzn) for each test class.
    spb federates with both others and the fake server, msk with spb and the fake server, omsk
    with spb only: a closed federation where msk and omsk do not talk. spb trusts msk as a
    notary for keys it cannot fetch itself."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="domovoy-fed-net-")
        cls.ca = make_ca(cls.folder)
        cls.ports = {name: free_port() for name in ("spb", "msk", "omsk")}
        cls.names = {name: f"{name}.localhost:{port}" for name, port in cls.ports.items()}
        cls.fake = FakeServer(cls.folder, "kzn.localhost")
        cls.servers = {}
        try:
            for region in ("spb", "msk", "omsk"):
                cls.servers[region] = cls.start_region(region)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def allow_list(cls, region):
        return {"spb": ["msk.localhost", cls.names["omsk"], cls.fake.server_name],
                "msk": [cls.names["spb"], cls.fake.server_name],
                "omsk": [cls.names["spb"]]}[region]

    @classmethod
    def start_region(cls, region):
        """Starts (or restarts, on the same data) the region's server."""
        data_dir = os.path.join(cls.folder, f"{region}-data")
        os.makedirs(data_dir, exist_ok=True)
        extra = ["--federation-trusted-key-server", cls.names["msk"]] if region == "spb" else []
        return start_federated_server(cls.folder, cls.ca, f"{region}.localhost", cls.ports[region],
                                      allow=cls.allow_list(region), extra_args=extra, data_dir=data_dir)

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers.values():
            server.stop()
        shutil.rmtree(cls.folder, ignore_errors=True)

    async def asyncSetUp(self):
        self.clients = []

    async def asyncTearDown(self):
        for client in self.clients:
            await client.close()

    async def user_on(self, region, displayname=None):
        client = AsyncClient(self.servers[region].url, "")
        self.clients.append(client)
        resp = await client.register(unique(region), "correct horse battery staple")
        if not getattr(resp, "access_token", None):
            raise AssertionError(f"registration on {region} failed: {resp}")
        if displayname:
            await client.set_displayname(displayname)
        return client

    async def call(self, client, method, path, body=None):
        """A client-server request: (status, parsed JSON)."""
        data = None if body is None else json.dumps(body)
        resp = await client.send(method, path, data, {"Authorization": f"Bearer {client.access_token}",
                                                      "Content-Type": "application/json"})
        text = await resp.text()
        try:
            return resp.status, json.loads(text) if text else None
        except ValueError:
            return resp.status, text
