"""Typing notifications, receipts, read markers.

Spec: data/api/client-server/typing.yaml, receipts.yaml, read_markers.yaml, sync.yaml
(rooms.join.*.ephemeral, rooms.join.*.account_data); event schemas m.typing, m.receipt,
m.fully_read.
"""

import asyncio
import time
import unittest

from nio import RoomPreset, TypingNoticeEvent, ReceiptEvent, FullyReadEvent

from harness import DomovoyTestCase, q


def typing_users(resp, room_id):
    room = resp.rooms.join.get(room_id)
    if room is None:
        return None
    for event in room.ephemeral:
        if isinstance(event, TypingNoticeEvent):
            return event.users
    return None


def receipts(resp, room_id):
    room = resp.rooms.join.get(room_id)
    if room is None:
        return []
    out = []
    for event in room.ephemeral:
        if isinstance(event, ReceiptEvent):
            out += event.receipts
    return out


class EphemeralBase(DomovoyTestCase):

    async def two_in_a_room(self, prefix):
        alice = await self.register(f"{prefix}a")
        bob = await self.register(f"{prefix}b")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await self.sync(alice)
        await self.sync(bob)
        return alice, bob, room_id


class TestTyping(EphemeralBase):

    async def test_typing_start_and_stop(self):
        alice, bob, room_id = await self.two_in_a_room("typ")
        resp = await alice.room_typing(room_id, True, timeout=30000)
        self.assertOk(resp, "RoomTypingResponse", "typing true")
        await self.sync_until(
            bob, lambda r: typing_users(r, room_id) == [alice.user_id], "alice typing")
        resp = await alice.room_typing(room_id, False)
        self.assertOk(resp, "RoomTypingResponse", "typing false")
        await self.sync_until(
            bob, lambda r: typing_users(r, room_id) == [], "alice stopped typing")

    async def test_typing_wakes_long_poll(self):
        alice, bob, room_id = await self.two_in_a_room("typwake")
        started = time.monotonic()
        poll = asyncio.create_task(bob.sync(timeout=30000))
        await asyncio.sleep(0.5)
        await alice.room_typing(room_id, True, timeout=30000)
        await self.await_long_poll(
            bob, poll, lambda r: typing_users(r, room_id) == [alice.user_id],
            "alice typing in bob's sync(timeout=30000)")
        self.assertLess(time.monotonic() - started, 10, "typing did not wake the long-poll")

    async def test_typing_times_out(self):
        alice, bob, room_id = await self.two_in_a_room("typto")
        await alice.room_typing(room_id, True, timeout=1000)
        await self.sync_until(
            bob, lambda r: typing_users(r, room_id) == [alice.user_id], "alice typing")
        # typing.yaml timeout: "The length of time in milliseconds to mark this user as typing."
        await self.sync_until(
            bob, lambda r: typing_users(r, room_id) == [], "typing expired after 1 s", timeout=6)

    async def test_typing_for_another_user_is_forbidden(self):
        alice, bob, room_id = await self.two_in_a_room("typother")
        status, body = await self.raw(
            bob, "PUT", f"/_matrix/client/v3/rooms/{q(room_id)}/typing/{q(alice.user_id)}",
            {"typing": True, "timeout": 10000})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "typing as another user")

    async def test_typing_in_room_not_joined_is_forbidden(self):
        alice, bob, room_id = await self.two_in_a_room("typout")
        eve = await self.register("typeve")
        resp = await eve.room_typing(room_id, True, timeout=10000)
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "typing in a room not joined")


class TestReceiptsAndMarkers(EphemeralBase):

    async def test_read_receipt_seen_by_others(self):
        alice, bob, room_id = await self.two_in_a_room("rcpt")
        event_id = await self.send_text(bob, room_id, "please read")
        resp = await alice.update_receipt_marker(room_id, event_id)
        self.assertOk(resp, "UpdateReceiptMarkerResponse", "receipt m.read")

        def alice_receipt(r):
            return [x for x in receipts(r, room_id)
                    if x.user_id == alice.user_id and x.event_id == event_id
                    and x.receipt_type == "m.read"]
        _, found = await self.sync_until(bob, alice_receipt, "alice's m.read receipt in bob's sync")
        self.assertIsInstance(found[0].timestamp, int)
        self.assertGreater(found[0].timestamp, 0)
        # The sender sees her own receipt too.
        await self.sync_until(alice, alice_receipt, "alice's m.read receipt in her own sync")

    async def test_private_read_receipt_only_for_self(self):
        alice, bob, room_id = await self.two_in_a_room("prcpt")
        event_id = await self.send_text(bob, room_id, "secretly read")
        resp = await alice.update_receipt_marker(room_id, event_id, receipt_type="m.read.private")
        self.assertOk(resp, "UpdateReceiptMarkerResponse", "receipt m.read.private")

        def private(r):
            return [x for x in receipts(r, room_id)
                    if x.user_id == alice.user_id and x.receipt_type == "m.read.private"]
        await self.sync_until(alice, private, "alice's private receipt in her own sync")
        # m.receipt schema: m.read.private "should only ever have the current user's ID".
        # Bob must not learn about it, in an incremental or an initial sync.
        marker = await self.send_text(alice, room_id, "marker")
        resp, _ = await self.sync_until(
            bob, lambda r: marker in [e.event_id for e in
                                      (r.rooms.join.get(room_id).timeline.events
                                       if r.rooms.join.get(room_id) else [])],
            "marker message")
        self.assertEqual(private(resp), [])
        full = await self.initial_sync(bob)
        self.assertEqual(private(full), [])
        self.assertEqual([x for x in receipts(full, room_id) if x.user_id == alice.user_id], [])

    async def test_read_markers_fully_read_and_read(self):
        alice, bob, room_id = await self.two_in_a_room("mark")
        first = await self.send_text(bob, room_id, "one")
        second = await self.send_text(bob, room_id, "two")
        resp = await alice.room_read_markers(room_id, first, read_event=second)
        self.assertOk(resp, "RoomReadMarkersResponse", "read_markers")

        # m.fully_read goes to alice's room account data.
        def fully_read(r):
            room = r.rooms.join.get(room_id)
            if room is None:
                return None
            for event in room.account_data:
                if isinstance(event, FullyReadEvent):
                    return event.event_id
            return None
        _, marker = await self.sync_until(alice, fully_read, "m.fully_read in room account data")
        self.assertEqual(marker, first)
        status, body = await self.raw(
            alice, "GET",
            f"/_matrix/client/v3/user/{q(alice.user_id)}/rooms/{q(room_id)}/account_data/m.fully_read")
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"event_id": first})
        # m.read is a normal receipt, visible to bob.
        await self.sync_until(
            bob, lambda r: [x for x in receipts(r, room_id)
                            if x.user_id == alice.user_id and x.event_id == second
                            and x.receipt_type == "m.read"],
            "alice's m.read from read_markers")
        # m.fully_read is not a receipt (receipts.yaml: does not appear under m.receipt).
        full = await self.initial_sync(bob)
        self.assertEqual([x for x in receipts(full, room_id) if x.receipt_type == "m.fully_read"], [])

    async def test_receipt_m_fully_read_type(self):
        # receipts.yaml: receiptType m.fully_read is an alternative to /read_markers.
        alice, bob, room_id = await self.two_in_a_room("rfr")
        event_id = await self.send_text(bob, room_id, "marker")
        resp = await alice.update_receipt_marker(room_id, event_id, receipt_type="m.fully_read")
        self.assertOk(resp, "UpdateReceiptMarkerResponse", "receipt m.fully_read")
        status, body = await self.raw(
            alice, "GET",
            f"/_matrix/client/v3/user/{q(alice.user_id)}/rooms/{q(room_id)}/account_data/m.fully_read")
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"event_id": event_id})

    async def test_receipt_moves_forward(self):
        alice, bob, room_id = await self.two_in_a_room("rmove")
        first = await self.send_text(bob, room_id, "a")
        second = await self.send_text(bob, room_id, "b")
        await alice.update_receipt_marker(room_id, first)
        await alice.update_receipt_marker(room_id, second)
        full = await self.initial_sync(bob)
        mine = [x for x in receipts(full, room_id)
                if x.user_id == alice.user_id and x.receipt_type == "m.read"]
        # One m.read receipt per user (unthreaded): the latest one.
        self.assertEqual([x.event_id for x in mine], [second])


if __name__ == "__main__":
    unittest.main()
