"""Global and per-room account data, and how /sync delivers it.

Spec: data/api/client-server/account-data.yaml, sync.yaml (account_data,
rooms.join.*.account_data). nio has no setter, so PUT/GET go through nio's HTTP session.
"""

import unittest

from nio import RoomPreset

from harness import DomovoyTestCase, q


def global_data(resp, type_):
    for event in resp.account_data_events:
        if getattr(event, "type", None) == type_:
            return event.content
    return None


def room_data(resp, room_id, type_):
    room = resp.rooms.join.get(room_id)
    if room is None:
        return None
    for event in room.account_data:
        if getattr(event, "type", None) == type_:
            return event.content
    return None


class TestAccountData(DomovoyTestCase):

    def global_path(self, client, type_):
        return f"/_matrix/client/v3/user/{q(client.user_id)}/account_data/{q(type_)}"

    def room_path(self, client, room_id, type_):
        return (f"/_matrix/client/v3/user/{q(client.user_id)}/rooms/{q(room_id)}"
                f"/account_data/{q(type_)}")

    async def test_global_put_get_and_sync(self):
        alice = await self.register("gad")
        await self.sync(alice)
        type_ = "org.example.settings"
        status, body = await self.raw(alice, "PUT", self.global_path(alice, type_),
                                      {"theme": "dark", "n": [1, 2]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {})
        status, body = await self.raw(alice, "GET", self.global_path(alice, type_))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"theme": "dark", "n": [1, 2]})
        # "The config will be available to clients through the top-level account_data
        # field in the homeserver response to /sync."
        _, content = await self.sync_until(
            alice, lambda r: global_data(r, type_), "global account data in incremental sync")
        self.assertEqual(content, {"theme": "dark", "n": [1, 2]})
        full = await self.initial_sync(alice)
        self.assertEqual(global_data(full, type_), {"theme": "dark", "n": [1, 2]})

    async def test_global_overwrite(self):
        alice = await self.register("gadover")
        type_ = "org.example.counter"
        for value in (1, 2, 3):
            status, body = await self.raw(alice, "PUT", self.global_path(alice, type_), {"v": value})
            self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "GET", self.global_path(alice, type_))
        self.assertEqual(body, {"v": 3})
        full = await self.initial_sync(alice)
        self.assertEqual(global_data(full, type_), {"v": 3})
        self.assertEqual(
            len([e for e in full.account_data_events if getattr(e, "type", None) == type_]), 1)

    async def test_global_missing_type(self):
        alice = await self.register("gadnone")
        status, body = await self.raw(alice, "GET", self.global_path(alice, "org.example.never"))
        # account-data.yaml 404: "No account data has been provided ... M_NOT_FOUND".
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "missing account data")

    async def test_other_users_account_data_is_forbidden(self):
        alice = await self.register("gadowner")
        mallory = await self.register("gadmallory")
        await self.raw(alice, "PUT", self.global_path(alice, "org.example.secret"), {"pin": 1234})
        path = f"/_matrix/client/v3/user/{q(alice.user_id)}/account_data/org.example.secret"
        status, body = await self.raw(mallory, "GET", path)
        # account-data.yaml 403: "not authorised to retrieve this user's account data".
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "read another user's account data")
        status, body = await self.raw(mallory, "PUT", path, {"pin": 0})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "write another user's account data")
        status, body = await self.raw(alice, "GET", self.global_path(alice, "org.example.secret"))
        self.assertEqual(body, {"pin": 1234})

    async def test_account_data_is_private(self):
        alice = await self.register("gadpriv")
        bob = await self.register("gadpeer")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await self.raw(alice, "PUT", self.global_path(alice, "org.example.private"), {"x": 1})
        await self.raw(alice, "PUT", self.room_path(alice, room_id, "org.example.private"), {"y": 2})
        full = await self.initial_sync(bob)
        # "This config is only visible to the user that set the account data."
        self.assertIsNone(global_data(full, "org.example.private"))
        self.assertIsNone(room_data(full, room_id, "org.example.private"))

    async def test_non_object_body_is_rejected(self):
        alice = await self.register("gadbad")
        status, body = await self.raw(alice, "PUT", self.global_path(alice, "org.example.bad"), [1, 2])
        # account-data.yaml 400: "The request body is not a JSON object. M_BAD_JSON or M_NOT_JSON"
        self.assertEqual(status, 400, body)
        self.assertIn(body.get("errcode"), ("M_BAD_JSON", "M_NOT_JSON"), body)

    async def test_server_controlled_types_are_rejected(self):
        alice = await self.register("gadsrv")
        room_id = await self.create_room(alice)
        status, body = await self.raw(alice, "PUT", self.global_path(alice, "m.push_rules"), {})
        # account-data.yaml 405: "This type of account data is controlled by the server".
        self.assertRawError(status, body, "M_BAD_JSON", 405, "PUT global m.push_rules")
        status, body = await self.raw(
            alice, "PUT", self.room_path(alice, room_id, "m.fully_read"), {"event_id": "$x"})
        self.assertRawError(status, body, "M_BAD_JSON", 405, "PUT room m.fully_read")

    async def test_room_put_get_and_sync(self):
        alice = await self.register("rad")
        room_id = await self.create_room(alice)
        other_room = await self.create_room(alice)
        await self.sync(alice)
        type_ = "org.example.room.prefs"
        status, body = await self.raw(alice, "PUT", self.room_path(alice, room_id, type_),
                                      {"muted": True})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "GET", self.room_path(alice, room_id, type_))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"muted": True})
        # Per-room data is per room, and separate from global data.
        status, body = await self.raw(alice, "GET", self.room_path(alice, other_room, type_))
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "room data of another room")
        status, body = await self.raw(alice, "GET", self.global_path(alice, type_))
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "room data read as global")

        _, content = await self.sync_until(
            alice, lambda r: room_data(r, room_id, type_), "room account data in incremental sync")
        self.assertEqual(content, {"muted": True})
        full = await self.initial_sync(alice)
        self.assertEqual(room_data(full, room_id, type_), {"muted": True})
        self.assertIsNone(room_data(full, other_room, type_))
        self.assertIsNone(global_data(full, type_))

    async def test_room_account_data_invalid_room_id(self):
        alice = await self.register("radbad")
        path = (f"/_matrix/client/v3/user/{q(alice.user_id)}/rooms/not-a-room-id"
                f"/account_data/org.example.x")
        status, body = await self.raw(alice, "PUT", path, {"a": 1})
        # account-data.yaml 400: "the given roomID is not a valid room ID (M_INVALID_PARAM)".
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "room account data, bad room id")

    async def test_tags(self):
        # m.tag is room account data, set through the tags API (tags.yaml).
        alice = await self.register("tagger")
        room_id = await self.create_room(alice)
        path = (f"/_matrix/client/v3/user/{q(alice.user_id)}/rooms/{q(room_id)}"
                f"/tags/m.favourite")
        status, body = await self.raw(alice, "PUT", path, {"order": 0.5})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/user/{q(alice.user_id)}/rooms/{q(room_id)}/tags")
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"tags": {"m.favourite": {"order": 0.5}}})
        full = await self.initial_sync(alice)
        tags = [e for e in full.rooms.join[room_id].account_data if type(e).__name__ == "TagEvent"]
        self.assertEqual(len(tags), 1)
        self.assertEqual(tags[0].tags, {"m.favourite": {"order": 0.5}})


if __name__ == "__main__":
    unittest.main()
