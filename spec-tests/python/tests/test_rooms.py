"""Room creation, aliases, joining, joined_rooms.

Spec: data/api/client-server/create_room.yaml, joining.yaml, directory.yaml,
list_joined_rooms.yaml, rooms.yaml.
"""

import unittest

from nio import RoomPreset, RoomVisibility

from harness import DomovoyTestCase, SERVER_NAME, q, unique


def state_map(events):
    """{(type, state_key): event} from a list of client-format state events."""
    return {(e["type"], e.get("state_key")): e for e in events}


class TestRoomCreate(DomovoyTestCase):

    async def test_create_with_name_topic_alias_preset(self):
        alice = await self.register("creator")
        alias_local = unique("hall")
        room_id = await self.create_room(
            alice, name="Lobby", topic="Building news", alias=alias_local,
            preset=RoomPreset.public_chat)

        resp = await alice.room_get_state(room_id)
        self.assertOk(resp, "RoomGetStateResponse", "room_get_state")
        state = state_map(resp.events)
        for event in resp.events:
            self.assertEqual(event["room_id"], room_id)
            self.assertTrue(event["event_id"].startswith("$"))
            self.assertIn("origin_server_ts", event)
            self.assertIsInstance(event["state_key"], str)

        create = state[("m.room.create", "")]
        self.assertEqual(create["sender"], alice.user_id)
        self.assertIn(("m.room.member", alice.user_id), state)
        self.assertEqual(state[("m.room.member", alice.user_id)]["content"]["membership"], "join")
        self.assertEqual(state[("m.room.name", "")]["content"], {"name": "Lobby"})
        self.assertEqual(state[("m.room.topic", "")]["content"]["topic"], "Building news")
        # public_chat: join_rules public, history shared, guest_access forbidden.
        self.assertEqual(state[("m.room.join_rules", "")]["content"]["join_rule"], "public")
        self.assertEqual(
            state[("m.room.history_visibility", "")]["content"]["history_visibility"], "shared")
        guest = state.get(("m.room.guest_access", ""))
        if guest is not None:
            self.assertEqual(guest["content"]["guest_access"], "forbidden")
        # room_alias_name: "an m.room.canonical_alias event will be sent into the room".
        full_alias = f"#{alias_local}:{SERVER_NAME}"
        self.assertEqual(state[("m.room.canonical_alias", "")]["content"]["alias"], full_alias)

        resolved = await alice.room_resolve_alias(full_alias)
        self.assertOk(resolved, "RoomResolveAliasResponse", "resolve alias")
        self.assertEqual(resolved.room_id, room_id)
        self.assertIn(SERVER_NAME, resolved.servers)

    async def test_power_levels_give_creator_permission(self):
        alice = await self.register("plcreator")
        room_id = await self.create_room(alice, name="PL")
        create = await alice.room_get_state_event(room_id, "m.room.create")
        self.assertOk(create, "RoomGetStateEventResponse", "m.room.create")
        version = str(create.content.get("room_version", "1"))
        pl = await alice.room_get_state_event(room_id, "m.room.power_levels")
        self.assertOk(pl, "RoomGetStateEventResponse", "m.room.power_levels")
        users = pl.content.get("users", {})
        if version.isdigit() and int(version) >= 12:
            # v12+: the creator has infinite power and is not listed.
            self.assertNotIn(alice.user_id, users)
        else:
            self.assertEqual(users.get(alice.user_id), 100, pl.content)

    async def test_private_chat_preset_and_invite(self):
        alice = await self.register("priv")
        bob = await self.register("invitee")
        room_id = await self.create_room(
            alice, preset=RoomPreset.private_chat, invite=[bob.user_id], name="Private")
        join_rules = await alice.room_get_state_event(room_id, "m.room.join_rules")
        self.assertOk(join_rules, "RoomGetStateEventResponse", "join_rules")
        self.assertEqual(join_rules.content["join_rule"], "invite")
        hist = await alice.room_get_state_event(room_id, "m.room.history_visibility")
        self.assertOk(hist, "RoomGetStateEventResponse", "history_visibility")
        self.assertEqual(hist.content["history_visibility"], "shared")
        member = await alice.room_get_state_event(room_id, "m.room.member", bob.user_id)
        self.assertOk(member, "RoomGetStateEventResponse", "bob's membership")
        self.assertEqual(member.content["membership"], "invite")
        # The invited user can join the invite-only room.
        self.assertEqual(await self.join(bob, room_id), room_id)
        member = await alice.room_get_state_event(room_id, "m.room.member", bob.user_id)
        self.assertEqual(member.content["membership"], "join")

    async def test_visibility_private_defaults_to_private_chat(self):
        # preset unspecified + visibility private => private_chat (invite-only).
        alice = await self.register("defpriv")
        room_id = await self.create_room(alice, visibility=RoomVisibility.private)
        join_rules = await alice.room_get_state_event(room_id, "m.room.join_rules")
        self.assertOk(join_rules, "RoomGetStateEventResponse", "join_rules")
        self.assertEqual(join_rules.content["join_rule"], "invite")

    async def test_visibility_public_defaults_to_public_chat(self):
        alice = await self.register("defpub")
        room_id = await self.create_room(alice, visibility=RoomVisibility.public)
        join_rules = await alice.room_get_state_event(room_id, "m.room.join_rules")
        self.assertOk(join_rules, "RoomGetStateEventResponse", "join_rules")
        self.assertEqual(join_rules.content["join_rule"], "public")

    async def test_initial_state_and_name_precedence(self):
        # initial_state overrides the preset; name overrides initial_state.
        alice = await self.register("initstate")
        room_id = await self.create_room(
            alice, preset=RoomPreset.private_chat, name="From name",
            initial_state=[
                {"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "public"}},
                {"type": "m.room.name", "state_key": "", "content": {"name": "From initial_state"}},
                {"type": "org.example.custom", "state_key": "k", "content": {"v": 1}},
            ])
        jr = await alice.room_get_state_event(room_id, "m.room.join_rules")
        self.assertEqual(jr.content.get("join_rule"), "public", jr)
        name = await alice.room_get_state_event(room_id, "m.room.name")
        self.assertEqual(name.content.get("name"), "From name", name)
        custom = await alice.room_get_state_event(room_id, "org.example.custom", "k")
        self.assertOk(custom, "RoomGetStateEventResponse", "custom initial state")
        self.assertEqual(custom.content, {"v": 1})

    async def test_room_versions(self):
        alice = await self.register("versions")
        bob = await self.register("versionsb")
        status, caps = await self.raw(alice, "GET", "/_matrix/client/v3/capabilities")
        available = caps["capabilities"]["m.room_versions"]["available"]
        for version in ("10", "11", "12"):
            if version not in available:
                continue
            with self.subTest(room_version=version):
                room_id = await self.create_room(
                    alice, room_version=version, preset=RoomPreset.public_chat, name=f"v{version}")
                create = await alice.room_get_state_event(room_id, "m.room.create")
                self.assertEqual(create.content.get("room_version"), version)
                pl = await alice.room_get_state_event(room_id, "m.room.power_levels")
                if version in ("10", "11"):
                    # Versions 1-11: the creator is listed with power level 100.
                    self.assertEqual(pl.content["users"].get(alice.user_id), 100, pl.content)
                    self.assertTrue(room_id.endswith(f":{SERVER_NAME}"), room_id)
                else:
                    self.assertNotIn(alice.user_id, pl.content.get("users", {}))
                if version == "10":
                    self.assertEqual(create.content.get("creator"), alice.user_id)
                await self.join(bob, room_id)
                event_id = await self.send_text(bob, room_id, f"hello v{version}")
                got = await alice.room_get_event(room_id, event_id)
                self.assertEqual(got.event.source["content"]["body"], f"hello v{version}")

    async def test_unsupported_room_version(self):
        alice = await self.register("badversion")
        resp = await alice.room_create(room_version="9999")
        # create_room.yaml 400: "The homeserver doesn't support the requested room version"
        # (M_UNSUPPORTED_ROOM_VERSION).
        self.assertMatrixError(resp, "M_UNSUPPORTED_ROOM_VERSION", 400, "createRoom version 9999")

    async def test_alias_in_use(self):
        alice = await self.register("aliasdup")
        alias_local = unique("taken")
        await self.create_room(alice, alias=alias_local)
        resp = await alice.room_create(alias=alias_local)
        # create_room.yaml 400: "The room alias specified is already taken (M_ROOM_IN_USE)".
        self.assertMatrixError(resp, "M_ROOM_IN_USE", 400, "createRoom with a taken alias")

    async def test_unknown_alias_resolution(self):
        alice = await self.register("noalias")
        resp = await alice.room_resolve_alias(f"#{unique('missing')}:{SERVER_NAME}")
        # directory.yaml 404: "There is no mapped room ID for this room alias." M_NOT_FOUND
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "resolve an unknown alias")

    async def test_add_and_delete_alias(self):
        alice = await self.register("aliasadm")
        room_id = await self.create_room(alice)
        alias = f"#{unique('extra')}:{SERVER_NAME}"
        resp = await alice.room_put_alias(alias, room_id)
        self.assertOk(resp, "RoomPutAliasResponse", "PUT directory/room")
        resolved = await alice.room_resolve_alias(alias)
        self.assertOk(resolved, "RoomResolveAliasResponse", "resolve new alias")
        self.assertEqual(resolved.room_id, room_id)
        # Creating the same alias again: directory.yaml 409 M_UNKNOWN "Room alias already exists."
        # (nio does not report this as an error, so look at the raw response.)
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/directory/room/{q(alias)}", {"room_id": room_id})
        self.assertEqual(status, 409, body)
        self.assertIn("errcode", body)
        resp = await alice.room_delete_alias(alias)
        self.assertOk(resp, "RoomDeleteAliasResponse", "DELETE directory/room")
        resolved = await alice.room_resolve_alias(alias)
        self.assertMatrixError(resolved, "M_NOT_FOUND", 404, "resolve deleted alias")


class TestJoin(DomovoyTestCase):

    async def test_join_public_room_by_id(self):
        alice = await self.register("host")
        bob = await self.register("guest")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        resp = await bob.join(room_id)
        self.assertOk(resp, "JoinResponse", "join by id")
        self.assertEqual(resp.room_id, room_id)
        rooms = await bob.joined_rooms()
        self.assertOk(rooms, "JoinedRoomsResponse", "joined_rooms")
        self.assertIn(room_id, rooms.rooms)

    async def test_join_public_room_by_alias(self):
        alice = await self.register("aliashost")
        bob = await self.register("aliasguest")
        alias_local = unique("pub")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat, alias=alias_local)
        resp = await bob.join(f"#{alias_local}:{SERVER_NAME}")
        self.assertOk(resp, "JoinResponse", "join by alias")
        # joining.yaml: "The joined room ID must be returned in the room_id field."
        self.assertEqual(resp.room_id, room_id)
        members = await alice.joined_members(room_id)
        self.assertOk(members, "JoinedMembersResponse", "joined_members")
        self.assertEqual({m.user_id for m in members.members}, {alice.user_id, bob.user_id})

    async def test_join_twice_is_idempotent(self):
        alice = await self.register("twice")
        bob = await self.register("twiceguest")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        resp = await bob.join(room_id)
        self.assertOk(resp, "JoinResponse", "second join")
        self.assertEqual(resp.room_id, room_id)
        members = await alice.joined_members(room_id)
        self.assertEqual(sorted(m.user_id for m in members.members),
                         sorted([alice.user_id, bob.user_id]))

    async def test_join_invite_only_room_without_invite_is_forbidden(self):
        alice = await self.register("closed")
        bob = await self.register("outsider")
        room_id = await self.create_room(alice, preset=RoomPreset.private_chat)
        resp = await bob.join(room_id)
        # joining.yaml 403: "The room is invite-only and the user was not invited."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "join an invite-only room")
        rooms = await bob.joined_rooms()
        self.assertNotIn(room_id, rooms.rooms)

    async def test_join_unknown_alias(self):
        bob = await self.register("lost")
        resp = await bob.join(f"#{unique('nowhere')}:{SERVER_NAME}")
        # The alias cannot be resolved: M_NOT_FOUND (as GET /directory/room/{alias}, directory.yaml 404).
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "join an unknown local alias")

    async def test_join_unknown_room_id_fails(self):
        bob = await self.register("lostid")
        resp = await bob.join(f"!{unique('nosuchroom')}:{SERVER_NAME}")
        # A room of this server that does not exist cannot be joined; the server knows no
        # other server to join through: M_NOT_FOUND 404.
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "join an unknown room id")

    async def test_joined_rooms_lists_exactly_the_joined_rooms(self):
        alice = await self.register("lister")
        resp = await alice.joined_rooms()
        self.assertOk(resp, "JoinedRoomsResponse", "joined_rooms")
        self.assertEqual(resp.rooms, [])
        r1 = await self.create_room(alice)
        r2 = await self.create_room(alice)
        resp = await alice.joined_rooms()
        self.assertEqual(sorted(resp.rooms), sorted([r1, r2]))
        await alice.room_leave(r1)
        resp = await alice.joined_rooms()
        self.assertEqual(resp.rooms, [r2])


if __name__ == "__main__":
    unittest.main()
