"""Room features of the client surface: knocking (with rooms.knock in sync), ignored users,
OpenID tokens and the userinfo endpoint, reports, the user directory, timestamp_to_event and
the read-only 3PID list. Spec: knocking.yaml, modules "Ignoring Users", openid.yaml,
report_content.yaml, users.yaml, timestamp_to_event.yaml, administrative_contact.yaml."""

import time

from harness import DomovoyTestCase

V1 = "/_matrix/client/v1"
V3 = "/_matrix/client/v3"


class TestRoomFeatures(DomovoyTestCase):

    async def test_knock(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        status, body = await self.raw(alice, "POST", f"{V3}/createRoom", {
            "name": "Совет", "room_version": "11",
            "initial_state": [{"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "knock"}}]})
        room = body["room_id"]
        status, body = await self.raw(bob, "POST", f"{V3}/knock/{room}", {"reason": "Я из 12-й"})
        self.assertEqual((status, body.get("room_id")), (200, room), body)
        status, synced = await self.raw(bob, "GET", f"{V3}/sync")
        knock_state = synced["rooms"]["knock"][room]["knock_state"]["events"]
        self.assertIn("m.room.join_rules", [e["type"] for e in knock_state])
        self.assertIn(("m.room.member", bob.user_id, "knock"),
                      [(e["type"], e.get("state_key"), e["content"].get("membership")) for e in knock_state])
        status, members = await self.raw(alice, "GET", f"{V3}/rooms/{room}/state/m.room.member/{bob.user_id}")
        self.assertEqual((members["membership"], members.get("reason")), ("knock", "Я из 12-й"))
        # A room that does not take knocks refuses them.
        closed = await self.create_room(alice)
        status, body = await self.raw(bob, "POST", f"{V3}/knock/{closed}", {})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "knock on an invite-only room")
        status, body = await self.raw(bob, "POST", f"{V3}/knock/!nosuch:localhost", {})
        self.assertEqual(status, 404, body)

    async def test_ignored_users(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        troll = await self.register("troll")
        room = await self.create_room(alice, invite=[bob.user_id, troll.user_id])
        await self.join(bob, room)
        await self.join(troll, room)
        status, body = await self.raw(bob, "PUT", f"{V3}/user/{bob.user_id}/account_data/m.ignored_user_list",
                                      {"ignored_users": {troll.user_id: {}}})
        self.assertEqual(status, 200, body)
        await self.send_text(troll, room, "спам")
        kept = await self.send_text(alice, room, "по делу")
        status, messages = await self.raw(bob, "GET", f"{V3}/rooms/{room}/messages", query={"dir": "b", "limit": 20})
        bodies = [e["content"].get("body") for e in messages["chunk"] if e["type"] == "m.room.message"]
        self.assertEqual(bodies, ["по делу"])
        status, synced = await self.raw(bob, "GET", f"{V3}/sync")
        timeline = synced["rooms"]["join"][room]["timeline"]["events"]
        self.assertIn(kept, [e["event_id"] for e in timeline])
        self.assertNotIn("спам", [e["content"].get("body") for e in timeline])
        # The troll's membership (state) is still there; alice still sees the troll's message.
        self.assertIn(troll.user_id, [e.get("state_key") for e in synced["rooms"]["join"][room]["state"]["events"]
                                      + timeline])
        status, messages = await self.raw(alice, "GET", f"{V3}/rooms/{room}/messages", query={"dir": "b", "limit": 20})
        self.assertIn("спам", [e["content"].get("body") for e in messages["chunk"]])
        # Invites from an ignored user are not shown.
        other = await self.create_room(troll, invite=[bob.user_id])
        status, synced = await self.raw(bob, "GET", f"{V3}/sync")
        self.assertNotIn(other, synced["rooms"]["invite"])

    async def test_openid(self):
        alice = await self.register("alice")
        status, body = await self.raw(alice, "POST", f"{V3}/user/{alice.user_id}/openid/request_token", {})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["token_type"], body["matrix_server_name"]), ("Bearer", "localhost"))
        self.assertGreater(body["expires_in"], 0)
        status, info = await self.raw(alice, "GET", "/_matrix/federation/v1/openid/userinfo", token=False,
                                      query={"access_token": body["access_token"]})
        self.assertEqual((status, info), (200, {"sub": alice.user_id}))
        status, info = await self.raw(alice, "GET", "/_matrix/federation/v1/openid/userinfo", token=False,
                                      query={"access_token": "forged"})
        self.assertRawError(status, info, "M_UNKNOWN_TOKEN", 401, "unknown OpenID token")
        bob = await self.register("bob")
        status, body = await self.raw(bob, "POST", f"{V3}/user/{alice.user_id}/openid/request_token", {})
        self.assertEqual(status, 403, body)

    async def test_reports(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        room = await self.create_room(alice, invite=[bob.user_id])
        await self.join(bob, room)
        event = await self.send_text(alice, room, "оскорбление")
        status, body = await self.raw(bob, "POST", f"{V3}/rooms/{room}/report/{event}", {"reason": "грубость", "score": -100})
        self.assertEqual((status, body), (200, {}))
        status, body = await self.raw(bob, "POST", f"{V3}/rooms/{room}/report", {"reason": "спам-комната"})
        self.assertEqual((status, body), (200, {}))
        stranger = await self.register("stranger")
        status, body = await self.raw(stranger, "POST", f"{V3}/rooms/{room}/report/{event}", {"reason": "?"})
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "report of an event the reporter cannot see")
        status, body = await self.raw(bob, "POST", f"{V3}/rooms/{room}/report/{event}", {"score": "bad"})
        self.assertEqual(status, 400, body)

    async def test_user_directory(self):
        alice = await self.register("alice")
        neighbour = await self.register("neighbour")
        stranger = await self.register("stranger")
        await self.raw(neighbour, "PUT", f"{V3}/profile/{neighbour.user_id}/displayname", {"displayname": "Соседка Вера"})
        await self.raw(stranger, "PUT", f"{V3}/profile/{stranger.user_id}/displayname", {"displayname": "Вера Чужая"})
        room = await self.create_room(alice, invite=[neighbour.user_id])
        await self.join(neighbour, room)
        status, body = await self.raw(alice, "POST", f"{V3}/user_directory/search", {"search_term": "вера"})
        self.assertEqual(status, 200, body)
        self.assertEqual([r["user_id"] for r in body["results"]], [neighbour.user_id])
        self.assertEqual(body["results"][0]["display_name"], "Соседка Вера")
        self.assertFalse(body["limited"])
        status, body = await self.raw(alice, "POST", f"{V3}/user_directory/search", {})
        self.assertRawError(status, body, "M_MISSING_PARAM", 400, "no search_term")

    async def test_timestamp_to_event(self):
        alice = await self.register("alice")
        room = await self.create_room(alice)
        first = await self.send_text(alice, room, "one")
        status, event = await self.raw(alice, "GET", f"{V3}/rooms/{room}/event/{first}")
        middle_ts = event["origin_server_ts"]
        time.sleep(0.01)
        second = await self.send_text(alice, room, "two")
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{room}/timestamp_to_event",
                                      query={"ts": middle_ts, "dir": "b"})
        self.assertEqual((status, body["event_id"]), (200, first), body)
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{room}/timestamp_to_event",
                                      query={"ts": middle_ts + 1, "dir": "f"})
        self.assertEqual(body["event_id"], second)
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{room}/timestamp_to_event",
                                      query={"ts": 10 ** 15, "dir": "f"})
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "nothing after the future")
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{room}/timestamp_to_event", query={"ts": 1})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "no dir")

    async def test_third_party_ids_are_read_only(self):
        alice = await self.register("alice")
        status, body = await self.raw(alice, "GET", f"{V3}/account/3pid")
        self.assertEqual((status, body), (200, {"threepids": []}))
        status, caps = await self.raw(alice, "GET", f"{V3}/capabilities")
        self.assertEqual(caps["capabilities"]["m.3pid_changes"], {"enabled": False})
        status, body = await self.raw(alice, "POST", f"{V3}/account/3pid/add", {"sid": "x", "client_secret": "y"})
        self.assertEqual(status, 403, body)
