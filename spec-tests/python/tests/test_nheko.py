"""A real desktop client: nheko (Debian's) under Xvfb logs in to Domovoy, opens a room and shows
a message and an image a test user sent; its screenshot is kept as a test artifact, and the
server checks what nheko did: its device keys uploaded, its sync and its read receipt of the
last message arrived.

nheko 0.11 (Debian 12) keeps its secrets in the Secret Service, so it runs in its own D-Bus
session with an unlocked gnome-keyring; it predates authenticated media, so this server serves
the legacy unauthenticated media paths (media.legacy_unauthenticated_before_ms, as an operator
whose residents use it would set). The screenshot goes to $DOMOVOY_TEST_ARTIFACTS (default
build/test-artifacts/nheko.png)."""

import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from urllib.parse import quote

from PIL import Image

from harness import DomovoyTestCase

V3 = "/_matrix/client/v3"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ARTIFACTS = os.environ.get("DOMOVOY_TEST_ARTIFACTS", os.path.join(REPO, "build", "test-artifacts"))
NEEDED = ("nheko", "Xvfb", "xdotool", "dbus-run-session", "gnome-keyring-daemon")


def free_display():
    for number in range(90, 400):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            return number
    raise RuntimeError("no free X display number")


def screenshot(display):
    from Xlib import X, display as xdisplay
    connection = xdisplay.Display(display)
    try:
        root = connection.screen().root
        geometry = root.get_geometry()
        raw = root.get_image(0, 0, geometry.width, geometry.height, X.ZPixmap, 0xFFFFFFFF)
        return Image.frombytes("RGB", (geometry.width, geometry.height), raw.data, "raw", "BGRX")
    finally:
        connection.close()


class TestNheko(DomovoyTestCase):
    server_config = "media:\n  legacy_unauthenticated_before_ms: 99999999999999\n"

    def setUp(self):
        missing = [tool for tool in NEEDED if not shutil.which(tool)]
        # CI installs them (.ci/install-deps); a missing one is a broken machine, not a pass.
        self.assertFalse(missing, f"not installed: {missing}")
        self.work = tempfile.mkdtemp(prefix="domovoy-nheko-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.processes = []

    def tearDown(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, 15)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait()

    def start(self, args, env, log_name):
        log = open(os.path.join(self.work, log_name), "w")
        self.addCleanup(log.close)
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def log(self, name):
        with open(os.path.join(self.work, name), errors="replace") as f:
            return f.read()[-4000:]

    async def wait_until(self, check, what, timeout=90):
        import asyncio
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.5)
        if getattr(self, "display", None):  # what nheko showed, for whoever reads the failure
            os.makedirs(ARTIFACTS, exist_ok=True)
            screenshot(self.display).save(os.path.join(ARTIFACTS, "nheko-failed.png"))
        self.fail(f"timed out waiting for {what}\n--- nheko log ---\n{self.log('nheko.log')}")

    async def test_nheko_shows_a_message_and_an_image(self):
        sender = await self.register("sender")
        anonymous = self.new_client()
        status, body = await self.raw(anonymous, "POST", f"{V3}/register", {
            "username": f"nheko{os.getpid()}{int(time.time()) % 100000}", "password": self.password,
            "device_id": "NHEKODESKTOP", "auth": {"type": "m.login.dummy"}}, token=False)
        self.assertEqual(status, 200, body)
        resident = body
        room = await self.create_room(sender, name="Дом 7, подъезд 2", invite=[resident["user_id"]])
        status, body = await self.raw(anonymous, "POST", f"{V3}/join/{quote(room)}", {},
                                      access_token=resident["access_token"])
        self.assertEqual(status, 200, body)
        await self.send_text(sender, room, "Лифт снова не работает, вот фото")
        picture = io.BytesIO()
        Image.new("RGB", (400, 300), (200, 30, 30)).save(picture, format="PNG")
        resp = await sender.send("POST", "/_matrix/media/v3/upload?filename=lift.png", picture.getvalue(),
                                 {"Content-Type": "image/png", "Authorization": f"Bearer {sender.access_token}"})
        uploaded = await resp.json()
        self.assertEqual(resp.status, 200, uploaded)
        status, body = await self.raw(sender, "PUT", f"{V3}/rooms/{quote(room)}/send/m.room.message/img1", {
            "msgtype": "m.image", "body": "lift.png", "url": uploaded["content_uri"],
            "info": {"mimetype": "image/png", "w": 400, "h": 300, "size": len(picture.getvalue())}})
        self.assertEqual(status, 200, body)
        image_event = body["event_id"]

        # nheko's profile: signed in already (as after its login form), on this server.
        home = os.path.join(self.work, "home")
        runtime = os.path.join(self.work, "run")
        os.makedirs(os.path.join(home, ".config", "nheko"))
        os.makedirs(runtime, mode=0o700)
        with open(os.path.join(home, ".config", "nheko", "nheko.conf"), "w") as f:
            f.write(f"[auth]\naccess_token={resident['access_token']}\ndevice_id=NHEKODESKTOP\n"
                    f"home_server={self.server.url}\nuser_id={resident['user_id']}\n")
        number = free_display()
        display = self.display = f":{number}"
        self.start(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], dict(os.environ), "xvfb.log")
        await self.wait_until(self._exists(f"/tmp/.X11-unix/X{number}"), "Xvfb", timeout=30)
        env = dict(os.environ, HOME=home, DISPLAY=display, XDG_RUNTIME_DIR=runtime, QT_QUICK_BACKEND="software",
                   LANG="C.UTF-8")
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        self.start(["dbus-run-session", "--", "sh", "-c",
                    "printf ci-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; "
                    "exec nheko"], env, "nheko.log")

        # nheko signed in and set up its device: its keys are on the server.
        async def device_keys():
            status, body = await self.raw(sender, "POST", f"{V3}/keys/query",
                                          {"device_keys": {resident["user_id"]: []}})
            return body.get("device_keys", {}).get(resident["user_id"], {}).get("NHEKODESKTOP")
        keys = await self.wait_until(device_keys, "nheko's device keys")
        self.assertIn("curve25519:NHEKODESKTOP", keys["keys"])

        # Its first-run encryption dialog covers the window: "Cancel" (bottom right) closes it;
        # then the room is opened from the room list (its first entry), as a resident would.
        def xdotool(*args):
            return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=20).stdout

        window = xdotool("search", "--sync", "--onlyvisible", "--class", "nheko").split()[0]
        geometry = dict(line.split("=", 1) for line in xdotool("getwindowgeometry", "--shell", window).split())
        x, y, width, height = (int(geometry[key]) for key in ("X", "Y", "WIDTH", "HEIGHT"))
        attempts = {"n": 0}

        def open_room():
            # Now and then, with time between for nheko to open it: a click on the open room
            # closes it again.
            if attempts["n"] % 10 == 0:
                xdotool("mousemove", str(x + width - 67), str(y + height - 39), "click", "1")
                xdotool("mousemove", str(x + 130), str(y + 110), "click", "1")
            attempts["n"] += 1

        async def receipt():
            open_room()
            status, synced = await self.raw(sender, "GET", f"{V3}/sync")
            for event in synced["rooms"]["join"].get(room, {}).get("ephemeral", {}).get("events", []):
                if event["type"] == "m.receipt":
                    for event_id, by_type in event["content"].items():
                        if resident["user_id"] in by_type.get("m.read", {}):
                            return event_id
            return None
        self.assertEqual(await self.wait_until(receipt, "nheko's read receipt"), image_event)

        # The picture is on screen: a few seconds for the thumbnail to load, then the screenshot.
        attempts["n"] = 1

        async def shows_the_image():
            shot = screenshot(display)
            reds = sum(1 for r, g, b in shot.getdata() if r > 180 and g < 60 and b < 60)
            if reds > 2000:
                return shot
            open_room()
            return None
        shot = await self.wait_until(shows_the_image, "the image on nheko's screen", timeout=60)
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot.save(os.path.join(ARTIFACTS, "nheko.png"))

    @staticmethod
    def _exists(path):
        async def check():
            return os.path.exists(path)
        return check
