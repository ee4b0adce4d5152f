"""Devices: list, update, delete (with User-Interactive Authentication).

Spec: data/api/client-server/device_management.yaml, definitions/auth_response.yaml,
definitions/auth_data.yaml.
"""

import unittest

from harness import DomovoyTestCase, q


class TestDevices(DomovoyTestCase):

    def password_auth(self, client, session, password=None):
        return {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": client.user_id},
            "password": password or self.password,
            "session": session,
        }

    async def test_devices_lists_every_session(self):
        alice = await self.register("dev")
        second = await self.login_again(alice, device_name="Phone")
        resp = await alice.devices()
        self.assertOk(resp, "DevicesResponse", "devices")
        by_id = {d.id: d for d in resp.devices}
        self.assertEqual(set(by_id), {alice.device_id, second.device_id})
        self.assertEqual(by_id[second.device_id].display_name, "Phone")

    async def test_get_single_device(self):
        alice = await self.register("dev1")
        status, body = await self.raw(alice, "GET", f"/_matrix/client/v3/devices/{q(alice.device_id)}")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["device_id"], alice.device_id)
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/devices/NOSUCHDEVICE")
        # device_management.yaml 404: "The current user has no device with the given ID."
        self.assertEqual(status, 404, body)

    async def test_update_device_display_name(self):
        alice = await self.register("devname")
        resp = await alice.update_device(alice.device_id, {"display_name": "Kitchen tablet"})
        self.assertOk(resp, "UpdateDeviceResponse", "update_device")
        devices = await alice.devices()
        names = {d.id: d.display_name for d in devices.devices}
        self.assertEqual(names[alice.device_id], "Kitchen tablet")

    async def test_delete_devices_requires_auth(self):
        alice = await self.register("devdel")
        second = await self.login_again(alice)
        resp = await alice.delete_devices([second.device_id])
        # Without auth: 401 with the flows and a session (auth_response.yaml).
        self.assertOk(resp, "DeleteDevicesAuthResponse", "delete_devices without auth")
        self.assertEqual(resp.transport_response.status, 401)
        self.assertTrue(resp.session)
        stages = [stage for flow in resp.flows for stage in flow["stages"]]
        self.assertIn("m.login.password", stages)
        # Nothing was deleted yet.
        who = await second.whoami()
        self.assertOk(who, "WhoamiResponse", "second device still valid")

        resp = await alice.delete_devices([second.device_id], self.password_auth(alice, resp.session))
        self.assertOk(resp, "DeleteDevicesResponse", "delete_devices with password auth")
        devices = await alice.devices()
        self.assertEqual([d.id for d in devices.devices], [alice.device_id])
        # "Deletes the given devices, and invalidates any access token associated with them."
        who = await second.whoami()
        self.assertMatrixError(who, "M_UNKNOWN_TOKEN", 401, "token of a deleted device")
        who = await alice.whoami()
        self.assertOk(who, "WhoamiResponse", "own device survives")

    async def test_delete_devices_wrong_password(self):
        alice = await self.register("devwrong")
        second = await self.login_again(alice)
        first = await alice.delete_devices([second.device_id])
        self.assertOk(first, "DeleteDevicesAuthResponse", "UIA start")
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/delete_devices", {
            "devices": [second.device_id],
            "auth": self.password_auth(alice, first.session, "not my password"),
        })
        # UIA: a failed stage answers 401 with the auth response plus errcode M_FORBIDDEN.
        self.assertEqual(status, 401, body)
        self.assertEqual(body.get("errcode"), "M_FORBIDDEN", body)
        self.assertIn("flows", body)
        who = await second.whoami()
        self.assertOk(who, "WhoamiResponse", "device survives a failed deletion")

    async def test_delete_devices_auth_for_another_user_is_rejected(self):
        alice = await self.register("devown")
        mallory = await self.register("devmal")
        second = await self.login_again(alice)
        first = await mallory.delete_devices([second.device_id])
        self.assertOk(first, "DeleteDevicesAuthResponse", "UIA start")
        # Mallory authenticates as alice (whose password she knows here) on her own
        # request: the identity in auth must be the requesting user.
        resp = await mallory.delete_devices(
            [second.device_id], self.password_auth(alice, first.session))
        self.assertNotEqual(type(resp).__name__, "DeleteDevicesResponse",
                            "UIA accepted credentials of a different user")
        who = await second.whoami()
        self.assertOk(who, "WhoamiResponse", "alice's device must survive")

    async def test_delete_single_device(self):
        alice = await self.register("devone")
        second = await self.login_again(alice)
        path = f"/_matrix/client/v3/devices/{q(second.device_id)}"
        status, body = await self.raw(alice, "DELETE", path, {})
        self.assertEqual(status, 401, body)
        session = body["session"]
        status, body = await self.raw(alice, "DELETE", path,
                                      {"auth": self.password_auth(alice, session)})
        self.assertEqual(status, 200, body)
        who = await second.whoami()
        self.assertMatrixError(who, "M_UNKNOWN_TOKEN", 401, "token of a deleted device")

    async def test_delete_unknown_devices_is_ok(self):
        # device_management.yaml 200: "The devices were successfully removed, or had been
        # removed previously."
        alice = await self.register("devgone")
        first = await alice.delete_devices(["NEVEREXISTED"])
        self.assertOk(first, "DeleteDevicesAuthResponse", "UIA start")
        resp = await alice.delete_devices(["NEVEREXISTED"], self.password_auth(alice, first.session))
        self.assertOk(resp, "DeleteDevicesResponse", "delete an unknown device")


if __name__ == "__main__":
    unittest.main()
