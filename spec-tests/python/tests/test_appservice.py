"""The Application Service API with a real appservice process on the other side (an aiohttp
server written here, registered from a YAML file): transactions in order with the hs_token,
identity assertion inside and outside the namespace, exclusive namespaces, registration and
login of appservice users, user and alias queries, ping, third-party protocols, and delivery of
everything that happened while the appservice was down, across a restart of the homeserver."""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import unittest
import uuid

from appservice_fake import FakeAppservice, registration_yaml
from harness import DomovoyServer, DomovoyTestCase, q, unique, _binary

AS_TOKEN = "as-token-" + uuid.uuid4().hex
HS_TOKEN = "hs-token-" + uuid.uuid4().hex


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppserviceCase(DomovoyTestCase):
    """A server with one appservice registered; the appservice runs during each test."""

    @classmethod
    def setUpClass(cls):
        cls.as_port = free_port()
        cls.reg_dir = tempfile.mkdtemp(prefix="domovoy-as-")
        cls.registration = os.path.join(cls.reg_dir, "bridge.yaml")
        with open(cls.registration, "w") as f:
            f.write(registration_yaml("bridge", f"http://127.0.0.1:{cls.as_port}", AS_TOKEN, HS_TOKEN,
                                      protocols=("irc",)))
        cls.server_args = ("--appservice", cls.registration)
        super().setUpClass()
        cls.addClassCleanup(shutil.rmtree, cls.reg_dir, True)

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.appservice = await FakeAppservice(HS_TOKEN, self.as_port).start()

    async def asyncTearDown(self):
        await self.appservice.stop()
        await super().asyncTearDown()

    async def as_call(self, client, method, path, body=None, query=None):
        return await self.raw(client, method, path, body, query=query, access_token=AS_TOKEN)

    async def register_bridge_user(self, client, localpart=None):
        localpart = localpart or unique("_bridge_")
        status, body = await self.as_call(client, "POST", "/_matrix/client/v3/register",
                                          {"type": "m.login.application_service", "username": localpart,
                                           "inhibit_login": True})
        self.assertEqual(status, 200, body)
        return body["user_id"]


class TestAppserviceTransactions(AppserviceCase):
    async def test_events_of_its_users_arrive_in_order_with_the_hs_token(self):
        alice = await self.register("alice")
        ghost = await self.register_bridge_user(alice)
        room = await self.create_room(alice, invite=[ghost])
        status, body = await self.as_call(alice, "POST", f"/_matrix/client/v3/join/{q(room)}", {},
                                          query={"user_id": ghost})
        self.assertEqual(status, 200, body)
        sent = []
        for i in range(5):
            sent.append(await self.send_text(alice, room, f"message {i}"))
        await self.appservice.wait_for(lambda: all(any(e["event_id"] == s for e in self.appservice.events) for s in sent),
                                       "the five messages")
        ids = [e["event_id"] for e in self.appservice.events]
        positions = [ids.index(s) for s in sent]
        self.assertEqual(positions, sorted(positions), "events arrive in the order they were sent")
        event = self.appservice.events[positions[0]]
        self.assertEqual(event["room_id"], room)
        self.assertEqual(event["sender"], alice.user_id)
        self.assertEqual(event["content"]["body"], "message 0")
        self.assertEqual(len(set(ids)), len(ids), "no event is delivered twice")
        # A message as the appservice user (masquerading) comes back to it as well.
        status, body = await self.as_call(alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/t1",
                                          {"msgtype": "m.text", "body": "from the bridge"}, query={"user_id": ghost})
        self.assertEqual(status, 200, body)
        await self.appservice.wait_for(lambda: any(e["event_id"] == body["event_id"] for e in self.appservice.events),
                                       "the bridge's own message")

    async def test_a_room_without_its_users_is_not_its_business(self):
        alice = await self.register("alice")
        room = await self.create_room(alice)
        secret = await self.send_text(alice, room, "not for bridges")
        ghost = await self.register_bridge_user(alice)
        ghost_room = await self.create_room(alice, invite=[ghost])
        await self.as_call(alice, "POST", f"/_matrix/client/v3/join/{q(ghost_room)}", {}, query={"user_id": ghost})
        marker = await self.send_text(alice, ghost_room, "marker")
        await self.appservice.wait_for(lambda: any(e["event_id"] == marker for e in self.appservice.events), "marker")
        self.assertNotIn(secret, [e["event_id"] for e in self.appservice.events])

    async def test_typing_and_receipts_reach_an_appservice_with_receive_ephemeral(self):
        alice = await self.register("alice")
        ghost = await self.register_bridge_user(alice)
        room = await self.create_room(alice, invite=[ghost])
        await self.as_call(alice, "POST", f"/_matrix/client/v3/join/{q(room)}", {}, query={"user_id": ghost})
        event_id = await self.send_text(alice, room, "read me")
        status, _ = await self.raw(alice, "POST", f"/_matrix/client/v3/rooms/{q(room)}/receipt/m.read/{q(event_id)}", {})
        self.assertEqual(status, 200)
        await self.appservice.wait_for(
            lambda: any(e.get("type") == "m.receipt" and e.get("room_id") == room for e in self.appservice.ephemeral),
            "the receipt as an ephemeral event")


    async def test_presence_of_a_room_mate_reaches_it(self):
        alice = await self.register("alice")
        ghost = await self.register_bridge_user(alice)
        room = await self.create_room(alice, invite=[ghost])
        await self.as_call(alice, "POST", f"/_matrix/client/v3/join/{q(room)}", {}, query={"user_id": ghost})
        status, _ = await self.raw(alice, "PUT", f"/_matrix/client/v3/presence/{q(alice.user_id)}/status",
                                   {"presence": "unavailable", "status_msg": "в отпуске"})
        self.assertEqual(status, 200)
        await self.appservice.wait_for(
            lambda: any(e.get("type") == "m.presence" and e.get("sender") == alice.user_id
                        and e["content"].get("presence") == "unavailable" for e in self.appservice.ephemeral),
            "the presence change as an ephemeral event")


class TestIdentityAssertion(AppserviceCase):
    async def test_masquerading_inside_the_namespace_only(self):
        alice = await self.register("alice")
        ghost = await self.register_bridge_user(alice)
        status, body = await self.as_call(alice, "GET", "/_matrix/client/v3/account/whoami", query={"user_id": ghost})
        self.assertEqual((status, body.get("user_id")), (200, ghost))
        status, body = await self.as_call(alice, "GET", "/_matrix/client/v3/account/whoami")
        self.assertEqual((status, body.get("user_id")), (200, "@bridgebot:localhost"), "no user_id: the sender")
        status, body = await self.as_call(alice, "GET", "/_matrix/client/v3/account/whoami",
                                          query={"user_id": alice.user_id})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "a user outside the namespace")
        status, body = await self.as_call(alice, "GET", "/_matrix/client/v3/account/whoami",
                                          query={"user_id": "@_bridge_never_registered:localhost"})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "an unregistered user of the namespace")
        status, body = await self.as_call(alice, "GET", "/_matrix/client/v3/account/whoami",
                                          query={"user_id": ghost, "device_id": "NOSUCHDEVICE"})
        self.assertRawError(status, body, "M_UNKNOWN_DEVICE", 400, "a device the user does not have")

    async def test_exclusive_namespaces_are_refused_to_everyone_else(self):
        alice = await self.register("alice")
        client = self.new_client()
        resp = await client.register(unique("_bridge_human"), self.password)
        self.assertMatrixError(resp, "M_EXCLUSIVE", 400, "a human registering in the namespace")
        status, body = await self.as_call(alice, "POST", "/_matrix/client/v3/register",
                                          {"type": "m.login.application_service", "username": unique("outside")})
        self.assertRawError(status, body, "M_EXCLUSIVE", 400, "the appservice registering outside its namespace")
        room = await self.create_room(alice)
        status, body = await self.raw(alice, "PUT", f"/_matrix/client/v3/directory/room/{q('#_bridge_x:localhost')}",
                                      {"room_id": room})
        self.assertRawError(status, body, "M_EXCLUSIVE", 400, "a human taking an alias of the namespace")
        status, body = await self.as_call(alice, "PUT", f"/_matrix/client/v3/directory/room/{q('#_bridge_x:localhost')}",
                                          {"room_id": room})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/register",
                                      {"type": "m.login.application_service", "username": unique("_bridge_")},
                                      token=False)
        self.assertEqual(status, 401, "m.login.application_service without the as_token")

    async def test_login_of_an_appservice_user(self):
        alice = await self.register("alice")
        ghost = await self.register_bridge_user(alice)
        status, body = await self.as_call(alice, "POST", "/_matrix/client/v3/login",
                                          {"type": "m.login.application_service",
                                           "identifier": {"type": "m.id.user", "user": ghost}})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["user_id"], ghost)
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/account/whoami",
                                      access_token=body["access_token"])
        self.assertEqual((status, body["user_id"]), (200, ghost))
        status, body = await self.as_call(alice, "POST", "/_matrix/client/v3/login",
                                          {"type": "m.login.application_service",
                                           "identifier": {"type": "m.id.user", "user": alice.user_id}})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "login of a user outside the namespace")


class TestQueriesAndPing(AppserviceCase):
    async def test_unknown_user_of_the_namespace_is_asked_for(self):
        alice = await self.register("alice")
        wanted = "@_bridge_" + uuid.uuid4().hex[:8] + ":localhost"

        async def create(user_id):
            status, _ = await self.as_call(alice, "POST", "/_matrix/client/v3/register",
                                           {"type": "m.login.application_service",
                                            "username": user_id[1:].split(":")[0], "inhibit_login": True})
            return status == 200

        self.appservice.on_user_query = create
        status, body = await self.raw(alice, "GET", f"/_matrix/client/v3/profile/{q(wanted)}")
        self.assertEqual(status, 200, body)
        self.assertIn(wanted, self.appservice.queried_users)
        status, body = await self.raw(alice, "GET", f"/_matrix/client/v3/profile/{q('@nobody_' + uuid.uuid4().hex[:6] + ':localhost')}")
        self.assertEqual(status, 404, "users outside every namespace are not asked for")

    async def test_unknown_alias_of_the_namespace_is_asked_for(self):
        alice = await self.register("alice")
        self.appservice.on_alias_query = None  # the appservice does not know it either
        alias = "#_bridge_" + uuid.uuid4().hex[:8] + ":localhost"
        status, body = await self.raw(alice, "GET", f"/_matrix/client/v3/directory/room/{q(alias)}")
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "an alias nobody has")
        self.assertIn(alias, self.appservice.queried_aliases)

    async def test_ping(self):
        alice = await self.register("alice")
        status, body = await self.as_call(alice, "POST", "/_matrix/client/v1/appservice/bridge/ping",
                                          {"transaction_id": "ping-1"})
        self.assertEqual(status, 200, body)
        self.assertIsInstance(body["duration_ms"], int)
        self.assertEqual(self.appservice.pings[-1], {"transaction_id": "ping-1"})
        status, body = await self.as_call(alice, "POST", "/_matrix/client/v1/appservice/other/ping", {})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "pinging another appservice")
        status, body = await self.raw(alice, "POST", "/_matrix/client/v1/appservice/bridge/ping", {})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "a user's token")
        await self.appservice.stop()
        status, body = await self.as_call(alice, "POST", "/_matrix/client/v1/appservice/bridge/ping", {})
        self.assertRawError(status, body, "M_CONNECTION_FAILED", 502, "the appservice is down")

    async def test_thirdparty_protocols_come_from_the_registrations(self):
        alice = await self.register("alice")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/thirdparty/protocols")
        self.assertEqual(status, 200, body)
        self.assertIn("irc", body)
        self.assertEqual(body["irc"]["user_fields"], ["nick"])


class TestDeliveryAcrossDowntime(unittest.IsolatedAsyncioTestCase):
    """The appservice is down while 200 events arrive and the homeserver itself restarts; once
    the appservice is back it receives all 200, in order, each exactly once."""

    async def asyncSetUp(self):
        self.tmp = tempfile.mkdtemp(prefix="domovoy-as-down-")
        self.port = free_port()
        self.registration = os.path.join(self.tmp, "bridge.yaml")
        with open(self.registration, "w") as f:
            f.write(registration_yaml("bridge", f"http://127.0.0.1:{self.port}", AS_TOKEN, HS_TOKEN,
                                      receive_ephemeral=False))
        self.data = os.path.join(self.tmp, "data")
        self.server = None

    async def asyncTearDown(self):
        if self.server:
            self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_server(self):
        self.server = DomovoyServer(data_dir=self.data, extra_args=("--appservice", self.registration)).start()
        return self.server

    async def test_everything_said_while_down_arrives_once_in_order(self):
        from nio import AsyncClient
        self.start_server()
        case = DomovoyTestCase()
        case.server = self.server
        case._clients = []
        alice = AsyncClient(self.server.url, "")
        try:
            resp = await alice.register(unique("alice"), "correct horse battery staple")
            alice.user_id, alice.access_token = resp.user_id, resp.access_token
            status, body = await case.raw(alice, "POST", "/_matrix/client/v3/register",
                                          {"type": "m.login.application_service", "username": unique("_bridge_"),
                                           "inhibit_login": True}, access_token=AS_TOKEN)
            self.assertEqual(status, 200, body)
            ghost = body["user_id"]
            created = await alice.room_create(invite=[ghost])
            room = created.room_id
            status, body = await case.raw(alice, "POST", f"/_matrix/client/v3/join/{q(room)}", {},
                                          query={"user_id": ghost}, access_token=AS_TOKEN)
            self.assertEqual(status, 200, body)
            sent = []
            for i in range(200):
                status, body = await case.raw(alice, "PUT",
                                              f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/d{i}",
                                              {"msgtype": "m.text", "body": f"while down {i}"})
                self.assertEqual(status, 200, body)
                sent.append(body["event_id"])
        finally:
            await alice.close()
        self.server.stop()
        self.start_server()  # the homeserver restarts before the appservice is back
        appservice = await FakeAppservice(HS_TOKEN, self.port).start()
        try:
            await appservice.wait_for(lambda: all(s in {e["event_id"] for e in appservice.events} for s in sent),
                                      "all 200 events", timeout=60)
            ids = [e["event_id"] for e in appservice.events]
            self.assertEqual(len(ids), len(set(ids)), "every event exactly once")
            self.assertEqual([i for i in ids if i in set(sent)], sent, "in the order they were sent")
        finally:
            await appservice.stop()

    async def test_an_appservice_answering_500_gets_the_events_later(self):
        await self.refused_then_delivered(500)

    async def test_an_appservice_answering_garbage_gets_the_events_later(self):
        await self.refused_then_delivered("garbage")

    async def refused_then_delivered(self, failure):
        self.start_server()
        appservice = await FakeAppservice(HS_TOKEN, self.port).start()
        appservice.fail_with = failure
        from nio import AsyncClient
        case = DomovoyTestCase()
        alice = AsyncClient(self.server.url, "")
        try:
            resp = await alice.register(unique("alice"), "correct horse battery staple")
            alice.user_id, alice.access_token = resp.user_id, resp.access_token
            status, body = await case.raw(alice, "POST", "/_matrix/client/v3/register",
                                          {"type": "m.login.application_service", "username": unique("_bridge_"),
                                           "inhibit_login": True}, access_token=AS_TOKEN)
            ghost = body["user_id"]
            room = (await alice.room_create(invite=[ghost])).room_id
            # The appservice refuses twice; the server keeps the events and tries again.
            await appservice.wait_for(lambda: appservice.refused >= 2, "two refused attempts", timeout=40)
            self.assertEqual(appservice.events, [])
            self.assertEqual(len(set(appservice.refused_txns)), 1, "every retry is the same transaction")
            appservice.fail_with = None
            await appservice.wait_for(lambda: any(e.get("room_id") == room for e in appservice.events),
                                      "the room's events after the refusals", timeout=40)
            self.assertEqual(appservice.deliveries[0], appservice.refused_txns[0], "then delivered under its txnId")
        finally:
            await alice.close()
            await appservice.stop()


class TestBadRegistration(unittest.TestCase):
    def run_server(self, yaml_text):
        tmp = tempfile.mkdtemp(prefix="domovoy-badreg-")
        try:
            path = os.path.join(tmp, "broken.yaml")
            with open(path, "w") as f:
                f.write(yaml_text)
            proc = subprocess.run([_binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "d"),
                                   "--appservice", path], capture_output=True, text=True, timeout=30)
            return proc, path
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_a_missing_key_stops_the_start_naming_file_and_key(self):
        proc, path = self.run_server("id: x\nurl: null\nhs_token: h\nsender_localpart: s\n")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(path, proc.stderr)
        self.assertIn("as_token", proc.stderr)

    def test_a_regex_that_does_not_compile_stops_the_start(self):
        proc, path = self.run_server("id: x\nurl: null\nas_token: a\nhs_token: h\nsender_localpart: s\n"
                                     "namespaces:\n  users:\n    - {regex: '@(unclosed', exclusive: true}\n")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("regex", proc.stderr)


if __name__ == "__main__":
    unittest.main()
