"""Bounded work per request: what a client observes when the server caps what it examines.

- GET /rooms/{roomId}/messages examines at most 2,000 events per request; a filter that matches
  nothing answers a short (empty) chunk with an `end` token, and paging on reaches the start.
- GET /sync examines a bounded number of events per room; a timeline filter that matches nothing
  gives a `limited` timeline with a usable `prev_batch`, not a walk of the whole room.
- Account data is bounded per user in entries and bytes (limits.account_data_entries,
  limits.account_data_bytes; docs/configuration.md): one more answers 400 M_TOO_LARGE.
- Receipts are indexed by stream position: an incremental sync carries the receipts that changed,
  and each user's receipt appears once, at its newest event.
- The room summary comes from kept counts: joined and invited counts, at most 5 heroes.

Spec: client-server message_pagination.yaml, sync.yaml, account-data.yaml, receipts.yaml.
All of these are observed through raw HTTP; none asserts on wall-clock time.
"""

import asyncio
import json
import math
import uuid

from nio import RoomPreset

from harness import DomovoyTestCase, q

BIG_ROOM_MESSAGES = 2300        # more than the 2,000 events /messages examines per request
EXAMINED_PER_MESSAGES_PAGE = 2000
SEND_BATCH = 100                # concurrent sends per batch
NONE_TYPE = "org.example.none"  # no event of this type is ever sent
MARKER_TYPE = "org.example.marker"  # exactly one, at the very start of the big room


def txn():
    return uuid.uuid4().hex


class BoundedRoomMixin:
    """Helpers for the raw client-server endpoints these tests use."""

    async def raw_ok(self, client, method, path, body=None, query=None, what=""):
        status, resp = await self.raw(client, method, path, body, query=query)
        self.assertEqual(status, 200, f"{what or method + ' ' + path}: HTTP {status}, body {resp!r}")
        return resp

    async def raw_send(self, client, room_id, type_, content):
        resp = await self.raw_ok(
            client, "PUT", f"/_matrix/client/v3/rooms/{q(room_id)}/send/{q(type_)}/{txn()}",
            content, what=f"send {type_}")
        self.assertTrue(resp["event_id"].startswith("$"), resp)
        return resp["event_id"]

    async def messages(self, client, room_id, **params):
        query = {k: (json.dumps(v) if k == "filter" else str(v)) for k, v in params.items()}
        return await self.raw_ok(client, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/messages",
                                 query=query, what=f"/messages {query}")

    async def raw_sync(self, client, since=None, filter_=None, timeout=0):
        query = {"timeout": str(timeout)}
        if since:
            query["since"] = since
        if filter_ is not None:
            query["filter"] = json.dumps(filter_)
        return await self.raw_ok(client, "GET", "/_matrix/client/v3/sync", query=query,
                                 what=f"/sync {query}")

    async def page_through(self, client, room_id, dir_, filter_, max_pages, limit=10):
        """Follow `end` from the first page until a page has no `end`.

        Returns the list of pages (response bodies). Fails if more than max_pages are needed,
        if an `end` does not move, or if a page has no `chunk`.
        """
        pages = []
        seen_tokens = set()
        params = {"dir": dir_, "filter": filter_, "limit": limit}
        while True:
            page = await self.messages(client, room_id, **params)
            self.assertIsInstance(page.get("chunk"), list, f"page {len(pages)}: no chunk in {page!r}")
            pages.append(page)
            end = page.get("end")
            if end is None:
                return pages
            self.assertNotIn(end, seen_tokens, f"page {len(pages)}: `end` {end!r} did not move")
            seen_tokens.add(end)
            self.assertLessEqual(
                len(pages), max_pages,
                f"/messages dir={dir_} with filter {filter_} still answers `end` after "
                f"{len(pages)} pages (room of {BIG_ROOM_MESSAGES}+ events)")
            params["from"] = end


class TestBoundedRoomWalks(BoundedRoomMixin, DomovoyTestCase):
    """One room of more than 2,000 events, built once for the class."""

    big_room = None  # (room_id, access_token, user_id, device_id, marker_event_id, first_message_id)

    async def client_for_big_room(self):
        cls = type(self)
        if cls.big_room is None:
            owner = await self.register("bigroom")
            room_id = await self.create_room(owner)
            marker = await self.raw_send(owner, room_id, MARKER_TYPE, {"n": 0})
            ids = []
            for start in range(0, BIG_ROOM_MESSAGES, SEND_BATCH):
                batch = [
                    self.raw_send(owner, room_id, "m.room.message", {"msgtype": "m.text", "body": f"m{i}"})
                    for i in range(start, min(start + SEND_BATCH, BIG_ROOM_MESSAGES))
                ]
                ids += await asyncio.gather(*batch)
            self.assertEqual(len(set(ids)), BIG_ROOM_MESSAGES)
            cls.big_room = (room_id, owner.access_token, owner.user_id, owner.device_id, marker)
        room_id, token, user_id, device_id, marker = cls.big_room
        client = self.new_client(user_id, device_id)
        client.access_token = token
        client.user_id = user_id
        return client, room_id, marker

    def max_pages(self):
        # Every event of the room examined once, 2,000 per page, plus slack for the page that
        # ends exactly at a bound and the final page without `end`.
        total = BIG_ROOM_MESSAGES + 20  # the messages, the marker and the creation state
        return math.ceil(total / EXAMINED_PER_MESSAGES_PAGE) + 2

    # ---- /messages ---------------------------------------------------------------------------

    async def test_messages_filter_matching_nothing_stops_with_end_backwards(self):
        client, room_id, _ = await self.client_for_big_room()
        filter_ = {"types": [NONE_TYPE]}
        first = await self.messages(client, room_id, dir="b", filter=filter_, limit=10)
        # The room holds more than 2,000 events and none matches: the server stops early and
        # says where to go on from, instead of walking the whole room in one request.
        self.assertEqual(first.get("chunk"), [], f"nothing matches {filter_}: {first!r}")
        self.assertIn("end", first, f"a room of {BIG_ROOM_MESSAGES}+ events, nothing matching: "
                                    f"the first page must stop with `end`, got {first!r}")
        pages = await self.page_through(client, room_id, "b", filter_, self.max_pages())
        self.assertGreaterEqual(len(pages), 2, "the first page had `end`, so there is a second")
        for number, page in enumerate(pages):
            for event in page["chunk"]:
                self.assertEqual(event.get("type"), NONE_TYPE,
                                 f"page {number} returned an event the filter excludes: {event!r}")
        self.assertNotIn("end", pages[-1])

    async def test_messages_filter_matching_nothing_stops_with_end_forwards(self):
        client, room_id, _ = await self.client_for_big_room()
        filter_ = {"types": [NONE_TYPE]}
        first = await self.messages(client, room_id, dir="f", filter=filter_, limit=10)
        self.assertEqual(first.get("chunk"), [], f"nothing matches {filter_}: {first!r}")
        self.assertIn("end", first, f"dir=f, a room of {BIG_ROOM_MESSAGES}+ events, nothing "
                                    f"matching: the first page must stop with `end`, got {first!r}")
        pages = await self.page_through(client, room_id, "f", filter_, self.max_pages())
        for number, page in enumerate(pages):
            for event in page["chunk"]:
                self.assertEqual(event.get("type"), NONE_TYPE,
                                 f"page {number} returned an event the filter excludes: {event!r}")

    async def test_messages_paging_with_end_finds_the_first_event(self):
        client, room_id, marker = await self.client_for_big_room()
        filter_ = {"types": [MARKER_TYPE]}
        first = await self.messages(client, room_id, dir="b", filter=filter_, limit=10)
        # The marker is more than 2,000 events back: the first page cannot have reached it.
        self.assertEqual(first.get("chunk"), [], f"the marker is {BIG_ROOM_MESSAGES} events back: {first!r}")
        self.assertIn("end", first, f"the first page must stop with `end`: {first!r}")
        pages = await self.page_through(client, room_id, "b", filter_, self.max_pages())
        found = [event for page in pages for event in page["chunk"]]
        for event in found:
            self.assertEqual(event.get("type"), MARKER_TYPE, f"an event the filter excludes: {event!r}")
        self.assertEqual([event["event_id"] for event in found], [marker],
                         "paging on with `end` must find the one marker event, once")

    # ---- /sync -------------------------------------------------------------------------------

    async def test_sync_timeline_filter_matching_nothing_is_limited(self):
        client, room_id, _ = await self.client_for_big_room()
        sync_filter = {"room": {"timeline": {"types": [NONE_TYPE], "limit": 5}}}
        body = await self.raw_sync(client, filter_=sync_filter)
        room = body.get("rooms", {}).get("join", {}).get(room_id)
        self.assertIsNotNone(room, f"initial sync must list the joined room {room_id}")
        timeline = room["timeline"]
        self.assertEqual(timeline.get("events"), [], f"nothing matches the timeline filter: {timeline!r}")
        # Not a walk of the whole room: the server stopped before the start, so the timeline is
        # limited and prev_batch says where the client goes on from.
        self.assertIs(timeline.get("limited"), True,
                      f"a room of {BIG_ROOM_MESSAGES}+ events with a timeline filter matching "
                      f"nothing must answer a limited timeline: {timeline!r}")
        prev_batch = timeline.get("prev_batch")
        self.assertIsInstance(prev_batch, str, f"a limited timeline needs prev_batch: {timeline!r}")
        self.assertTrue(prev_batch)
        # prev_batch is usable with /messages dir=b, with the same filter, down to the start.
        pages = []
        params = {"dir": "b", "filter": {"types": [NONE_TYPE]}, "from": prev_batch, "limit": 5}
        while True:
            page = await self.messages(client, room_id, **params)
            pages.append(page)
            for event in page.get("chunk", []):
                self.assertEqual(event.get("type"), NONE_TYPE, f"an event the filter excludes: {event!r}")
            if "end" not in page:
                break
            self.assertLessEqual(len(pages), self.max_pages(),
                                 "paging back from prev_batch never reached the start")
            params["from"] = page["end"]
        # prev_batch is a point in the room's history before its newest events: paging back
        # from it without a filter does not return the newest message.
        newest = await self.messages(client, room_id, dir="b", limit=1)
        older = await self.messages(client, room_id, dir="b", limit=1, **{"from": prev_batch})
        self.assertEqual(len(newest["chunk"]), 1)
        self.assertEqual(len(older["chunk"]), 1, f"events remain before prev_batch: {older!r}")
        self.assertNotEqual(older["chunk"][0]["event_id"], newest["chunk"][0]["event_id"],
                            "prev_batch of a limited timeline must point before the examined events")

    async def test_sync_limited_timeline_prev_batch_leads_to_the_first_event(self):
        client, room_id, marker = await self.client_for_big_room()
        sync_filter = {"room": {"timeline": {"types": [MARKER_TYPE], "limit": 5}}}
        body = await self.raw_sync(client, filter_=sync_filter)
        timeline = body["rooms"]["join"][room_id]["timeline"]
        ids = [event["event_id"] for event in timeline.get("events", [])]
        # The marker is BIG_ROOM_MESSAGES events back, past what one /sync examines in a room:
        # the timeline stops before it, limited, and prev_batch leads the client on to it.
        self.assertEqual(ids, [], f"a bounded /sync does not reach the marker {BIG_ROOM_MESSAGES} "
                                  f"events back: {timeline!r}")
        self.assertIs(timeline.get("limited"), True,
                      f"the marker exists but is not in the timeline: it must be limited: {timeline!r}")
        params = {"dir": "b", "filter": {"types": [MARKER_TYPE]}, "from": timeline["prev_batch"]}
        found = []
        for _ in range(self.max_pages()):
            page = await self.messages(client, room_id, **params)
            found += [event["event_id"] for event in page["chunk"]]
            if "end" not in page:
                break
            params["from"] = page["end"]
        self.assertEqual(found, [marker], "paging back from prev_batch must find the marker once")


# ---- account data limits ------------------------------------------------------------------------

class TestAccountDataLimits(BoundedRoomMixin, DomovoyTestCase):
    server_config = "limits:\n  account_data_entries: 5\n  account_data_bytes: 4096\n"

    def global_path(self, client, type_):
        return f"/_matrix/client/v3/user/{q(client.user_id)}/account_data/{q(type_)}"

    def room_path(self, client, room_id, type_):
        return (f"/_matrix/client/v3/user/{q(client.user_id)}/rooms/{q(room_id)}"
                f"/account_data/{q(type_)}")

    async def test_entry_limit(self):
        alice = await self.register("adlim")
        types = [f"org.example.t{i}" for i in range(5)]
        for i, type_ in enumerate(types):
            status, body = await self.raw(alice, "PUT", self.global_path(alice, type_), {"i": i})
            self.assertEqual(status, 200, f"entry {i + 1} of 5: {body!r}")
        sixth = "org.example.t5"
        status, body = await self.raw(alice, "PUT", self.global_path(alice, sixth), {"i": 5})
        self.assertRawError(status, body, "M_TOO_LARGE", 400, "the 6th account data entry (limit 5)")
        # Overwriting one of the five adds no entry.
        status, body = await self.raw(alice, "PUT", self.global_path(alice, types[2]), {"i": 22})
        self.assertEqual(status, 200, f"overwrite an existing entry at the limit: {body!r}")
        status, body = await self.raw(alice, "GET", self.global_path(alice, types[2]))
        self.assertEqual((status, body), (200, {"i": 22}))
        # Nothing was stored for the refused write.
        status, body = await self.raw(alice, "GET", self.global_path(alice, sixth))
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "GET the refused 6th entry")
        # /sync still shows the five stored entries, and not the refused one.
        full = await self.raw_sync(alice)
        stored = {e["type"]: e["content"] for e in full.get("account_data", {}).get("events", [])}
        for i, type_ in enumerate(types):
            self.assertEqual(stored.get(type_), {"i": 22 if i == 2 else i}, f"{type_} in /sync: {stored!r}")
        self.assertNotIn(sixth, stored)
        # The limit is per user: another user is not affected.
        bob = await self.register("adlimother")
        status, body = await self.raw(bob, "PUT", self.global_path(bob, sixth), {"i": 0})
        self.assertEqual(status, 200, f"another user's first entry: {body!r}")

    async def test_room_account_data_counts_toward_the_entry_limit(self):
        alice = await self.register("adroomlim")
        room_id = await self.create_room(alice)
        for i in range(3):
            status, body = await self.raw(alice, "PUT", self.global_path(alice, f"org.example.g{i}"), {"i": i})
            self.assertEqual(status, 200, body)
        for i in range(2):
            status, body = await self.raw(
                alice, "PUT", self.room_path(alice, room_id, f"org.example.r{i}"), {"i": i})
            self.assertEqual(status, 200, body)
        # 3 global + 2 room entries = 5: one more of either kind is refused.
        status, body = await self.raw(alice, "PUT", self.room_path(alice, room_id, "org.example.r2"), {"i": 2})
        self.assertRawError(status, body, "M_TOO_LARGE", 400, "6th entry, a room one (limit 5 in all)")
        status, body = await self.raw(alice, "PUT", self.global_path(alice, "org.example.g3"), {"i": 3})
        self.assertRawError(status, body, "M_TOO_LARGE", 400, "6th entry, a global one (limit 5 in all)")
        status, body = await self.raw(alice, "GET", self.room_path(alice, room_id, "org.example.r2"))
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "GET the refused room entry")
        status, body = await self.raw(alice, "GET", self.global_path(alice, "org.example.g3"))
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "GET the refused global entry")
        # Overwriting a room entry still works.
        status, body = await self.raw(alice, "PUT", self.room_path(alice, room_id, "org.example.r1"), {"i": 11})
        self.assertEqual(status, 200, f"overwrite a room entry at the limit: {body!r}")
        full = await self.raw_sync(alice)
        glob = {e["type"]: e["content"] for e in full.get("account_data", {}).get("events", [])}
        room = full["rooms"]["join"][room_id]
        per_room = {e["type"]: e["content"] for e in room.get("account_data", {}).get("events", [])}
        self.assertEqual({t: glob.get(t) for t in ("org.example.g0", "org.example.g1", "org.example.g2")},
                         {"org.example.g0": {"i": 0}, "org.example.g1": {"i": 1}, "org.example.g2": {"i": 2}})
        self.assertNotIn("org.example.g3", glob)
        self.assertEqual(per_room.get("org.example.r0"), {"i": 0})
        self.assertEqual(per_room.get("org.example.r1"), {"i": 11})
        self.assertNotIn("org.example.r2", per_room)

    async def test_byte_limit(self):
        alice = await self.register("adbytes")
        big = "x" * 3000
        status, body = await self.raw(alice, "PUT", self.global_path(alice, "org.example.big"), {"v": big})
        self.assertEqual(status, 200, f"3,000 bytes of 4,096: {body!r}")
        # Another 1,500 bytes would pass 4,096 in total.
        status, body = await self.raw(alice, "PUT", self.global_path(alice, "org.example.more"),
                                      {"v": "y" * 1500})
        self.assertRawError(status, body, "M_TOO_LARGE", 400, "a write past 4,096 bytes in total")
        status, body = await self.raw(alice, "GET", self.global_path(alice, "org.example.more"))
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "GET the refused write")
        # A room entry past the total is refused as well.
        room_id = await self.create_room(alice)
        status, body = await self.raw(alice, "PUT", self.room_path(alice, room_id, "org.example.more"),
                                      {"v": "z" * 1500})
        self.assertRawError(status, body, "M_TOO_LARGE", 400, "a room write past 4,096 bytes in total")
        # A small write still fits.
        status, body = await self.raw(alice, "PUT", self.global_path(alice, "org.example.small"), {"v": 1})
        self.assertEqual(status, 200, f"a small write within the total: {body!r}")
        # Replacing the big entry counts its new size, not old plus new.
        status, body = await self.raw(alice, "PUT", self.global_path(alice, "org.example.big"),
                                      {"v": "w" * 3500})
        self.assertEqual(status, 200, f"replace 3,000 bytes with 3,500 (total stays under 4,096): {body!r}")
        status, body = await self.raw(alice, "GET", self.global_path(alice, "org.example.big"))
        self.assertEqual((status, body), (200, {"v": "w" * 3500}))
        # A single entry larger than the total is refused.
        status, body = await self.raw(alice, "PUT", self.global_path(alice, "org.example.big"),
                                      {"v": "v" * 5000})
        self.assertRawError(status, body, "M_TOO_LARGE", 400, "one entry of 5,000 bytes (total 4,096)")
        status, body = await self.raw(alice, "GET", self.global_path(alice, "org.example.big"))
        self.assertEqual((status, body), (200, {"v": "w" * 3500}), "a refused overwrite keeps the old value")


# ---- receipts -----------------------------------------------------------------------------------

def receipt_content(body, room_id):
    """The merged m.receipt content of one room in a /sync body ({} if none)."""
    room = body.get("rooms", {}).get("join", {}).get(room_id, {})
    merged = {}
    for event in room.get("ephemeral", {}).get("events", []):
        if event.get("type") != "m.receipt":
            continue
        for event_id, by_type in event.get("content", {}).items():
            for type_, by_user in by_type.items():
                merged.setdefault(event_id, {}).setdefault(type_, {}).update(by_user)
    return merged


def read_receipts_by_user(content):
    """user id -> list of event ids carrying that user's m.read receipt."""
    users = {}
    for event_id, by_type in content.items():
        for user_id in by_type.get("m.read", {}):
            users.setdefault(user_id, []).append(event_id)
    return users


class TestReceiptsIncremental(BoundedRoomMixin, DomovoyTestCase):

    async def receipt(self, client, room_id, event_id):
        await self.raw_ok(
            client, "POST",
            f"/_matrix/client/v3/rooms/{q(room_id)}/receipt/m.read/{q(event_id)}", {},
            what=f"receipt by {client.user_id} on {event_id}")

    async def sync_since_until(self, client, since, predicate, what, attempts=20):
        """/sync since a fixed token until predicate(body) (long-polls of up to 1 s)."""
        body = None
        for _ in range(attempts):
            body = await self.raw_sync(client, since=since, timeout=1000)
            if predicate(body):
                return body
        self.fail(f"sync since {since} never showed: {what}; last body {body!r}")

    async def test_incremental_receipts_carry_only_what_changed(self):
        a = await self.register("rcpa")
        b = await self.register("rcpb")
        c = await self.register("rcpc")
        d = await self.register("rcpd")
        room_id = await self.create_room(a, preset=RoomPreset.public_chat)
        for user in (b, c, d):
            await self.join(user, room_id)
        e1 = await self.raw_send(a, room_id, "m.room.message", {"msgtype": "m.text", "body": "one"})
        e2 = await self.raw_send(b, room_id, "m.room.message", {"msgtype": "m.text", "body": "two"})
        e3 = await self.raw_send(c, room_id, "m.room.message", {"msgtype": "m.text", "body": "three"})
        e4 = await self.raw_send(d, room_id, "m.room.message", {"msgtype": "m.text", "body": "four"})

        initial = await self.raw_sync(d)
        t0 = initial["next_batch"]
        await self.receipt(a, room_id, e1)
        body = await self.sync_since_until(
            d, t0, lambda r: a.user_id in read_receipts_by_user(receipt_content(r, room_id)),
            "A's receipt")
        self.assertEqual(read_receipts_by_user(receipt_content(body, room_id))[a.user_id], [e1])
        t1 = body["next_batch"]  # taken after A's receipt

        await self.receipt(b, room_id, e2)
        await self.receipt(c, room_id, e3)

        def has_b_and_c(r):
            users = read_receipts_by_user(receipt_content(r, room_id))
            return b.user_id in users and c.user_id in users

        body = await self.sync_since_until(d, t1, has_b_and_c, "B's and C's receipts")
        content = receipt_content(body, room_id)
        users = read_receipts_by_user(content)
        self.assertEqual(users.get(b.user_id), [e2], content)
        self.assertEqual(users.get(c.user_id), [e3], content)
        self.assertNotIn(a.user_id, users,
                         f"A's receipt is older than the since token and unchanged: {content!r}")
        t2 = body["next_batch"]

        # A moves their receipt to a newer event: the next incremental sync shows only that.
        await self.receipt(a, room_id, e4)
        body = await self.sync_since_until(
            d, t2, lambda r: a.user_id in read_receipts_by_user(receipt_content(r, room_id)),
            "A's moved receipt")
        content = receipt_content(body, room_id)
        users = read_receipts_by_user(content)
        self.assertEqual(users.get(a.user_id), [e4], f"A's receipt only at the new event: {content!r}")
        self.assertNotIn(a.user_id, content.get(e1, {}).get("m.read", {}),
                         f"the old event no longer carries A's receipt: {content!r}")
        self.assertNotIn(b.user_id, users, f"B's receipt did not change since t2: {content!r}")
        self.assertNotIn(c.user_id, users, f"C's receipt did not change since t2: {content!r}")

        # An initial sync shows each user's latest receipt exactly once.
        full = await self.raw_sync(d)
        content = receipt_content(full, room_id)
        users = read_receipts_by_user(content)
        self.assertEqual(users.get(a.user_id), [e4], content)
        self.assertEqual(users.get(b.user_id), [e2], content)
        self.assertEqual(users.get(c.user_id), [e3], content)
        self.assertNotIn(d.user_id, users, f"D sent no receipt: {content!r}")
        # The raw events too: no user appears twice across the room's m.receipt events.
        room = full["rooms"]["join"][room_id]
        occurrences = {}
        for event in room.get("ephemeral", {}).get("events", []):
            if event.get("type") != "m.receipt":
                continue
            for event_id, by_type in event["content"].items():
                for user_id in by_type.get("m.read", {}):
                    occurrences[user_id] = occurrences.get(user_id, 0) + 1
        self.assertEqual(occurrences, {a.user_id: 1, b.user_id: 1, c.user_id: 1},
                         f"each user's latest receipt once in the initial sync: {room['ephemeral']!r}")


# ---- room summary -------------------------------------------------------------------------------

class TestRoomSummaryCounts(BoundedRoomMixin, DomovoyTestCase):

    async def test_summary_counts_and_heroes(self):
        creator = await self.register("sumc")
        room_id = await self.create_room(creator, preset=RoomPreset.public_chat)
        joiners = [await self.register(f"sumj{i}") for i in range(6)]
        for user in joiners:
            await self.join(user, room_id)
        invitees = [await self.register(f"sumi{i}") for i in range(2)]
        for user in invitees:
            await self.raw_ok(creator, "POST", f"/_matrix/client/v3/rooms/{q(room_id)}/invite",
                              {"user_id": user.user_id}, what=f"invite {user.user_id}")
        joined_ids = {creator.user_id} | {u.user_id for u in joiners}
        invited_ids = {u.user_id for u in invitees}

        syncer = joiners[-1]
        body = await self.raw_sync(syncer)
        summary = body["rooms"]["join"][room_id].get("summary")
        self.assertIsInstance(summary, dict, f"the room has no name: a summary is required: {body!r}")
        self.assertEqual(summary.get("m.joined_member_count"), 7, summary)
        self.assertEqual(summary.get("m.invited_member_count"), 2, summary)
        heroes = summary.get("m.heroes")
        # sync.yaml: required when the room has no m.room.name or m.room.canonical_alias;
        # "the first 5 members of the room ... which are joined or invited".
        self.assertIsInstance(heroes, list, summary)
        self.assertGreaterEqual(len(heroes), 1, f"8 other members, no heroes: {summary!r}")
        self.assertLessEqual(len(heroes), 5, f"at most 5 heroes: {summary!r}")
        self.assertEqual(len(set(heroes)), len(heroes), f"a hero twice: {summary!r}")
        self.assertNotIn(syncer.user_id, heroes, f"the syncing user is not a hero: {summary!r}")
        for hero in heroes:
            self.assertIn(hero, (joined_ids | invited_ids) - {syncer.user_id},
                          f"a hero must be a joined or invited member: {summary!r}")
        since = body["next_batch"]

        # One member leaves (a hero, if the syncing user sees any besides the creator).
        leaver = next((u for u in joiners[:-1] if u.user_id in heroes), joiners[0])
        await self.raw_ok(leaver, "POST", f"/_matrix/client/v3/rooms/{q(room_id)}/leave", {},
                          what="leave")

        def left(r):
            room = r.get("rooms", {}).get("join", {}).get(room_id)
            if not room:
                return None
            for event in room.get("timeline", {}).get("events", []):
                if (event.get("type") == "m.room.member" and event.get("state_key") == leaver.user_id
                        and event.get("content", {}).get("membership") == "leave"):
                    return room
            return None

        room = None
        for _ in range(20):
            resp = await self.raw_sync(syncer, since=since, timeout=1000)
            room = left(resp)
            if room:
                break
        self.assertIsNotNone(room, "the incremental sync never showed the leave")
        summary = room.get("summary")
        self.assertIsInstance(summary, dict, f"the joined count changed: a summary is due: {room!r}")
        self.assertEqual(summary.get("m.joined_member_count"), 6, summary)
        self.assertEqual(summary.get("m.invited_member_count", 2), 2, summary)
        heroes = summary.get("m.heroes")
        if heroes is not None:
            self.assertLessEqual(len(heroes), 5, summary)
            self.assertNotIn(syncer.user_id, heroes, summary)
            self.assertNotIn(leaver.user_id, heroes, f"a member who left is no hero: {summary!r}")
