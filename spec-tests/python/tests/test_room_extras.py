"""Redactions, canonical aliases, directory visibility, room aliases, capabilities,
password change.

Spec: data/api/client-server/redaction.yaml, room_state.yaml (m.room.canonical_alias
validation), directory.yaml, list_public_rooms.yaml (visibility), capabilities.yaml,
password_management.yaml, rooms.yaml (/members filters).
"""

import unittest

from nio import RoomPreset, RoomVisibility

from harness import DomovoyTestCase, SERVER_NAME, q, unique


class TestRedaction(DomovoyTestCase):

    async def test_redact_own_message(self):
        alice = await self.register("redact")
        bob = await self.register("redactsee")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        event_id = await self.send_text(alice, room_id, "oops, my PIN is 1234")
        resp = await alice.room_redact(room_id, event_id, reason="typo")
        self.assertOk(resp, "RoomRedactResponse", "room_redact")
        self.assertTrue(resp.event_id.startswith("$"))
        got = await bob.room_get_event(room_id, event_id)
        self.assertOk(got, "RoomGetEventResponse", "get the redacted event")
        src = got.event.source
        # The content of an m.room.message is stripped by the redaction algorithm.
        self.assertEqual(src["content"], {})
        self.assertEqual(src["type"], "m.room.message")
        self.assertEqual(src["sender"], alice.user_id)
        because = src.get("unsigned", {}).get("redacted_because")
        self.assertIsNotNone(because, f"no unsigned.redacted_because in {src}")
        self.assertEqual(because["type"], "m.room.redaction")
        self.assertEqual(because["event_id"], resp.event_id)
        # The redaction itself is a timeline event naming the redacted event.
        red = await bob.room_get_event(room_id, resp.event_id)
        self.assertOk(red, "RoomGetEventResponse", "get the redaction")
        rsrc = red.event.source
        self.assertEqual(rsrc["type"], "m.room.redaction")
        self.assertEqual(rsrc.get("redacts") or rsrc["content"].get("redacts"), event_id)
        self.assertEqual(rsrc["content"].get("reason"), "typo")

    async def test_redacted_message_in_messages_and_sync(self):
        alice = await self.register("redmsgs")
        room_id = await self.create_room(alice)
        before = await self.sync(alice)
        event_id = await self.send_text(alice, room_id, "to be removed")
        await alice.room_redact(room_id, event_id)
        resp = await alice.room_messages(room_id, before.next_batch, direction="f", limit=10)
        self.assertOk(resp, "RoomMessagesResponse", "messages")
        original = [e.source for e in resp.chunk if e.source["event_id"] == event_id]
        self.assertEqual(len(original), 1)
        self.assertEqual(original[0]["content"], {})
        full = await self.initial_sync(alice)
        events = [e.source for e in full.rooms.join[room_id].timeline.events]
        original = [e for e in events if e["event_id"] == event_id]
        if original:
            self.assertEqual(original[0]["content"], {})

    async def test_redact_others_message_needs_power(self):
        alice = await self.register("redmod")
        bob = await self.register("redweak")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        alice_event = await self.send_text(alice, room_id, "admin's message")
        resp = await bob.room_redact(room_id, alice_event)
        # redaction.yaml: redacting other users' events needs the `redact` power level.
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "redact someone else's event")
        got = await alice.room_get_event(room_id, alice_event)
        self.assertEqual(got.event.source["content"]["body"], "admin's message")
        # The moderator may redact bob's message.
        bob_event = await self.send_text(bob, room_id, "spam")
        resp = await alice.room_redact(room_id, bob_event)
        self.assertOk(resp, "RoomRedactResponse", "moderator redacts")
        got = await alice.room_get_event(room_id, bob_event)
        self.assertEqual(got.event.source["content"], {})

    async def test_redaction_txn_is_idempotent(self):
        alice = await self.register("redtxn")
        room_id = await self.create_room(alice)
        event_id = await self.send_text(alice, room_id, "x")
        txn = unique("rtxn")
        first = await alice.room_redact(room_id, event_id, tx_id=txn)
        second = await alice.room_redact(room_id, event_id, tx_id=txn)
        self.assertOk(first, "RoomRedactResponse", "redact")
        self.assertOk(second, "RoomRedactResponse", "redact again, same txn")
        self.assertEqual(first.event_id, second.event_id)


class TestAliasesAndDirectory(DomovoyTestCase):

    async def test_canonical_alias_must_point_to_room(self):
        alice = await self.register("canon")
        room_a = await self.create_room(alice)
        alias_local = unique("elsewhere")
        await self.create_room(alice, alias=alias_local)
        resp = await alice.room_put_state(
            room_a, "m.room.canonical_alias", {"alias": f"#{alias_local}:{SERVER_NAME}"})
        # room_state.yaml 400: M_BAD_ALIAS "do not point to the room ID".
        self.assertMatrixError(resp, "M_BAD_ALIAS", 400, "canonical alias of another room")

    async def test_canonical_alias_with_invalid_syntax(self):
        alice = await self.register("canonbad")
        room_id = await self.create_room(alice)
        resp = await alice.room_put_state(room_id, "m.room.canonical_alias",
                                          {"alias": "not an alias"})
        # room_state.yaml 400: M_INVALID_PARAM "aliases ... have invalid syntax".
        self.assertMatrixError(resp, "M_INVALID_PARAM", 400, "canonical alias with bad syntax")

    async def test_canonical_alias_valid(self):
        alice = await self.register("canonok")
        room_id = await self.create_room(alice)
        alias = f"#{unique('mine')}:{SERVER_NAME}"
        await alice.room_put_alias(alias, room_id)
        resp = await alice.room_put_state(room_id, "m.room.canonical_alias", {"alias": alias})
        self.assertOk(resp, "RoomPutStateResponse", "valid canonical alias")
        status, body = await self.raw(alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/aliases")
        self.assertEqual(status, 200, body)
        self.assertIn(alias, body["aliases"])

    async def test_room_aliases_only_for_members(self):
        alice = await self.register("aliasl")
        eve = await self.register("aliaseve")
        alias_local = unique("listed")
        room_id = await self.create_room(alice, alias=alias_local, preset=RoomPreset.private_chat)
        status, body = await self.raw(alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/aliases")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["aliases"], [f"#{alias_local}:{SERVER_NAME}"])
        status, body = await self.raw(eve, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/aliases")
        # directory.yaml (getLocalAliases) 403: "The user is not permitted to retrieve the
        # list of local aliases for the room." (history not world_readable)
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "aliases of a room not joined")

    async def test_directory_visibility(self):
        alice = await self.register("vis")
        public_room = await self.create_room(alice, visibility=RoomVisibility.public)
        private_room = await self.create_room(alice)
        resp = await alice.room_get_visibility(public_room)
        self.assertOk(resp, "RoomGetVisibilityResponse", "visibility of a public room")
        self.assertEqual(resp.visibility, "public")
        resp = await alice.room_get_visibility(private_room)
        self.assertEqual(resp.visibility, "private")
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/directory/list/room/{q(private_room)}",
            {"visibility": "public"})
        self.assertEqual(status, 200, body)
        resp = await alice.room_get_visibility(private_room)
        self.assertEqual(resp.visibility, "public")


class TestMembersFilters(DomovoyTestCase):

    async def test_membership_and_not_membership_combine_as_or(self):
        alice = await self.register("mfa")
        bob = await self.register("mfb")
        carol = await self.register("mfc")
        dave = await self.register("mfd")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await alice.room_invite(room_id, carol.user_id)
        await self.join(dave, room_id)
        await dave.room_leave(room_id)
        path = f"/_matrix/client/v3/rooms/{q(room_id)}/members"
        # rooms.yaml: "either the membership *is* the same as membership **or** *is not*
        # the same as not_membership."
        status, body = await self.raw(alice, "GET", path,
                                      query={"membership": "invite", "not_membership": "join"})
        self.assertEqual(status, 200, body)
        got = {e["state_key"]: e["content"]["membership"] for e in body["chunk"]}
        self.assertEqual(got, {carol.user_id: "invite", dave.user_id: "leave"})
        status, body = await self.raw(alice, "GET", path,
                                      query={"membership": "join", "not_membership": "join"})
        got = {e["state_key"] for e in body["chunk"]}
        self.assertEqual(got, {alice.user_id, bob.user_id, carol.user_id, dave.user_id})
        status, body = await self.raw(alice, "GET", path, query={"membership": "leave"})
        self.assertEqual([e["state_key"] for e in body["chunk"]], [dave.user_id])


class TestAccountManagement(DomovoyTestCase):

    async def test_capabilities(self):
        alice = await self.register("caps")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/capabilities")
        self.assertEqual(status, 200, body)
        caps = body["capabilities"]
        versions = caps["m.room_versions"]
        self.assertIn(versions["default"], versions["available"])
        self.assertIn(versions["available"][versions["default"]], ("stable", "unstable"))
        # The default room version is the one rooms are created with.
        room_id = await self.create_room(alice)
        create = await alice.room_get_state_event(room_id, "m.room.create")
        self.assertEqual(create.content.get("room_version"), versions["default"])

    async def test_change_password(self):
        alice = await self.register("pwchange")
        other = await self.login_again(alice)
        path = "/_matrix/client/v3/account/password"
        status, body = await self.raw(alice, "POST", path, {"new_password": "new secret"})
        self.assertEqual(status, 401, body)
        session = body["session"]
        status, body = await self.raw(alice, "POST", path, {
            "new_password": "new secret",
            "auth": {"type": "m.login.password", "session": session,
                     "identifier": {"type": "m.id.user", "user": alice.user_id},
                     "password": self.password},
        })
        self.assertEqual(status, 200, body)
        # Old password no longer works, the new one does.
        fresh = self.new_client(alice.user_id)
        resp = await fresh.login(self.password)
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "login with the old password")
        resp = await fresh.login("new secret")
        self.assertOk(resp, "LoginResponse", "login with the new password")
        # logout_devices defaults to true: other sessions are revoked, this one stays.
        who = await other.whoami()
        self.assertMatrixError(who, "M_UNKNOWN_TOKEN", 401, "other device after password change")
        who = await alice.whoami()
        self.assertOk(who, "WhoamiResponse", "the requesting session survives")


if __name__ == "__main__":
    unittest.main()
