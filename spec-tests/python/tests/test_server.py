"""The server process and generic API behaviour.

- README: the server "stops cleanly on SIGTERM or SIGINT" and "refuses to start (with a
  message and a non-zero exit code) on a bad configuration"; data lives in --data-dir.
- Spec: data/api/client-server/versions.yaml, the standard error response, and
  M_UNRECOGNIZED for unknown endpoints.
"""

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from nio import AsyncClient, AsyncClientConfig

from harness import DomovoyServer, DomovoyTestCase, _binary, unique


def nio_client(url, user=""):
    return AsyncClient(url, user, config=AsyncClientConfig(
        encryption_enabled=False, max_timeouts=0, request_timeout=30))


class TestServerProcess(unittest.IsolatedAsyncioTestCase):

    async def asyncSetUp(self):
        # These tests start and stop servers synchronously inside the event loop; do not
        # let asyncio's debug mode report that as a slow callback.
        asyncio.get_running_loop().slow_callback_duration = 60

    async def test_sigterm_stops_cleanly(self):
        server = DomovoyServer().start()
        try:
            client = nio_client(server.url)
            resp = await client.register(unique("term"), "pw")
            self.assertEqual(type(resp).__name__, "RegisterResponse", resp)
            await client.close()
            server.proc.send_signal(signal.SIGTERM)
            code = server.proc.wait(timeout=15)
            with open(server.stdout_path) as f:
                out = f.read()
        finally:
            server.stop()
        # Killed by the signal would be -15; a clean shutdown exits with 0.
        self.assertEqual(code, 0, f"exit status after SIGTERM; stdout: {out!r}")
        self.assertIn("Domovoy stopped", out)

    async def test_sigint_stops_cleanly(self):
        server = DomovoyServer().start()
        try:
            server.proc.send_signal(signal.SIGINT)
            code = server.proc.wait(timeout=15)
        finally:
            server.stop()
        self.assertEqual(code, 0, "exit status after SIGINT")

    async def test_data_survives_restart(self):
        data_root = tempfile.mkdtemp(prefix="domovoy-nio-persist-")
        self.addCleanup(shutil.rmtree, data_root, True)
        name = unique("persist")

        async def run(step):
            server = DomovoyServer(data_dir=os.path.join(data_root, "data")).start()
            try:
                return await step(server.url)
            finally:
                server.stop()

        async def first(url):
            client = nio_client(url)
            try:
                resp = await client.register(name, "pw")
                self.assertEqual(type(resp).__name__, "RegisterResponse", resp)
                room = await client.room_create(name="Persistent")
                send = await client.room_send(room.room_id, "m.room.message",
                                              {"msgtype": "m.text", "body": "still here"})
                return resp.user_id, room.room_id, send.event_id
            finally:
                await client.close()

        user_id, room_id, event_id = await run(first)

        async def second(url):
            client = nio_client(url, user_id)
            try:
                resp = await client.login("pw")
                self.assertEqual(type(resp).__name__, "LoginResponse", resp)
                rooms = await client.joined_rooms()
                self.assertEqual(rooms.rooms, [room_id])
                got = await client.room_get_event(room_id, event_id)
                self.assertEqual(got.event.source["content"]["body"], "still here")
                name_ev = await client.room_get_state_event(room_id, "m.room.name")
                self.assertEqual(name_ev.content, {"name": "Persistent"})
            finally:
                await client.close()

        await run(second)

    async def test_bad_configuration_is_refused(self):
        tmp = tempfile.mkdtemp(prefix="domovoy-nio-badcfg-")
        self.addCleanup(shutil.rmtree, tmp, True)
        config = os.path.join(tmp, "config.yaml")
        for text, named in (("registration:\n  enabled: maybe-not\n", "registration.enabled"),
                            ("media:\n  url_preview_ip_range_denylist: ['10.0.0.0/33']\n",
                             "url_preview_ip_range_denylist")):
            with open(config, "w") as f:
                f.write(text)
            proc = subprocess.run(
                [_binary(), "serve", "--config", config, "--server-name", "localhost",
                 "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "data")],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
            self.assertNotEqual(proc.returncode, 0, proc.stdout)
            self.assertNotIn("listening on", proc.stdout)
            self.assertIn(named, proc.stderr, "no message naming what is refused")


class TestGenericApi(DomovoyTestCase):

    async def test_versions(self):
        alice = self.new_client()
        status, body = await self.raw(alice, "GET", "/_matrix/client/versions", token=False)
        self.assertEqual(status, 200, body)
        self.assertIsInstance(body["versions"], list)
        self.assertTrue(body["versions"])
        self.assertTrue(all(isinstance(v, str) for v in body["versions"]))

    async def test_unknown_endpoint_is_unrecognized(self):
        alice = await self.register("unrec")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/this/does/not/exist")
        # Unknown endpoints: 404 M_UNRECOGNIZED.
        self.assertRawError(status, body, "M_UNRECOGNIZED", 404, "unknown endpoint")

    async def test_wrong_method_is_unrecognized(self):
        alice = await self.register("method")
        status, body = await self.raw(alice, "DELETE", "/_matrix/client/v3/account/whoami")
        # Known endpoint, unsupported method: 405 M_UNRECOGNIZED.
        self.assertRawError(status, body, "M_UNRECOGNIZED", 405, "DELETE whoami")

    async def test_malformed_json_body(self):
        alice = await self.register("badjson")
        resp = await alice.send(
            "POST", "/_matrix/client/v3/createRoom", "{not json",
            {"Content-Type": "application/json", "Authorization": f"Bearer {alice.access_token}"})
        body = await resp.json()
        self.assertEqual(resp.status, 400, body)
        self.assertEqual(body.get("errcode"), "M_NOT_JSON", body)

    async def test_cors_preflight(self):
        alice = self.new_client()
        resp = await alice.send("OPTIONS", "/_matrix/client/v3/login", None,
                                {"Origin": "https://app.example",
                                 "Access-Control-Request-Method": "POST"})
        self.assertIn(resp.status, (200, 204))
        self.assertEqual(resp.headers.get("Access-Control-Allow-Origin"), "*")


if __name__ == "__main__":
    unittest.main()
