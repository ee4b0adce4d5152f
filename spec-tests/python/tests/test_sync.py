"""The content of /sync responses: long-polling, timelines, filters, invites, leaves.

Spec: data/api/client-server/sync.yaml, filter.yaml, definitions/sync_filter.yaml,
definitions/timeline_batch.yaml, definitions/client_event_without_room_id.yaml.
"""

import asyncio
import time
import unittest

from nio import MessageDirection, RoomPreset

from harness import DomovoyTestCase, q


def timeline(resp, room_id, section="join"):
    room = getattr(resp.rooms, section).get(room_id)
    return [] if room is None else [e.source for e in room.timeline.events]


def state_and_timeline(resp, room_id, section="join"):
    room = getattr(resp.rooms, section).get(room_id)
    if room is None:
        return []
    return [e.source for e in room.state] + [e.source for e in room.timeline.events]


class SyncBase(DomovoyTestCase):

    async def chat_room(self, prefix):
        alice = await self.register(f"{prefix}a")
        bob = await self.register(f"{prefix}b")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat, name=f"{prefix} room")
        await self.join(bob, room_id)
        await self.sync(alice)
        await self.sync(bob)
        return alice, bob, room_id


class TestSyncBasics(SyncBase):

    async def test_initial_sync_has_room_state(self):
        alice = await self.register("init")
        room_id = await self.create_room(alice, name="Initial", topic="Topic")
        resp = await self.initial_sync(alice)
        self.assertTrue(resp.next_batch)
        self.assertIn(room_id, resp.rooms.join)
        events = state_and_timeline(resp, room_id)
        types = {(e["type"], e.get("state_key")) for e in events}
        for key in [("m.room.create", ""), ("m.room.power_levels", ""), ("m.room.join_rules", ""),
                    ("m.room.name", ""), ("m.room.topic", ""), ("m.room.member", alice.user_id)]:
            self.assertIn(key, types)
        for e in events:
            self.assertTrue(e["event_id"].startswith("$"))
            self.assertEqual(e.get("room_id", room_id), room_id)
            self.assertIn("origin_server_ts", e)
            self.assertIn("sender", e)

    async def test_two_clients_chat_with_long_poll(self):
        alice, bob, room_id = await self.chat_room("chat")
        since = bob.next_batch
        started = time.monotonic()
        poll = asyncio.create_task(bob.sync(timeout=30000, since=since))
        await asyncio.sleep(0.7)
        self.assertFalse(poll.done(), "sync(timeout=30000) returned before anything happened")
        txn = "txn-from-alice"
        event_id = await self.send_text(alice, room_id, "Hello Bob!", txn_id=txn)
        resp, _ = await self.await_long_poll(
            bob, poll, lambda r: event_id in [e["event_id"] for e in timeline(r, room_id)],
            "alice's message in bob's sync(timeout=30000)")
        self.assertLess(time.monotonic() - started, 10, "the message did not wake the long-poll")
        self.assertNotEqual(resp.next_batch, since)
        events = timeline(resp, room_id)
        msg = next(e for e in events if e["event_id"] == event_id)
        self.assertEqual(msg["sender"], alice.user_id)
        self.assertEqual(msg["type"], "m.room.message")
        self.assertEqual(msg["content"]["body"], "Hello Bob!")
        # unsigned.transaction_id only for the client that sent the event.
        self.assertNotIn("transaction_id", msg.get("unsigned", {}))

        # Alice's own message comes back to her with her transaction id.
        resp = await self.sync(alice)
        mine = [e for e in timeline(resp, room_id) if e["event_id"] == event_id]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0].get("unsigned", {}).get("transaction_id"), txn)

        # Bob answers; Alice's long-poll wakes up.
        poll = asyncio.create_task(alice.sync(timeout=30000))
        await asyncio.sleep(0.3)
        reply_id = await self.send_text(bob, room_id, "Hi Alice!")
        resp, _ = await self.await_long_poll(
            alice, poll, lambda r: reply_id in [e["event_id"] for e in timeline(r, room_id)],
            "bob's reply in alice's sync(timeout=30000)")
        ids = [e["event_id"] for e in timeline(resp, room_id)]
        # Alice's own message was already delivered before, so it is not repeated.
        self.assertNotIn(event_id, ids)

    async def test_long_poll_is_woken_every_time(self):
        # Repeated rounds of "long-poll, then a message arrives": every round must wake
        # promptly (the poll's own timeout is 3 s; a woken poll answers at once).
        alice, bob, room_id = await self.chat_room("wake")
        missed = []
        for round_no, delay in enumerate([0.05, 0.2, 0.5, 0.2, 0.05, 0.5]):
            since = bob.next_batch
            started = time.monotonic()
            path = "/_matrix/client/v3/sync"
            poll = asyncio.ensure_future(self.raw(
                bob, "GET", path, query={"since": since, "timeout": "3000"}))
            await asyncio.sleep(delay)
            event_id = await self.send_text(alice, room_id, f"round {round_no}")
            token, got = since, []
            while True:
                status, body = await poll
                self.assertEqual(status, 200, body)
                token = body["next_batch"]
                got += [e["event_id"] for e in body["rooms"]["join"].get(room_id, {})
                        .get("timeline", {}).get("events", [])]
                if event_id in got or time.monotonic() - started > delay + 1.5:
                    break
                # Woken by something else: keep polling from the new token.
                poll = asyncio.ensure_future(self.raw(
                    bob, "GET", path, query={"since": token, "timeout": "3000"}))
            elapsed = time.monotonic() - started
            if event_id not in got or elapsed > delay + 1.5:
                missed.append(f"round {round_no}: waited {elapsed:.1f}s, got {len(got)} events, "
                              f"next_batch {token} (since {since})")
            bob.next_batch = token
            await self.sync(bob)
        self.assertEqual(missed, [], "long-poll not woken by a new message")

    async def test_incremental_sync_has_only_new_events_in_order(self):
        alice, bob, room_id = await self.chat_room("order")
        ids = [await self.send_text(alice, room_id, f"n{i}") for i in range(4)]
        resp = await self.sync(bob)
        got = [e["event_id"] for e in timeline(resp, room_id)]
        self.assertEqual(got, ids)
        self.assertFalse(resp.rooms.join[room_id].timeline.limited)
        resp = await self.sync(bob)
        self.assertEqual(timeline(resp, room_id), [])

    async def test_sync_timeout_without_events(self):
        alice, bob, room_id = await self.chat_room("idle")
        started = time.monotonic()
        resp = await self.sync(bob, timeout=1500)
        elapsed = time.monotonic() - started
        # sync.yaml timeout: "If no events (or other data) become available before this time
        # elapses, the server will return a response with empty fields."
        self.assertGreaterEqual(elapsed, 1.2, "sync returned long before its timeout")
        self.assertLess(elapsed, 10)
        self.assertEqual(timeline(resp, room_id), [])
        self.assertTrue(resp.next_batch)

    async def test_timeout_zero_returns_immediately(self):
        alice, bob, room_id = await self.chat_room("zero")
        started = time.monotonic()
        status, body = await self.raw(bob, "GET", "/_matrix/client/v3/sync",
                                      query={"since": bob.next_batch, "timeout": "0"})
        self.assertEqual(status, 200, body)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertIn("next_batch", body)

    async def test_room_summary(self):
        alice = await self.register("suma")
        bob = await self.register("sumb")
        carol = await self.register("sumc")
        # No name and no alias: m.heroes is required.
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await alice.room_invite(room_id, carol.user_id)
        resp = await self.initial_sync(bob)
        summary = resp.rooms.join[room_id].summary
        self.assertIsNotNone(summary, "no summary in the initial sync")
        self.assertEqual(summary.joined_member_count, 2)
        self.assertEqual(summary.invited_member_count, 1)
        # "The list must never include the client's own user ID."
        self.assertIsNotNone(summary.heroes)
        self.assertNotIn(bob.user_id, summary.heroes)
        self.assertIn(alice.user_id, summary.heroes)

    async def test_full_state(self):
        alice, bob, room_id = await self.chat_room("full")
        resp = await self.sync(bob, full_state=True)
        # full_state: "all state events will be returned, even if since is non-empty".
        room = resp.rooms.join.get(room_id)
        self.assertIsNotNone(room, "room missing from a full_state sync")
        types = {(e.source["type"], e.source.get("state_key")) for e in room.state} | \
                {(e["type"], e.get("state_key")) for e in timeline(resp, room_id)}
        for key in [("m.room.create", ""), ("m.room.name", ""), ("m.room.member", alice.user_id),
                    ("m.room.member", bob.user_id)]:
            self.assertIn(key, types)


class TestSyncFilters(SyncBase):

    async def test_timeline_limit_initial_sync(self):
        alice, bob, room_id = await self.chat_room("lim")
        ids = [await self.send_text(alice, room_id, f"m{i}") for i in range(1, 6)]
        resp = await self.initial_sync(bob, sync_filter={"room": {"timeline": {"limit": 2}}})
        room = resp.rooms.join[room_id]
        self.assertEqual([e.event_id for e in room.timeline.events], ids[3:5])
        self.assertTrue(room.timeline.limited)
        self.assertTrue(room.timeline.prev_batch)
        # State for the start of the timeline is still complete.
        state_types = {e.source["type"] for e in room.state}
        self.assertIn("m.room.create", state_types)
        self.assertIn("m.room.name", state_types)
        # prev_batch: "can be supplied to the from parameter of /messages in order to
        # retrieve earlier events".
        back = await bob.room_messages(room_id, room.timeline.prev_batch,
                                       direction=MessageDirection.back, limit=3)
        self.assertOk(back, "RoomMessagesResponse", "messages from prev_batch")
        self.assertEqual([e.event_id for e in back.chunk], [ids[2], ids[1], ids[0]])

    async def test_timeline_limit_incremental_gap(self):
        alice, bob, room_id = await self.chat_room("gap")
        ids = [await self.send_text(alice, room_id, f"g{i}") for i in range(1, 6)]
        resp = await self.sync(bob, sync_filter={"room": {"timeline": {"limit": 2}}})
        room = resp.rooms.join[room_id]
        self.assertEqual([e.event_id for e in room.timeline.events], ids[3:5])
        self.assertTrue(room.timeline.limited)
        back = await bob.room_messages(room_id, room.timeline.prev_batch,
                                       direction=MessageDirection.back, limit=3)
        self.assertEqual([e.event_id for e in back.chunk], [ids[2], ids[1], ids[0]])

    async def test_state_change_in_gap_is_in_state(self):
        # sync.yaml rooms.join.state: "Updates to the state, between the time indicated by
        # the since parameter, and the start of the timeline".
        alice, bob, room_id = await self.chat_room("gapstate")
        await alice.room_put_state(room_id, "m.room.topic", {"topic": "changed in the gap"})
        ids = [await self.send_text(alice, room_id, f"s{i}") for i in range(4)]
        resp = await self.sync(bob, sync_filter={"room": {"timeline": {"limit": 2}}})
        room = resp.rooms.join[room_id]
        self.assertTrue(room.timeline.limited)
        self.assertEqual([e.event_id for e in room.timeline.events], ids[2:])
        topics = [e.source["content"].get("topic") for e in room.state
                  if e.source["type"] == "m.room.topic"]
        self.assertEqual(topics, ["changed in the gap"])
        # State that did not change since `since` is not repeated.
        self.assertNotIn("m.room.create", {e.source["type"] for e in room.state})

    async def test_state_change_in_timeline_is_not_in_state(self):
        alice, bob, room_id = await self.chat_room("tlstate")
        resp = await alice.room_put_state(room_id, "m.room.topic", {"topic": "in the timeline"})
        topic_id = resp.event_id
        sync = await self.sync(bob)
        room = sync.rooms.join[room_id]
        self.assertIn(topic_id, [e.event_id for e in room.timeline.events])
        # `state` only covers the time up to the start of the timeline.
        self.assertNotIn(topic_id, [e.event_id for e in room.state])

    async def test_not_limited_when_everything_fits(self):
        alice, bob, room_id = await self.chat_room("fits")
        ids = [await self.send_text(alice, room_id, f"f{i}") for i in range(2)]
        resp = await self.sync(bob, sync_filter={"room": {"timeline": {"limit": 10}}})
        room = resp.rooms.join[room_id]
        self.assertEqual([e.event_id for e in room.timeline.events], ids)
        self.assertFalse(room.timeline.limited)

    async def test_uploaded_filter(self):
        alice, bob, room_id = await self.chat_room("upf")
        ids = [await self.send_text(alice, room_id, f"u{i}") for i in range(3)]
        resp = await bob.upload_filter(room={"timeline": {"limit": 1}})
        self.assertOk(resp, "UploadFilterResponse", "upload_filter")
        self.assertTrue(resp.filter_id)
        # filter.yaml: filter_id "must not start with a { character".
        self.assertFalse(resp.filter_id.startswith("{"))
        status, body = await self.raw(
            bob, "GET", f"/_matrix/client/v3/user/{q(bob.user_id)}/filter/{q(resp.filter_id)}")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["room"]["timeline"]["limit"], 1)
        sync = await self.initial_sync(bob, sync_filter=resp.filter_id)
        room = sync.rooms.join[room_id]
        self.assertEqual([e.event_id for e in room.timeline.events], ids[2:])
        self.assertTrue(room.timeline.limited)

    async def test_unknown_filter_id(self):
        alice = await self.register("nofilter")
        status, body = await self.raw(
            alice, "GET", f"/_matrix/client/v3/user/{q(alice.user_id)}/filter/99999999")
        # filter.yaml 404: "Unknown filter." (M_NOT_FOUND)
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "unknown filter id")

    async def test_timeline_types_filter(self):
        alice, bob, room_id = await self.chat_room("types")
        msg = await self.send_text(alice, room_id, "keep me")
        await alice.room_send(room_id, "org.example.noise", {"n": 1})
        await alice.room_put_state(room_id, "m.room.topic", {"topic": "filtered out"})
        resp = await self.sync(bob, sync_filter={"room": {"timeline": {"types": ["m.room.message"]}}})
        events = timeline(resp, room_id)
        self.assertEqual([e["event_id"] for e in events], [msg])

    async def test_not_rooms_filter(self):
        alice, bob, room_id = await self.chat_room("notrooms")
        other = await self.create_room(bob)
        await self.send_text(alice, room_id, "hidden by filter")
        resp = await self.initial_sync(bob, sync_filter={"room": {"not_rooms": [room_id]}})
        self.assertNotIn(room_id, resp.rooms.join)
        self.assertIn(other, resp.rooms.join)


class TestLazyLoading(SyncBase):

    async def lazy_room(self):
        alice = await self.register("lla")
        bob = await self.register("llb")
        carol = await self.register("llc")
        dave = await self.register("lld")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat, name="Lazy")
        for user in (bob, carol, dave):
            await self.join(user, room_id)
        await self.send_text(bob, room_id, "bob speaks first")
        msg = await self.send_text(carol, room_id, "carol speaks last")
        return alice, bob, carol, dave, room_id, msg

    async def test_lazy_load_members_in_sync(self):
        alice, bob, carol, dave, room_id, msg = await self.lazy_room()
        resp = await self.initial_sync(dave, sync_filter={
            "room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 1}}})
        room = resp.rooms.join[room_id]
        self.assertEqual([e.event_id for e in room.timeline.events], [msg])
        members = {e.source["state_key"] for e in room.state
                   if e.source["type"] == "m.room.member"}
        # sync.yaml: with lazy_load_members, state only has "the member events required
        # to display the senders of the timeline events" (and the user's own membership
        # and the heroes' when those are sent).
        self.assertIn(carol.user_id, members)
        heroes = set(room.summary.heroes or []) if room.summary else set()
        allowed = {carol.user_id, dave.user_id} | heroes
        self.assertLessEqual(members, allowed, f"members beyond the timeline senders: {members}")
        self.assertIn(("m.room.name", ""),
                      {(e.source["type"], e.source["state_key"]) for e in room.state})
        # Without lazy loading every member is there.
        full = await self.initial_sync(dave, sync_filter={"room": {"timeline": {"limit": 1}}})
        members = {e.source["state_key"] for e in full.rooms.join[room_id].state
                   if e.source["type"] == "m.room.member"}
        self.assertEqual(members, {alice.user_id, bob.user_id, carol.user_id, dave.user_id})

    async def test_lazy_load_members_in_messages(self):
        alice, bob, carol, dave, room_id, msg = await self.lazy_room()
        sync = await self.initial_sync(dave)
        status, body = await self.raw(
            dave, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/messages",
            query={"dir": "b", "limit": "1", "from": sync.next_batch,
                   "filter": '{"lazy_load_members": true}'})
        self.assertEqual(status, 200, body)
        self.assertEqual([e["event_id"] for e in body["chunk"]], [msg])
        # message_pagination.yaml state: "if lazy_load_members is enabled in the filter then
        # this may contain the membership events for the senders of events in the chunk".
        members = {e["state_key"] for e in body.get("state", []) if e["type"] == "m.room.member"}
        self.assertIn(carol.user_id, members)
        self.assertNotIn(bob.user_id, members)


class TestSyncMembership(SyncBase):

    async def test_invite_shows_in_rooms_invite(self):
        alice = await self.register("invs")
        bob = await self.register("invr")
        await self.sync(bob)
        room_id = await self.create_room(alice, name="Come in", preset=RoomPreset.private_chat)
        resp = await alice.room_invite(room_id, bob.user_id)
        self.assertOk(resp, "RoomInviteResponse", "invite")
        resp, _ = await self.sync_until(bob, lambda r: room_id in r.rooms.invite, "invite")
        self.assertNotIn(room_id, resp.rooms.join)
        invite_state = resp.rooms.invite[room_id].invite_state
        members = [e for e in invite_state if type(e).__name__ == "InviteMemberEvent"
                   and e.state_key == bob.user_id]
        self.assertTrue(members, f"no m.room.member for the invitee in {invite_state}")
        self.assertEqual(members[0].membership, "invite")
        self.assertEqual(members[0].sender, alice.user_id)
        names = [e.name for e in invite_state if type(e).__name__ == "InviteNameEvent"]
        self.assertEqual(names, ["Come in"])
        # The same through raw JSON: stripped state events (stripped_state.yaml) with
        # type, state_key, sender and content.
        status, body = await self.raw(bob, "GET", "/_matrix/client/v3/sync")
        self.assertEqual(status, 200, body)
        raw_events = body["rooms"]["invite"][room_id]["invite_state"]["events"]
        by_key = {(e["type"], e["state_key"]): e for e in raw_events}
        for e in raw_events:
            for field in ("type", "state_key", "sender", "content"):
                self.assertIn(field, e)
        self.assertEqual(by_key[("m.room.member", bob.user_id)]["content"]["membership"], "invite")
        self.assertIn(("m.room.create", ""), by_key)
        self.assertIn(("m.room.join_rules", ""), by_key)

        # Accepting moves the room from invite to join.
        await self.join(bob, room_id)
        resp, _ = await self.sync_until(bob, lambda r: room_id in r.rooms.join, "joined room")
        self.assertNotIn(room_id, resp.rooms.invite)

    async def test_invite_wakes_long_poll(self):
        alice = await self.register("invwa")
        bob = await self.register("invwb")
        await self.sync(bob)
        room_id = await self.create_room(alice, preset=RoomPreset.private_chat)
        started = time.monotonic()
        poll = asyncio.create_task(bob.sync(timeout=30000))
        await asyncio.sleep(0.5)
        await alice.room_invite(room_id, bob.user_id)
        await self.await_long_poll(bob, poll, lambda r: room_id in r.rooms.invite,
                                   "the invite in bob's sync(timeout=30000)")
        self.assertLess(time.monotonic() - started, 10)

    async def test_newly_joined_room_has_full_state(self):
        alice = await self.register("njoin")
        bob = await self.register("njoiner")
        room_id = await self.create_room(alice, name="Joinable", preset=RoomPreset.public_chat)
        await self.send_text(alice, room_id, "before bob")
        await self.sync(bob)
        await self.join(bob, room_id)
        resp, _ = await self.sync_until(bob, lambda r: room_id in r.rooms.join, "room in join")
        keys = {(e["type"], e.get("state_key")) for e in state_and_timeline(resp, room_id)}
        for key in [("m.room.create", ""), ("m.room.power_levels", ""), ("m.room.name", ""),
                    ("m.room.join_rules", ""), ("m.room.member", alice.user_id),
                    ("m.room.member", bob.user_id)]:
            self.assertIn(key, keys)

    async def test_leave_shows_in_rooms_leave(self):
        alice, bob, room_id = await self.chat_room("lv")
        resp = await bob.room_leave(room_id)
        self.assertOk(resp, "RoomLeaveResponse", "leave")
        resp, _ = await self.sync_until(bob, lambda r: room_id in r.rooms.leave, "room in leave")
        self.assertNotIn(room_id, resp.rooms.join)
        events = timeline(resp, room_id, "leave")
        leave_events = [e for e in events if e["type"] == "m.room.member"
                        and e["state_key"] == bob.user_id]
        self.assertTrue(leave_events, f"no leave event in {events}")
        self.assertEqual(leave_events[-1]["content"]["membership"], "leave")
        # Later messages are not sent to the departed user.
        await self.send_text(alice, room_id, "after leave")
        resp = await self.sync(bob, timeout=500)
        self.assertNotIn(room_id, resp.rooms.join)
        self.assertNotIn("after leave", [e["content"].get("body") for e in timeline(resp, room_id, "leave")])

    async def test_kick_shows_in_rooms_leave(self):
        alice, bob, room_id = await self.chat_room("kk")
        await alice.room_kick(room_id, bob.user_id, reason="bye")
        resp, _ = await self.sync_until(bob, lambda r: room_id in r.rooms.leave, "kicked room in leave")
        events = [e for e in timeline(resp, room_id, "leave")
                  if e["type"] == "m.room.member" and e["state_key"] == bob.user_id]
        self.assertEqual(events[-1]["content"]["membership"], "leave")
        self.assertEqual(events[-1]["sender"], alice.user_id)

    async def test_ban_shows_in_rooms_leave(self):
        alice, bob, room_id = await self.chat_room("bn")
        await alice.room_ban(room_id, bob.user_id)
        resp, _ = await self.sync_until(bob, lambda r: room_id in r.rooms.leave, "banned room in leave")
        events = [e for e in timeline(resp, room_id, "leave")
                  if e["type"] == "m.room.member" and e["state_key"] == bob.user_id]
        self.assertEqual(events[-1]["content"]["membership"], "ban")

    async def test_rejected_invite_shows_in_rooms_leave(self):
        alice = await self.register("rja")
        bob = await self.register("rjb")
        room_id = await self.create_room(alice, preset=RoomPreset.private_chat, invite=[bob.user_id])
        await self.sync_until(bob, lambda r: room_id in r.rooms.invite, "invite")
        await bob.room_leave(room_id)
        resp, _ = await self.sync_until(bob, lambda r: room_id in r.rooms.leave, "rejected invite")
        self.assertNotIn(room_id, resp.rooms.invite)

    async def test_other_members_join_shows_in_timeline(self):
        alice = await self.register("mja")
        bob = await self.register("mjb")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.sync(alice)
        await self.join(bob, room_id)

        def bob_joined(r):
            return [e for e in timeline(r, room_id)
                    if e["type"] == "m.room.member" and e["state_key"] == bob.user_id
                    and e["content"]["membership"] == "join"]
        await self.sync_until(alice, bob_joined, "bob's join in alice's timeline")


if __name__ == "__main__":
    unittest.main()
