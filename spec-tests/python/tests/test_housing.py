"""The housing foundation from outside: the demo registry imported and changed, codes, owners
and tenants verified into exactly their rooms, strangers kept out, revocation, expiry and
reminders on the test clock, the code race, a change of management company, privacy, the
verification bot in a direct message, bad registry files, and a kill -9 during provisioning."""

import asyncio
import copy
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import DomovoyServer, DomovoyTestCase, q, unique, _binary

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEMO = os.path.join(REPO, "housing", "samples", "demo-region.json")
LENINA5 = "3f6e2a9c-8b1d-4e57-a0c4-7d29b5e81f03"
LENINA11 = "b81c4d07-2e9a-4f36-9d5b-1a8e6c0f4b72"


def demo():
    with open(DEMO, encoding="utf-8") as f:
        return json.load(f)


class HousingCase(DomovoyTestCase):
    server_config = 'admins: ["@operator:localhost"]\nregistration:\n  shared_secret: "housing-tests-secret"\n'
    server_args = ("--test-clock",)

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.op = self.new_client("@operator:localhost")
        resp = await self.op.register("operator", self.password)
        if type(resp).__name__ != "RegisterResponse":  # registered by an earlier test of the class
            self.assertOk(await self.op.login(self.password), "LoginResponse", "operator login")
        status, body = await self.admin("POST", "/_domovoy/admin/v1/registry", raw=json.dumps(demo()))
        self.assertEqual(status, 200, body)
        status, body = await self.admin("GET", "/_domovoy/admin/v1/buildings")
        self.buildings = {b["id"]: b for b in body["buildings"]}

    async def admin(self, method, path, body=None, raw=None):
        if raw is not None:
            resp = await self.op.send(method, path, raw, {"Content-Type": "application/json",
                                                          "Authorization": f"Bearer {self.op.access_token}"})
            text = await resp.text()
            return resp.status, json.loads(text) if text else None
        return await self.raw(self.op, method, path, body)

    async def codes(self, building, apartment, role=None):
        body = {"apartment": apartment}
        if role:
            body["role"] = role
        status, answer = await self.admin("POST", f"/_domovoy/admin/v1/buildings/{building}/codes", body)
        self.assertEqual(status, 200, answer)
        return {c["role"]: c["code"] for c in answer["codes"]}

    async def verify(self, client, code):
        return await self.raw(client, "POST", "/_domovoy/client/v1/verify", {"code": code})

    async def joined(self, client):
        status, body = await self.raw(client, "GET", "/_matrix/client/v3/joined_rooms")
        self.assertEqual(status, 200, body)
        return set(body["joined_rooms"])

    def rooms_of(self, building_id):
        return self.buildings[building_id]["rooms"]


class TestRegistryImport(HousingCase):
    async def test_import_is_idempotent_and_applies_changes(self):
        status, body = await self.admin("POST", "/_domovoy/admin/v1/registry", raw=json.dumps(demo()))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"buildings": 2, "apartments": 60, "created_rooms": 0})
        changed = demo()
        flat = changed["buildings"][0]["apartments"][0]
        flat["area"] = "60.10"
        flat["owners"] = [{"name": "Петров Пётр Петрович", "share": "1"}]  # the owners sold
        new_building = copy.deepcopy(changed["buildings"][1])
        new_building["id"] = "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"
        new_building["slug"] = "far-away-1"
        new_building["lat"], new_building["lon"] = 59.0, 31.0  # far from the others: no neighbourhood
        new_building["entrances"] = [1]
        for i, apartment in enumerate(new_building["apartments"]):
            apartment["entrance"] = 1
            apartment["account"] = f"7899{i:08d}"
        changed["buildings"].append(new_building)
        status, body = await self.admin("POST", "/_domovoy/admin/v1/registry", raw=json.dumps(changed))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["buildings"], 3)
        self.assertEqual(body["created_rooms"], 5, "space, general, announcements, one entrance, owners")
        status, stored = await self.admin("GET", f"/_domovoy/admin/v1/buildings/{LENINA5}")
        first = [a for a in stored["apartments"] if a["number"] == flat["number"]][0]
        self.assertEqual(first["area"], "60.10")
        self.assertEqual([o["name"] for o in first["owners"]], ["Петров Пётр Петрович"])
        status, listed = await self.admin("GET", "/_domovoy/admin/v1/buildings")
        far = [b for b in listed["buildings"] if b["slug"] == "far-away-1"][0]
        self.assertIsNone(far["rooms"]["neighbourhood"])
        self.assertEqual(len(far["rooms"]["entrances"]), 1)

    async def test_a_bad_file_names_the_path_and_changes_nothing(self):
        cases = []
        bad = demo()
        bad["buildings"][1]["apartments"][3]["owners"][0]["share"] = "1/7"
        cases.append((bad, "M_INVALID_PARAM", "buildings[1].apartments[3].owners"))
        bad = demo()
        bad["buildings"][0]["apartments"][2]["entrance"] = 9
        cases.append((bad, "M_INVALID_PARAM", "buildings[0].apartments[2].entrance"))
        bad = demo()
        bad["buildings"][0]["apartments"][1]["area"] = "-5"
        cases.append((bad, "M_INVALID_PARAM", "buildings[0].apartments[1].area"))
        bad = demo()
        bad["buildings"][0]["apartments"][1]["number"] = bad["buildings"][0]["apartments"][0]["number"]
        cases.append((bad, "M_INVALID_PARAM", "buildings[0].apartments[1].number"))
        bad = demo()
        bad["buildings"][0]["management_company"] = "no-such-company"
        cases.append((bad, "M_INVALID_PARAM", "buildings[0].management_company"))
        bad = demo()
        bad["buildings"][0]["id"] = "not-a-guid"
        cases.append((bad, "M_INVALID_PARAM", "buildings[0].id"))
        bad = demo()
        bad["format"] = "domovoy-registry/99"
        cases.append((bad, "M_INVALID_PARAM", "format"))
        for document, errcode, path in cases:
            # The first building is changed too, so that a half-import would show.
            document["buildings"][0]["address"] = "г. Санкт-Петербург, ул. Изменённая, д. 1"
            status, body = await self.admin("POST", "/_domovoy/admin/v1/registry", raw=json.dumps(document))
            self.assertRawError(status, body, errcode, 400, path)
            self.assertTrue(body["error"].startswith(path), f"{body['error']!r} names {path}")
        status, body = await self.admin("POST", "/_domovoy/admin/v1/registry", raw="{not json")
        self.assertRawError(status, body, "M_NOT_JSON", 400, "not JSON")
        status, stored = await self.admin("GET", f"/_domovoy/admin/v1/buildings/{LENINA5}")
        self.assertEqual(stored["address"], demo()["buildings"][0]["address"], "nothing was half-imported")

    async def test_only_admins_reach_the_admin_api(self):
        alice = await self.register("alice")
        for method, path, body in [("GET", "/_domovoy/admin/v1/buildings", None),
                                   ("POST", "/_domovoy/admin/v1/registry", demo()),
                                   ("POST", f"/_domovoy/admin/v1/buildings/{LENINA5}/codes", {}),
                                   ("GET", f"/_domovoy/admin/v1/buildings/{LENINA5}/residents", None),
                                   ("PUT", "/_domovoy/admin/v1/test/clock", {"now": "2030-01-01T00:00:00Z"})]:
            status, answer = await self.raw(alice, method, path, body)
            self.assertRawError(status, answer, "M_FORBIDDEN", 403, f"{method} {path} as a resident")
        status, answer = await self.raw(alice, "GET", "/_domovoy/admin/v1/buildings", token=False)
        self.assertRawError(status, answer, "M_MISSING_TOKEN", 401, "no token")

    async def test_rooms_have_predictable_aliases_and_russian_names(self):
        rooms = self.rooms_of(LENINA5)
        for alias, room in [("#dom-lenina-5:localhost", rooms["space"]),
                            ("#dom-lenina-5-general:localhost", rooms["general"]),
                            ("#dom-lenina-5-announcements:localhost", rooms["announcements"]),
                            ("#dom-lenina-5-entrance-2:localhost", rooms["entrances"]["2"]),
                            ("#dom-lenina-5-owners:localhost", rooms["owners"])]:
            status, body = await self.raw(self.op, "GET", f"/_matrix/client/v3/directory/room/{q(alias)}")
            self.assertEqual((status, body.get("room_id")), (200, room), alias)
        # The dispatcher is staff: a member of the entrance room, who may read its name.
        dispatcher = self.new_client()
        resp = await dispatcher.register("uk-dispatcher", self.password)
        self.assertEqual(type(resp).__name__, "RegisterResponse", resp)
        status, body = await self.raw(dispatcher, "GET",
                                      f"/_matrix/client/v3/rooms/{q(rooms['entrances']['2'])}/state/m.room.name/")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["name"], "Ленина, 5 — подъезд 2")
        status, body = await self.raw(dispatcher, "GET",
                                      f"/_matrix/client/v3/rooms/{q(rooms['general'])}/state/m.room.power_levels/")
        self.assertEqual(body["users"].get(dispatcher.user_id), 50, "staff are moderators")
        self.assertNotIn(rooms["owners"], await self.joined(dispatcher), "staff are not in the owners' room")


class TestVerification(HousingCase):
    async def test_owner_and_tenant_join_exactly_their_rooms(self):
        codes = await self.codes(LENINA5, "1")
        owner, tenant, stranger = await self.register("owner"), await self.register("tenant"), await self.register("eve")
        status, body = await self.verify(owner, codes["owner"])
        self.assertEqual(status, 200, body)
        rooms = self.rooms_of(LENINA5)
        expected_owner = {rooms["space"], rooms["general"], rooms["announcements"], rooms["entrances"]["1"],
                          rooms["owners"], rooms["neighbourhood"]}
        self.assertEqual(body["building_id"], LENINA5)
        self.assertEqual((body["apartment"], body["role"]), ("1", "owner"))
        self.assertEqual(set(body["rooms"].values()), expected_owner)
        self.assertEqual(await self.joined(owner), expected_owner)
        # The tenant's code is typed carelessly: lower case, spaces instead of dashes.
        status, body = await self.verify(tenant, codes["tenant"].lower().replace("-", " "))
        self.assertEqual(status, 200, body)
        self.assertNotIn("owners", body["rooms"])
        self.assertEqual(await self.joined(tenant), expected_owner - {rooms["owners"]})
        # Seen by /sync too.
        sync = await self.initial_sync(tenant)
        self.assertEqual(set(sync.rooms.join.keys()), expected_owner - {rooms["owners"]})
        # Nobody else gets in, whichever way they ask.
        for room in (rooms["general"], rooms["owners"], rooms["entrances"]["2"]):
            status, answer = await self.raw(stranger, "POST", f"/_matrix/client/v3/join/{q(room)}", {})
            self.assertRawError(status, answer, "M_FORBIDDEN", 403, "a stranger's direct join")
        status, answer = await self.raw(tenant, "POST", f"/_matrix/client/v3/join/{q(rooms['owners'])}", {})
        self.assertRawError(status, answer, "M_FORBIDDEN", 403, "a tenant asking for the owners' room")
        status, answer = await self.raw(tenant, "POST", f"/_matrix/client/v3/join/{q(rooms['entrances']['2'])}", {})
        self.assertRawError(status, answer, "M_FORBIDDEN", 403, "another entrance's chat")
        status, answer = await self.raw(owner, "POST", f"/_matrix/client/v3/rooms/{q(rooms['general'])}/invite",
                                        {"user_id": stranger.user_id})
        self.assertEqual(status, 403, "residents do not bring strangers in")
        status, body = await self.raw(owner, "GET", "/_domovoy/client/v1/verification")
        self.assertEqual([(v["building_id"], v["apartment"], v["role"]) for v in body["verifications"]],
                         [(LENINA5, "1", "owner")])

    async def test_wrong_used_and_expired_codes_and_the_limit(self):
        alice, bob = await self.register("alice"), await self.register("bob")
        codes = await self.codes(LENINA5, "2")
        status, body = await self.verify(alice, codes["owner"])
        self.assertEqual(status, 200, body)
        status, body = await self.verify(bob, codes["owner"])
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "a used code")
        self.assertIn("использован", body["error"])
        status, body = await self.admin("POST", f"/_domovoy/admin/v1/buildings/{LENINA5}/codes",
                                        {"apartment": "3", "role": "owner", "valid_days": 1})
        short = body["codes"][0]["code"]
        status, _ = await self.admin("PUT", "/_domovoy/admin/v1/test/clock",
                                     {"now": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3 * 86400))})
        self.assertEqual(status, 200)
        status, body = await self.verify(bob, short)
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "an expired code")
        self.assertIn("истёк", body["error"])
        # The clock moved three days: only the expired code and what follows are in the window.
        for attempt in range(4):
            status, body = await self.verify(bob, "ZZZZ-ZZZZ-ZZ")
            self.assertRawError(status, body, "M_FORBIDDEN", 403, f"wrong code {attempt}")
        status, body = await self.verify(bob, "ZZZZ-ZZZZ-ZZ")
        self.assertRawError(status, body, "M_LIMIT_EXCEEDED", 429, "the sixth failure in ten minutes")
        self.assertGreater(body["retry_after_ms"], 0)

    async def test_two_redemptions_of_one_code_at_once_one_wins(self):
        codes = await self.codes(LENINA5, "4", "owner")
        first, second = await self.register("first"), await self.register("second")
        results = await asyncio.gather(self.verify(first, codes["owner"]), self.verify(second, codes["owner"]))
        statuses = sorted(status for status, _ in results)
        self.assertEqual(statuses, [200, 403], results)

    async def test_revocation_removes_with_a_reason(self):
        codes = await self.codes(LENINA5, "5", "tenant")
        carol = await self.register("carol")
        status, _ = await self.verify(carol, codes["tenant"])
        self.assertEqual(status, 200)
        general = self.rooms_of(LENINA5)["general"]
        status, body = await self.admin("DELETE", f"/_domovoy/admin/v1/buildings/{LENINA5}/residents/{q(carol.user_id)}")
        self.assertEqual(status, 200, body)
        self.assertEqual(await self.joined(carol), set())
        status, body = await self.raw(self.op, "GET", f"/_domovoy/admin/v1/buildings/{LENINA5}/residents")
        self.assertNotIn(carol.user_id, [r["user_id"] for r in body["residents"]])
        status, answer = await self.raw(carol, "POST", f"/_matrix/client/v3/join/{q(general)}", {})
        self.assertRawError(status, answer, "M_FORBIDDEN", 403, "a revoked resident coming back")
        status, body = await self.admin("DELETE", f"/_domovoy/admin/v1/buildings/{LENINA5}/residents/{q(carol.user_id)}")
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "revoking twice")

    async def test_chair_approves_a_request(self):
        dave = await self.register("dave")
        status, request = await self.raw(dave, "POST", "/_domovoy/client/v1/verification_requests",
                                         {"building_id": LENINA11, "apartment": "3", "role": "tenant"})
        self.assertEqual(status, 200, request)
        chair = self.new_client()
        await chair.register("chair-lenina11", self.password)
        status, body = await self.raw(dave, "POST",
                                      f"/_domovoy/client/v1/verification_requests/{request['request_id']}/approve")
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "the requester approving themself")
        status, body = await self.raw(chair, "GET", f"/_domovoy/client/v1/buildings/{LENINA11}/verification_requests")
        self.assertIn(request["request_id"], [r["request_id"] for r in body["requests"]])
        status, body = await self.raw(chair, "POST",
                                      f"/_domovoy/client/v1/verification_requests/{request['request_id']}/approve")
        self.assertEqual((status, body.get("status")), (200, "approved"), body)
        self.assertIn(self.rooms_of(LENINA11)["general"], await self.joined(dave))


class TestExpiry(HousingCase):
    async def test_reminder_then_lapse(self):
        codes = await self.codes(LENINA11, "2", "owner")
        erin = await self.register("erin")
        status, body = await self.verify(erin, codes["owner"])
        self.assertEqual(status, 200, body)
        expires = body["expires_at"]
        expires_s = time.mktime(time.strptime(expires[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_s - 20 * 86400))
        status, _ = await self.admin("PUT", "/_domovoy/admin/v1/test/clock", {"now": before})
        self.assertEqual(status, 200)
        status, body = await self.admin("GET", "/_domovoy/admin/v1/test/clock")
        self.assertTrue(body["now"].startswith(before[:16]), body)
        joined = await self.joined(erin)
        self.assertIn(self.rooms_of(LENINA11)["general"], joined, "still a resident 20 days before")
        sync = await self.initial_sync(erin)
        notices = [e for room in sync.rooms.join.values() for e in room.timeline.events
                   if getattr(e, "sender", "") == "@domovoy-notices:localhost"]
        self.assertTrue(any("истекает" in getattr(e, "body", "") for e in notices), "a reminder in the notices DM")
        after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_s + 86400))
        status, _ = await self.admin("PUT", "/_domovoy/admin/v1/test/clock", {"now": after})
        self.assertEqual(status, 200)
        joined = await self.joined(erin)
        self.assertFalse(joined & set(self.rooms_of(LENINA11)["entrances"].values()), "gone from the building's rooms")


class TestManagementCompanyAndPrivacy(HousingCase):
    async def test_change_of_management_company(self):
        changed = demo()
        changed["management_companies"].append({"id": "uk-novaya", "name": "ООО «Новая УК»",
                                                "staff": ["@novaya-dispatcher:localhost"]})
        status, body = await self.admin("POST", "/_domovoy/admin/v1/registry", raw=json.dumps(changed))
        self.assertEqual(status, 200, body)
        old = self.new_client()
        await old.register("uk-accountant", self.password)
        new = self.new_client()
        await new.register("novaya-dispatcher", self.password)
        rooms = self.rooms_of(LENINA11)
        self.assertIn(rooms["general"], await self.joined(old))
        self.assertNotIn(rooms["general"], await self.joined(new))
        status, body = await self.admin("PUT", f"/_domovoy/admin/v1/buildings/{LENINA11}/management_company",
                                        {"id": "uk-novaya"})
        self.assertEqual(status, 200, body)
        self.assertIn(rooms["general"], await self.joined(new))
        old_rooms = await self.joined(old)
        self.assertFalse(old_rooms & set([rooms["general"], rooms["announcements"], rooms["space"]]))
        self.assertIn(self.rooms_of(LENINA5)["general"], old_rooms, "the old company keeps its other building")
        status, body = await self.raw(new, "GET", f"/_matrix/client/v3/rooms/{q(rooms['general'])}/state/m.room.power_levels/")
        self.assertEqual(body["users"].get(new.user_id), 50)
        self.assertNotIn(old.user_id, body["users"])
        status, body = await self.raw(new, "GET", f"/_matrix/client/v3/rooms/{q(rooms['general'])}/messages",
                                      query={"dir": "b", "limit": "50"})
        self.assertEqual(status, 200, body)
        self.assertTrue(body["chunk"], "the history stays")
        status, body = await self.admin("PUT", f"/_domovoy/admin/v1/buildings/{LENINA11}/management_company",
                                        {"id": "nobody"})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "an unknown company")

    async def test_neighbours_never_see_an_apartment_number(self):
        codes_a = await self.codes(LENINA5, "17", "owner")
        codes_b = await self.codes(LENINA5, "18", "owner")
        frank, grace = await self.register("frank"), await self.register("grace")
        self.assertEqual((await self.verify(frank, codes_a["owner"]))[0], 200)
        self.assertEqual((await self.verify(grace, codes_b["owner"]))[0], 200)
        status, body = await self.raw(grace, "GET", "/_matrix/client/v3/sync", query={"timeout": "0"})
        text = json.dumps(body, ensure_ascii=False)
        for secret in ['"17"', "apartment", "Иванов", demo()["buildings"][0]["apartments"][16]["account"]]:
            self.assertNotIn(secret, text, f"{secret} in what a neighbour reads")
        status, answer = await self.raw(grace, "GET", f"/_domovoy/admin/v1/buildings/{LENINA5}")
        self.assertEqual(status, 403, "the registry's personal data is for operators")


class TestVerificationBot(HousingCase):
    async def test_a_code_in_a_direct_message(self):
        codes = await self.codes(LENINA11, "7", "tenant")
        heidi = await self.register("heidi")
        room = await self.create_room(heidi, invite=["@domovoy:localhost"], is_direct=True)
        await self.sync_until(heidi, lambda s: room in s.rooms.join and any(
            "код" in getattr(e, "body", "") for e in s.rooms.join[room].timeline.events), "the bot's greeting")
        await self.send_text(heidi, room, codes["tenant"])
        general = self.rooms_of(LENINA11)["general"]
        await self.sync_until(heidi, lambda s: general in s.rooms.join, "the building's general chat", timeout=15)


class TestProvisioningSurvivesKill(unittest.TestCase):
    """kill -9 while a large registry is being provisioned; the next start finishes the job."""

    def test_kill_during_provisioning_then_restart_completes(self):
        tmp = tempfile.mkdtemp(prefix="domovoy-prov-")
        try:
            registry = demo()
            template = registry["buildings"][1]
            registry["buildings"] = []
            for i in range(400):
                building = copy.deepcopy(template)
                building["id"] = f"{i:08x}-0000-4000-8000-000000000000"
                building["slug"] = f"big-{i}"
                building["lat"] = 59.9 + i * 0.01  # about 1 km apart: no neighbourhoods
                building["chair"] = None
                for j, apartment in enumerate(building["apartments"]):
                    apartment["account"] = f"78{i:04d}{j:06d}"
                registry["buildings"].append(building)
            path = os.path.join(tmp, "registry.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(registry, f, ensure_ascii=False)
            config = os.path.join(tmp, "config.yaml")
            with open(config, "w") as f:
                f.write(f"housing:\n  registry_files: [{json.dumps(path)}]\n")
            data = os.path.join(tmp, "data")
            args = [_binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--config", config,
                    "--no-rate-limits"]
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.5)  # part of the way through the 400 buildings (about 5 s in all)
            self.assertIsNone(proc.poll(), "still provisioning when killed")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            server = DomovoyServer(config_yaml=f"housing:\n  registry_files: [{json.dumps(path)}]\n",
                                   data_dir=data).start(timeout=120)
            try:
                proc = subprocess.run([_binary(), "admin", "--server", server.url, "--data-dir", data, "buildings"],
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                buildings = json.loads(proc.stdout)["buildings"]
                self.assertEqual(len(buildings), 400)
                room_ids = []
                for building in buildings:
                    rooms = building["rooms"]
                    self.assertTrue(rooms["space"] and rooms["general"] and rooms["owners"], building["slug"])
                    room_ids += [rooms["space"], rooms["general"], rooms["announcements"], rooms["owners"]]
                    room_ids += list(rooms["entrances"].values())
                self.assertEqual(len(room_ids), len(set(room_ids)), "no room twice")
                self.assertEqual(len(room_ids), 400 * 5)
            finally:
                server.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
