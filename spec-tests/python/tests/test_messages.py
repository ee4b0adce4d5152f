"""Sending events, fetching one event, event context, /messages pagination.

Spec: data/api/client-server/room_send.yaml, rooms.yaml (getOneRoomEvent),
event_context.yaml, message_pagination.yaml.
"""

import unittest

from nio import MessageDirection, RoomPreset

from harness import DomovoyTestCase, SERVER_NAME, q, unique


def bodies(events):
    return [getattr(e, "body", None) for e in events
            if getattr(e, "source", {}).get("type") == "m.room.message"]


class TestSendAndGet(DomovoyTestCase):

    async def test_send_and_get_event(self):
        alice = await self.register("sender")
        room_id = await self.create_room(alice)
        event_id = await self.send_text(alice, room_id, "hello building")
        resp = await alice.room_get_event(room_id, event_id)
        self.assertOk(resp, "RoomGetEventResponse", "room_get_event")
        src = resp.event.source
        self.assertEqual(src["event_id"], event_id)
        self.assertEqual(src["type"], "m.room.message")
        self.assertEqual(src["sender"], alice.user_id)
        self.assertEqual(src["room_id"], room_id)
        self.assertEqual(src["content"], {"msgtype": "m.text", "body": "hello building"})
        self.assertIsInstance(src["origin_server_ts"], int)
        self.assertNotIn("state_key", src)
        # Client format, not federation format.
        for key in ("auth_events", "prev_events", "hashes", "signatures", "depth"):
            self.assertNotIn(key, src)

    async def test_custom_event_type(self):
        alice = await self.register("custom")
        room_id = await self.create_room(alice)
        resp = await alice.room_send(room_id, "org.example.poll.vote", {"choice": 2, "nested": {"a": [1, 2]}})
        self.assertOk(resp, "RoomSendResponse", "send custom type")
        got = await alice.room_get_event(room_id, resp.event_id)
        self.assertOk(got, "RoomGetEventResponse", "get custom event")
        self.assertEqual(got.event.source["type"], "org.example.poll.vote")
        self.assertEqual(got.event.source["content"], {"choice": 2, "nested": {"a": [1, 2]}})

    async def test_same_txn_id_is_idempotent(self):
        alice = await self.register("idem")
        room_id = await self.create_room(alice)
        sync = await self.sync(alice)
        txn = unique("txn")
        first = await self.send_text(alice, room_id, "only once", txn_id=txn)
        second = await self.send_text(alice, room_id, "only once", txn_id=txn)
        self.assertEqual(first, second)
        # Even with a different body, the same transaction returns the first event.
        third = await self.send_text(alice, room_id, "different body", txn_id=txn)
        self.assertEqual(first, third)
        resp = await alice.room_messages(room_id, sync.next_batch, direction=MessageDirection.front,
                                         limit=50)
        self.assertOk(resp, "RoomMessagesResponse", "messages")
        self.assertEqual(bodies(resp.chunk), ["only once"])
        # A new transaction id makes a new event.
        fourth = await self.send_text(alice, room_id, "only once", txn_id=unique("txn"))
        self.assertNotEqual(first, fourth)

    async def test_txn_id_is_scoped_to_the_device(self):
        # room_send.yaml: "Clients should generate an ID unique across requests with the
        # same access token"; another device's identical txnId is a different request.
        alice = await self.register("scoped")
        other_device = await self.login_again(alice)
        room_id = await self.create_room(alice)
        txn = unique("txn")
        a = await self.send_text(alice, room_id, "from device 1", txn_id=txn)
        b = await self.send_text(other_device, room_id, "from device 2", txn_id=txn)
        self.assertNotEqual(a, b)
        got = await alice.room_get_event(room_id, b)
        self.assertEqual(got.event.source["content"]["body"], "from device 2")

    async def test_get_unknown_event(self):
        alice = await self.register("noevent")
        room_id = await self.create_room(alice)
        resp = await alice.room_get_event(room_id, "$doesnotexist")
        # rooms.yaml getOneRoomEvent 404: M_NOT_FOUND
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "get an unknown event")

    async def test_get_event_of_room_not_joined(self):
        alice = await self.register("secret")
        eve = await self.register("snoop")
        room_id = await self.create_room(alice, preset=RoomPreset.private_chat)
        event_id = await self.send_text(alice, room_id, "private")
        resp = await eve.room_get_event(room_id, event_id)
        # rooms.yaml 404: "The event was not found or you do not have permission to read
        # this event."
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "get an event of a room not joined")

    async def test_get_event_in_unknown_room(self):
        alice = await self.register("noroom")
        resp = await alice.room_get_event(f"!{unique('nope')}:{SERVER_NAME}", "$whatever")
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "get an event of an unknown room")

    async def test_send_to_room_not_joined_is_forbidden(self):
        alice = await self.register("own")
        eve = await self.register("intruder")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        resp = await eve.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hi"})
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "send to a room not joined")

    async def test_send_below_power_level_is_forbidden(self):
        alice = await self.register("plsend")
        bob = await self.register("muted")
        room_id = await self.create_room(
            alice, preset=RoomPreset.public_chat, power_level_override={"events_default": 50})
        await self.join(bob, room_id)
        resp = await bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hi"})
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "send below events_default")
        await self.send_text(alice, room_id, "admin may speak")


class TestContext(DomovoyTestCase):

    async def test_context_around_event(self):
        alice = await self.register("ctx")
        room_id = await self.create_room(alice, name="Context room")
        ids = [await self.send_text(alice, room_id, f"m{i}") for i in range(1, 6)]
        resp = await alice.room_context(room_id, ids[2], limit=10)
        self.assertOk(resp, "RoomContextResponse", "room_context")
        self.assertEqual(resp.event.event_id, ids[2])
        self.assertEqual(resp.event.body, "m3")
        before = [e.event_id for e in resp.events_before]
        after = [e.event_id for e in resp.events_after]
        # events_before: reverse-chronological; events_after: chronological.
        self.assertEqual(before[:2], [ids[1], ids[0]])
        self.assertEqual(after, [ids[3], ids[4]])
        self.assertLessEqual(len(before) + len(after), 10)
        # state: "The state of the room at the last event returned."
        state_types = {e.source["type"] for e in resp.state}
        self.assertIn("m.room.create", state_types)
        self.assertIn("m.room.name", state_types)
        self.assertTrue(resp.start)
        self.assertTrue(resp.end)

    async def test_context_limit_and_tokens(self):
        alice = await self.register("ctxlim")
        room_id = await self.create_room(alice)
        ids = [await self.send_text(alice, room_id, f"c{i}") for i in range(1, 8)]
        resp = await alice.room_context(room_id, ids[3], limit=4)
        self.assertOk(resp, "RoomContextResponse", "room_context limit=4")
        self.assertEqual(resp.event.event_id, ids[3])
        before = [e.event_id for e in resp.events_before]
        after = [e.event_id for e in resp.events_after]
        # "The limit applies to the sum of the events_before and events_after arrays."
        self.assertLessEqual(len(before) + len(after), 4)
        self.assertEqual(before, [ids[2], ids[1], ids[0]][:len(before)])
        self.assertEqual(after, ids[4:4 + len(after)])
        # end: "A token that can be used to paginate forwards with using GET /messages".
        fwd = await alice.room_messages(room_id, resp.end, direction=MessageDirection.front, limit=10)
        self.assertOk(fwd, "RoomMessagesResponse", "messages from context end")
        self.assertEqual([e.event_id for e in fwd.chunk], ids[4 + len(after):])
        # start: "A token that can be used to paginate backwards with".
        back = await alice.room_messages(room_id, resp.start, direction=MessageDirection.back, limit=10)
        self.assertOk(back, "RoomMessagesResponse", "messages from context start")
        expected_back = list(reversed(ids[:3 - len(before)]))
        self.assertEqual([e.event_id for e in back.chunk][:len(expected_back)], expected_back)

    async def test_context_limit_zero_returns_the_event(self):
        alice = await self.register("ctxzero")
        room_id = await self.create_room(alice)
        ids = [await self.send_text(alice, room_id, f"z{i}") for i in range(3)]
        # (nio drops limit=0 from the query string, so send it raw.)
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/context/{q(ids[1])}",
            query={"limit": "0"})
        self.assertEqual(status, 200, body)
        # "The requested event ID is always returned in event even if limit is 0."
        self.assertEqual(body["event"]["event_id"], ids[1])
        self.assertEqual(body["events_before"], [])
        self.assertEqual(body["events_after"], [])

    async def test_context_of_unknown_event(self):
        alice = await self.register("ctxnone")
        room_id = await self.create_room(alice)
        resp = await alice.room_context(room_id, "$nosuchevent")
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "context of an unknown event")


class TestMessagesPagination(DomovoyTestCase):

    async def room_with_messages(self, count, prefix="p"):
        alice = await self.register("pager")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        before = await self.sync(alice)
        ids = [await self.send_text(alice, room_id, f"{prefix}{i}") for i in range(1, count + 1)]
        after = await self.sync(alice)
        return alice, room_id, ids, before.next_batch, after.next_batch

    async def test_backwards_with_limit(self):
        alice, room_id, ids, t0, t1 = await self.room_with_messages(6)
        resp = await alice.room_messages(room_id, t1, direction=MessageDirection.back, limit=3)
        self.assertOk(resp, "RoomMessagesResponse", "messages dir=b")
        self.assertEqual([e.event_id for e in resp.chunk], [ids[5], ids[4], ids[3]])
        # start: "This will be the same as the value given in from."
        self.assertEqual(resp.start, t1)
        self.assertTrue(resp.end)
        resp2 = await alice.room_messages(room_id, resp.end, direction=MessageDirection.back, limit=3)
        self.assertOk(resp2, "RoomMessagesResponse", "messages dir=b page 2")
        self.assertEqual([e.event_id for e in resp2.chunk], [ids[2], ids[1], ids[0]])
        self.assertEqual(resp2.start, resp.end)

    async def test_backwards_reaches_room_creation_and_stops(self):
        alice, room_id, ids, t0, t1 = await self.room_with_messages(2)
        token = t1
        seen = []
        for _ in range(20):
            resp = await alice.room_messages(room_id, token, direction=MessageDirection.back, limit=4)
            self.assertOk(resp, "RoomMessagesResponse", "messages dir=b")
            seen += [e.source for e in resp.chunk]
            # end: "If no further events are available ... this property is omitted".
            if not resp.end:
                break
            if not resp.chunk and resp.end == token:
                self.fail("pagination makes no progress")
            token = resp.end
        else:
            self.fail("backwards pagination never ended (end always present)")
        self.assertEqual(seen[-1]["type"], "m.room.create", [e["type"] for e in seen])
        self.assertEqual([e["event_id"] for e in seen[:2]], [ids[1], ids[0]])
        self.assertEqual(len({e["event_id"] for e in seen}), len(seen), "duplicates in pagination")

    async def test_forwards_with_limit(self):
        alice, room_id, ids, t0, t1 = await self.room_with_messages(5)
        resp = await alice.room_messages(room_id, t0, direction=MessageDirection.front, limit=2)
        self.assertOk(resp, "RoomMessagesResponse", "messages dir=f")
        self.assertEqual([e.event_id for e in resp.chunk], ids[0:2])
        resp = await alice.room_messages(room_id, resp.end, direction=MessageDirection.front, limit=2)
        self.assertEqual([e.event_id for e in resp.chunk], ids[2:4])
        resp = await alice.room_messages(room_id, resp.end, direction=MessageDirection.front, limit=2)
        self.assertEqual([e.event_id for e in resp.chunk], ids[4:5])
        if resp.end:
            resp = await alice.room_messages(room_id, resp.end, direction=MessageDirection.front, limit=2)
            self.assertOk(resp, "RoomMessagesResponse", "messages dir=f at the end")
            self.assertEqual(resp.chunk, [])

    async def test_from_to_backwards(self):
        alice, room_id, ids, t0, t1 = await self.room_with_messages(4)
        resp = await alice.room_messages(room_id, t1, end=t0, direction=MessageDirection.back, limit=50)
        self.assertOk(resp, "RoomMessagesResponse", "messages from..to dir=b")
        # Exactly the events between the two sync tokens.
        self.assertEqual([e.event_id for e in resp.chunk], list(reversed(ids)))

    async def test_from_to_forwards(self):
        alice, room_id, ids, t0, t1 = await self.room_with_messages(4)
        extra = await self.send_text(alice, room_id, "after t1")
        resp = await alice.room_messages(room_id, t0, end=t1, direction=MessageDirection.front, limit=50)
        self.assertOk(resp, "RoomMessagesResponse", "messages from..to dir=f")
        got = [e.event_id for e in resp.chunk]
        self.assertEqual(got, ids)
        self.assertNotIn(extra, got)

    async def test_without_from_token(self):
        # message_pagination.yaml (v1.3): "If it is not provided, the homeserver shall return
        # a list of messages from the first or last (per the value of the dir parameter)
        # visible event in the room history".
        alice, room_id, ids, t0, t1 = await self.room_with_messages(3)
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/messages",
            query={"dir": "b", "limit": "2"})
        self.assertEqual(status, 200, body)
        self.assertEqual([e["event_id"] for e in body["chunk"]], [ids[2], ids[1]])
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/messages",
            query={"dir": "f", "limit": "1"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["chunk"][0]["type"], "m.room.create")

    async def test_default_limit_is_ten(self):
        alice, room_id, ids, t0, t1 = await self.room_with_messages(12)
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/messages",
            query={"dir": "b", "from": t1})
        self.assertEqual(status, 200, body)
        # "limit: The maximum number of events to return. Default: 10."
        self.assertEqual(len(body["chunk"]), 10)
        self.assertEqual([e["event_id"] for e in body["chunk"]], list(reversed(ids))[:10])

    async def test_messages_filter(self):
        alice, room_id, ids, t0, t1 = await self.room_with_messages(2)
        await alice.room_send(room_id, "org.example.other", {"x": 1})
        sync = await self.sync(alice)
        resp = await alice.room_messages(
            room_id, sync.next_batch, direction=MessageDirection.back, limit=10,
            message_filter={"types": ["m.room.message"]})
        self.assertOk(resp, "RoomMessagesResponse", "messages with a filter")
        self.assertEqual([e.event_id for e in resp.chunk], [ids[1], ids[0]])
        self.assertTrue(all(e.source["type"] == "m.room.message" for e in resp.chunk))

    async def test_messages_of_room_not_joined(self):
        alice, room_id, ids, t0, t1 = await self.room_with_messages(1)
        eve = await self.register("peeker")
        private_room = await self.create_room(alice, preset=RoomPreset.private_chat)
        await self.send_text(alice, private_room, "secret")
        eve_token = (await self.sync(eve)).next_batch
        resp = await eve.room_messages(private_room, eve_token, limit=10)
        # message_pagination.yaml 403: "You aren't a member of the room."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "messages of a room not joined")


if __name__ == "__main__":
    unittest.main()
