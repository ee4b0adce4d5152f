"""The signed federation list (issue 9, "Policy"; docs/federation.md): spb takes the servers it
federates with from a list signed with the federation operator's ed25519 key (made and signed
with `domovoy federation-list keygen` and `sign`), with no allow list of its own. msk is on the
list and federates both ways; a fake server that is not on it is refused with 403 M_FORBIDDEN,
both when it calls spb and when spb's clients would reach it. Moved 73 hours on (spb's test
clock), the list is too old and spb federates with nobody until a fresh list is put in place;
a list signed by another key, or too old, stops the start with a message naming the file.
"""

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
from urllib.parse import quote

from nio import AsyncClient

from federation_net import FakeServer, free_port, https_request, make_ca, make_certificate, start_federated_server
from harness import _binary, unique

HOUR_MS = 3600 * 1000


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TestSignedFederationList(unittest.IsolatedAsyncioTestCase):

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="domovoy-fed-list-")
        cls.ca = make_ca(cls.folder)
        cls.ports = {name: free_port() for name in ("spb", "msk")}
        cls.names = {name: f"{name}.localhost:{port}" for name, port in cls.ports.items()}
        cls.fake = FakeServer(cls.folder, "kzn.localhost")
        cls.key_file = os.path.join(cls.folder, "operator.key")
        cls.list_file = os.path.join(cls.folder, "federation-list.json")
        cls.key_option = cls.keygen(cls.key_file)
        cls.sign_list(cls.list_file, 1, [cls.names["msk"], cls.names["spb"]])
        cls.servers = {}
        try:
            cls.servers["spb"] = start_federated_server(
                cls.folder, cls.ca, "spb.localhost", cls.ports["spb"],
                extra_args=["--federation-list", cls.list_file, "--federation-list-key", cls.key_option,
                            "--test-clock"],
                config_yaml=f'admins: ["@operator:{cls.names["spb"]}"]\n')
            cls.servers["msk"] = start_federated_server(cls.folder, cls.ca, "msk.localhost", cls.ports["msk"],
                                                        allow=[cls.names["spb"], cls.fake.server_name])
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers.values():
            server.stop()
        shutil.rmtree(cls.folder, ignore_errors=True)

    @staticmethod
    def keygen(key_file):
        out = subprocess.run([_binary(), "federation-list", "keygen", "--key", key_file],
                             capture_output=True, text=True, check=True).stdout
        return out.splitlines()[0].split(" ", 1)[1]

    @classmethod
    def sign_list(cls, path, version, servers, issued_ms=None, key_file=None):
        unsigned = path + ".unsigned"
        with open(unsigned, "w") as f:
            json.dump({"servers": servers}, f)
        args = [_binary(), "federation-list", "sign", "--key", key_file or cls.key_file, "--in", unsigned,
                "--out", path + ".new", "--version", str(version)]
        if issued_ms:
            args += ["--issued-ts", str(issued_ms)]
        subprocess.run(args, capture_output=True, text=True, check=True)
        os.replace(path + ".new", path)

    async def asyncSetUp(self):
        self.clients = []
        await self.fake.start()

    async def asyncTearDown(self):
        for client in self.clients:
            await client.close()
        await self.fake.stop()

    async def user_on(self, region, displayname=None, localpart=None):
        client = AsyncClient(self.servers[region].url, localpart or "")
        self.clients.append(client)
        resp = await client.register(localpart or unique(region), "correct horse battery staple")
        if not getattr(resp, "access_token", None):
            resp = await client.login("correct horse battery staple")
        if not getattr(resp, "access_token", None):
            raise AssertionError(f"no account on {region}: {resp}")
        if displayname:
            await client.set_displayname(displayname)
        return client

    async def get(self, client, path):
        resp = await client.send("GET", path, headers={"Authorization": f"Bearer {client.access_token}"})
        return resp.status, await resp.json()

    async def move_spb_clock(self, ms):
        operator = await self.user_on("spb", localpart="operator")
        resp = await operator.send("PUT", "/_domovoy/admin/v1/test/clock", json.dumps({"now": iso(ms)}),
                                   {"Authorization": f"Bearer {operator.access_token}",
                                    "Content-Type": "application/json"})
        self.assertEqual(resp.status, 200, await resp.text())

    async def fake_asks_spb(self, user_id):
        spb = self.servers["spb"]
        uri = "/_matrix/federation/v1/query/profile?user_id=" + quote(user_id)
        return await https_request(self.ca, spb.federation_port, "spb.localhost", "GET", uri,
                                   authorization=self.fake.x_matrix("GET", uri, spb.server_name))

    async def test_a_listed_server_federates_and_others_are_refused(self):
        alice = await self.user_on("spb", displayname="Алиса")
        bob = await self.user_on("msk", displayname="Борис")
        status, body = await self.get(bob, f"/_matrix/client/v3/profile/{quote(alice.user_id)}")
        self.assertEqual((status, body.get("displayname")), (200, "Алиса"), "msk is on the list")
        status, body = await self.get(alice, f"/_matrix/client/v3/profile/{quote(bob.user_id)}")
        self.assertEqual((status, body.get("displayname")), (200, "Борис"), "and spb reaches it")
        status, body = await self.fake_asks_spb(alice.user_id)
        self.assertEqual((status, (body or {}).get("errcode")), (403, "M_FORBIDDEN"), body)
        status, body = await self.get(alice, f"/_matrix/client/v3/profile/@x:{quote(self.fake.server_name)}")
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), "spb does not call it either")

    async def test_b_a_stale_list_fails_closed_until_a_fresh_one_comes(self):
        alice = await self.user_on("spb", displayname="Алиса")
        bob = await self.user_on("msk", displayname="Борис")
        status, _ = await self.get(bob, f"/_matrix/client/v3/profile/{quote(alice.user_id)}")
        self.assertEqual(status, 200)
        later = int(time.time() * 1000) + 73 * HOUR_MS
        await self.move_spb_clock(later)
        status, body = await self.get(bob, f"/_matrix/client/v3/profile/{quote(alice.user_id)}")
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), "a list older than 72 h")
        status, body = await self.get(alice, f"/_matrix/client/v3/profile/{quote(bob.user_id)}")
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), "both ways")
        # The operator publishes version 2; spb takes it at its next refresh (an hour after a
        # failed one, by spb's clock).
        self.sign_list(self.list_file, 2, [self.names["msk"]], issued_ms=later)
        await self.move_spb_clock(later + HOUR_MS + 60_000)
        status, body = await self.get(bob, f"/_matrix/client/v3/profile/{quote(alice.user_id)}")
        self.assertEqual((status, body.get("displayname")), (200, "Алиса"), body)


class TestBadFederationListStopsTheStart(unittest.TestCase):

    def test_a_list_signed_by_another_key_or_too_old_is_refused(self):
        tmp = tempfile.mkdtemp(prefix="domovoy-fed-list-bad-")
        self.addCleanup(shutil.rmtree, tmp, True)
        operator = os.path.join(tmp, "operator.key")
        stranger = os.path.join(tmp, "stranger.key")
        key_option = TestSignedFederationList.keygen(operator)
        TestSignedFederationList.keygen(stranger)
        make_ca(tmp)
        cert, key = make_certificate(tmp, "spb.localhost")
        forged = os.path.join(tmp, "forged.json")
        TestSignedFederationList.sign_list(forged, 1, ["msk.localhost"], key_file=stranger)
        old = os.path.join(tmp, "old.json")
        TestSignedFederationList.sign_list(old, 1, ["msk.localhost"], key_file=operator,
                                           issued_ms=int(time.time() * 1000) - 80 * HOUR_MS)
        garbage = os.path.join(tmp, "garbage.json")
        with open(garbage, "w") as f:
            f.write("{\"version\": 1, \"servers\": [")
        for path, why in ((forged, "not signed by any key"), (old, "72 h"), (garbage, "not JSON"),
                          (os.path.join(tmp, "missing.json"), "cannot read")):
            proc = subprocess.run(
                [_binary(), "serve", "--server-name", "spb.localhost", "--listen", "127.0.0.1:0",
                 "--data-dir", os.path.join(tmp, "data"), "--federation-listen", "127.0.0.1:0",
                 "--tls-cert", cert, "--tls-key", key,
                 "--federation-list", path, "--federation-list-key", key_option],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
            self.assertNotEqual(proc.returncode, 0, (path, proc.stderr))
            self.assertIn(why, proc.stderr, path)
        # Keys that are not keys are a bad configuration.
        proc = subprocess.run(
            [_binary(), "serve", "--server-name", "spb.localhost", "--listen", "127.0.0.1:0",
             "--data-dir", os.path.join(tmp, "data"), "--federation-list", forged,
             "--federation-list-key", "ed25519:x=notbase64"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("federation.signed_list.keys", proc.stderr)


if __name__ == "__main__":
    unittest.main()

