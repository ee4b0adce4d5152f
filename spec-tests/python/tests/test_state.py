"""Room state: get all, get one, put; joined_members and members.

Spec: data/api/client-server/rooms.yaml, room_state.yaml.
"""

import unittest

from nio import RoomPreset

from harness import DomovoyTestCase, q


class TestRoomState(DomovoyTestCase):

    async def test_full_state_has_one_event_per_key(self):
        alice = await self.register("stateall")
        bob = await self.register("statebob")
        room_id = await self.create_room(alice, name="S", topic="T", preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        resp = await bob.room_get_state(room_id)
        self.assertOk(resp, "RoomGetStateResponse", "room_get_state")
        keys = [(e["type"], e["state_key"]) for e in resp.events]
        self.assertEqual(len(keys), len(set(keys)), f"duplicate state keys: {keys}")
        for key in [("m.room.create", ""), ("m.room.power_levels", ""), ("m.room.join_rules", ""),
                    ("m.room.name", ""), ("m.room.topic", ""),
                    ("m.room.member", alice.user_id), ("m.room.member", bob.user_id)]:
            self.assertIn(key, keys)
        for event in resp.events:
            for field in ("event_id", "sender", "origin_server_ts", "content", "room_id"):
                self.assertIn(field, event)

    async def test_put_and_get_state_event(self):
        alice = await self.register("putstate")
        room_id = await self.create_room(alice)
        resp = await alice.room_put_state(room_id, "org.example.flat", {"number": 12}, state_key="12")
        self.assertOk(resp, "RoomPutStateResponse", "room_put_state")
        self.assertTrue(resp.event_id.startswith("$"))
        got = await alice.room_get_state_event(room_id, "org.example.flat", "12")
        self.assertOk(got, "RoomGetStateEventResponse", "room_get_state_event")
        self.assertEqual(got.content, {"number": 12})
        # The event is a normal room event.
        ev = await alice.room_get_event(room_id, resp.event_id)
        self.assertOk(ev, "RoomGetEventResponse", "get the state event")
        self.assertEqual(ev.event.source["state_key"], "12")
        self.assertEqual(ev.event.source["type"], "org.example.flat")

    async def test_put_state_overwrites(self):
        alice = await self.register("overwrite")
        room_id = await self.create_room(alice)
        first = await alice.room_put_state(room_id, "m.room.topic", {"topic": "one"})
        self.assertOk(first, "RoomPutStateResponse", "first topic")
        second = await alice.room_put_state(room_id, "m.room.topic", {"topic": "two"})
        self.assertOk(second, "RoomPutStateResponse", "second topic")
        self.assertNotEqual(first.event_id, second.event_id)
        got = await alice.room_get_state_event(room_id, "m.room.topic")
        self.assertEqual(got.content["topic"], "two")
        state = await alice.room_get_state(room_id)
        topics = [e for e in state.events if e["type"] == "m.room.topic"]
        self.assertEqual(len(topics), 1)
        self.assertEqual(topics[0]["event_id"], second.event_id)
        # unsigned.prev_content of a replacing state event (client_event.yaml).
        ev = await alice.room_get_event(room_id, second.event_id)
        self.assertEqual(ev.event.source.get("unsigned", {}).get("prev_content"), {"topic": "one"})

    async def test_state_key_with_special_characters(self):
        alice = await self.register("skey")
        room_id = await self.create_room(alice)
        state_key = "flat 3/b?x=1#y"
        status, body = await self.raw(
            alice, "PUT",
            f"/_matrix/client/v3/rooms/{q(room_id)}/state/org.example.odd/{q(state_key)}",
            {"ok": True})
        self.assertEqual(status, 200, body)
        got = await alice.room_get_state_event(room_id, "org.example.odd", state_key)
        self.assertOk(got, "RoomGetStateEventResponse", "get state with an odd key")
        self.assertEqual(got.content, {"ok": True})
        state = await alice.room_get_state(room_id)
        self.assertIn(("org.example.odd", state_key),
                      [(e["type"], e["state_key"]) for e in state.events])

    async def test_empty_state_key_trailing_slash_optional(self):
        # "When an empty string, the trailing slash on this endpoint is optional."
        alice = await self.register("slash")
        room_id = await self.create_room(alice, name="Slash")
        for path in (f"/_matrix/client/v3/rooms/{q(room_id)}/state/m.room.name",
                     f"/_matrix/client/v3/rooms/{q(room_id)}/state/m.room.name/"):
            status, body = await self.raw(alice, "GET", path)
            self.assertEqual(status, 200, f"{path}: {body}")
            self.assertEqual(body, {"name": "Slash"})
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room_id)}/state/m.room.name",
            {"name": "No slash"})
        self.assertEqual(status, 200, body)
        got = await alice.room_get_state_event(room_id, "m.room.name")
        self.assertEqual(got.content, {"name": "No slash"})

    async def test_get_state_event_format_event(self):
        # rooms.yaml (v1.16): ?format=event returns the entire client-formatted event.
        alice = await self.register("fmt")
        room_id = await self.create_room(alice, name="Formatted")
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/state/m.room.name/",
            query={"format": "event"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body.get("type"), "m.room.name", body)
        self.assertEqual(body.get("state_key"), "")
        self.assertEqual(body.get("sender"), alice.user_id)
        self.assertEqual(body.get("content"), {"name": "Formatted"})
        self.assertTrue(body.get("event_id", "").startswith("$"))
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/state/m.room.name/",
            query={"format": "content"})
        self.assertEqual(body, {"name": "Formatted"})

    async def test_missing_state_event_is_404(self):
        alice = await self.register("nostate")
        room_id = await self.create_room(alice)
        resp = await alice.room_get_state_event(room_id, "org.example.absent", "nothing")
        # rooms.yaml 404: "The room has no state with the given type or key."
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "get absent state")

    async def test_put_state_without_power_is_forbidden(self):
        alice = await self.register("plstate")
        bob = await self.register("plstatebob")
        room_id = await self.create_room(alice, name="Original", preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        resp = await bob.room_put_state(room_id, "m.room.name", {"name": "Hijacked"})
        # room_state.yaml 403: "The sender doesn't have permission to send the event".
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "set name below state_default")
        got = await alice.room_get_state_event(room_id, "m.room.name")
        self.assertEqual(got.content["name"], "Original")

    async def test_state_of_room_never_joined_is_forbidden(self):
        alice = await self.register("hidden")
        eve = await self.register("nosy")
        room_id = await self.create_room(alice, name="Hidden", preset=RoomPreset.private_chat)
        resp = await eve.room_get_state(room_id)
        # rooms.yaml 403: "You aren't a member of the room and weren't previously a member".
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "state of a room never joined")
        # (nio parses any non-404 body of this endpoint as content, so check it raw.)
        status, body = await self.raw(
            eve, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/state/m.room.name/")
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "state event of a room never joined")

    async def test_state_for_left_user_is_state_at_leave(self):
        # rooms.yaml: "If the user has left the room then the state is taken from the state
        # of the room when they left."
        alice = await self.register("leftowner")
        bob = await self.register("leftuser")
        room_id = await self.create_room(alice, name="Before", preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await bob.room_leave(room_id)
        await alice.room_put_state(room_id, "m.room.name", {"name": "After"})
        got = await bob.room_get_state_event(room_id, "m.room.name")
        self.assertOk(got, "RoomGetStateEventResponse", "name seen by the left user")
        self.assertEqual(got.content["name"], "Before")
        state = await bob.room_get_state(room_id)
        self.assertOk(state, "RoomGetStateResponse", "state seen by the left user")
        names = [e["content"]["name"] for e in state.events if e["type"] == "m.room.name"]
        self.assertEqual(names, ["Before"])
        mine = [e for e in state.events
                if e["type"] == "m.room.member" and e["state_key"] == bob.user_id]
        self.assertEqual(mine[0]["content"]["membership"], "leave")


class TestMembers(DomovoyTestCase):

    async def test_joined_members_with_profiles(self):
        alice = await self.register("jm")
        bob = await self.register("jmbob")
        await alice.set_displayname("Alice A.")
        await alice.set_avatar("mxc://localhost/alicepic")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        resp = await bob.joined_members(room_id)
        self.assertOk(resp, "JoinedMembersResponse", "joined_members")
        by_id = {m.user_id: m for m in resp.members}
        self.assertEqual(set(by_id), {alice.user_id, bob.user_id})
        self.assertEqual(by_id[alice.user_id].display_name, "Alice A.")
        self.assertEqual(by_id[alice.user_id].avatar_url, "mxc://localhost/alicepic")

    async def test_joined_members_excludes_invited_and_left(self):
        alice = await self.register("jmx")
        bob = await self.register("jmxinv")
        carol = await self.register("jmxleft")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(carol, room_id)
        await carol.room_leave(room_id)
        await alice.room_invite(room_id, bob.user_id)
        resp = await alice.joined_members(room_id)
        self.assertOk(resp, "JoinedMembersResponse", "joined_members")
        self.assertEqual([m.user_id for m in resp.members], [alice.user_id])

    async def test_joined_members_of_room_not_joined_is_forbidden(self):
        alice = await self.register("jmowner")
        eve = await self.register("jmeve")
        room_id = await self.create_room(alice, preset=RoomPreset.private_chat)
        resp = await eve.joined_members(room_id)
        # rooms.yaml joined_members 403: "You aren't a member of the room."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "joined_members of a room not joined")

    async def test_members_endpoint(self):
        alice = await self.register("mem")
        bob = await self.register("memb")
        carol = await self.register("memc")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await alice.room_invite(room_id, carol.user_id)
        status, body = await self.raw(alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/members")
        self.assertEqual(status, 200, body)
        members = {e["state_key"]: e["content"]["membership"] for e in body["chunk"]}
        self.assertEqual(members, {alice.user_id: "join", bob.user_id: "join", carol.user_id: "invite"})
        for e in body["chunk"]:
            self.assertEqual(e["type"], "m.room.member")
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/members",
            query={"membership": "invite"})
        self.assertEqual(status, 200, body)
        self.assertEqual([e["state_key"] for e in body["chunk"]], [carol.user_id])
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/members",
            query={"not_membership": "join"})
        self.assertEqual([e["state_key"] for e in body["chunk"]], [carol.user_id])


if __name__ == "__main__":
    unittest.main()
