"""The content repository: uploads through nio and raw, authenticated downloads and thumbnails
(/_matrix/client/v1/media), asynchronous uploads (create + PUT), the legacy unauthenticated
endpoints frozen by date, and bad input (too large, unknown, not an image, decompression bomb,
header injection). Spec: authed-content-repo.yaml, content-repo.yaml, "Content repository".
Images are made with Pillow (python3-pil) and checked by decoding the thumbnails."""

import asyncio
import hashlib
import io
import os
import struct
import zlib

from PIL import Image

from harness import DomovoyTestCase, DomovoyServer

MEDIA = "/_matrix/client/v1/media"


def image_bytes(fmt, size=(400, 300), color=(200, 30, 30), frames=1):
    out = io.BytesIO()
    if frames > 1:
        images = [Image.new("RGB", size, (i * 40 % 256, 100, 150)) for i in range(frames)]
        images[0].save(out, format=fmt, save_all=True, append_images=images[1:], duration=100, loop=0)
    else:
        Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def png_bomb(width=30000, height=30000):
    """A valid PNG header claiming width x height, with a tiny (truncated) body."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class MediaTestCase(DomovoyTestCase):

    async def upload_raw(self, client, data, content_type="image/png", filename=None, path="/_matrix/media/v3/upload"):
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {client.access_token}"}
        if filename is not None:
            from urllib.parse import quote
            path = f"{path}?filename={quote(filename)}"
        resp = await client.send("POST", path, data, headers)
        return resp.status, await resp.json(content_type=None)

    async def get(self, client, path, token=True):
        headers = {"Authorization": f"Bearer {client.access_token}"} if token else {}
        resp = await client.send("GET", path, None, headers)
        return resp, await resp.read()

    @staticmethod
    def media_path(uri):
        assert uri.startswith("mxc://"), uri
        server, media_id = uri[len("mxc://"):].split("/", 1)
        return server, media_id


class TestMedia(MediaTestCase):
    server_config = "media:\n  max_upload_mb: 1\n  quota_mb_per_user: 3\n"

    async def test_upload_download_and_headers(self):
        alice = await self.register("alice")
        data = image_bytes("PNG")
        # nio's own upload (it uses the legacy r0 path, which still takes uploads).
        resp, _ = await alice.upload(lambda *_: io.BytesIO(data), content_type="image/png", filename="лифт.png",
                                     filesize=len(data))
        self.assertOk(resp, "UploadResponse", "nio upload")
        server, media_id = self.media_path(resp.content_uri)
        self.assertEqual(server, "localhost")
        got, body = await self.get(alice, f"{MEDIA}/download/{server}/{media_id}")
        self.assertEqual(got.status, 200)
        self.assertEqual(body, data)
        self.assertEqual(got.headers["Content-Type"], "image/png")
        self.assertTrue(got.headers["Content-Disposition"].startswith("inline"), got.headers["Content-Disposition"])
        self.assertIn("filename*=utf-8''%D0%BB%D0%B8%D1%84%D1%82.png", got.headers["Content-Disposition"])
        self.assertEqual(got.headers["X-Content-Type-Options"], "nosniff")
        self.assertIn("sandbox", got.headers["Content-Security-Policy"])
        # A name in the path overrides the stored one.
        got, body = await self.get(alice, f"{MEDIA}/download/{server}/{media_id}/other.png")
        self.assertIn("other.png", got.headers["Content-Disposition"])
        # Without a token: 401; the legacy unauthenticated endpoints serve none of it.
        got, body = await self.get(alice, f"{MEDIA}/download/{server}/{media_id}", token=False)
        self.assertEqual(got.status, 401)
        for legacy in ("/_matrix/media/v3", "/_matrix/media/r0"):
            got, body = await self.get(alice, f"{legacy}/download/{server}/{media_id}", token=False)
            self.assertEqual(got.status, 404, legacy)

        # An unsafe type is an attachment, never inline.
        status, uploaded = await self.upload_raw(alice, b"<script>alert(1)</script>", "text/html", "x.html")
        self.assertEqual(status, 200, uploaded)
        got, body = await self.get(alice, f"{MEDIA}/download/localhost/{self.media_path(uploaded['content_uri'])[1]}")
        self.assertTrue(got.headers["Content-Disposition"].startswith("attachment"))
        self.assertEqual(got.headers["Content-Type"], "text/html")

        # The same bytes twice: two media ids, one file on disk.
        status, again = await self.upload_raw(alice, data, "image/png")
        self.assertNotEqual(again["content_uri"], resp.content_uri)
        media_root = os.path.join(self.server.tmp, "data", "media")
        files = [f for root, _, names in os.walk(media_root) for f in names]
        self.assertEqual(files.count(hashlib.sha256(data).hexdigest()), 1, "the PNG's bytes are stored once")

        status, config = await self.raw(alice, "GET", f"{MEDIA}/config")
        self.assertEqual((status, config["m.upload.size"]), (200, 1 << 20))

    async def test_bad_input(self):
        alice = await self.register("alice")
        status, body = await self.upload_raw(alice, b"x" * ((1 << 20) + 1), "application/octet-stream")
        self.assertRawError(status, body, "M_TOO_LARGE", 413, "upload over the limit")
        got, body = await self.get(alice, f"{MEDIA}/download/localhost/NoSuchMedia")
        self.assertEqual(got.status, 404)
        for bad in ("..%2F..%2Fdb", "a.b", "%00"):
            got, body = await self.get(alice, f"{MEDIA}/download/localhost/{bad}")
            self.assertIn(got.status, (400, 404), bad)
        status, body = await self.upload_raw(alice, b"abc", "text/plain", "evil\r\nSet-Cookie: x=1")
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "header injection in the file name")
        # Not an image: the thumbnail is refused, the original still downloads.
        status, uploaded = await self.upload_raw(alice, b"not really a png", "image/png", "fake.png")
        media_id = self.media_path(uploaded["content_uri"])[1]
        status, body = await self.raw(alice, "GET", f"{MEDIA}/thumbnail/localhost/{media_id}",
                                      query={"width": 32, "height": 32})
        self.assertEqual(status, 400, body)
        got, raw = await self.get(alice, f"{MEDIA}/download/localhost/{media_id}")
        self.assertEqual((got.status, raw), (200, b"not really a png"))
        # A decompression bomb: refused from its header, and the server is still there.
        status, uploaded = await self.upload_raw(alice, png_bomb(), "image/png", "bomb.png")
        self.assertEqual(status, 200, uploaded)
        media_id = self.media_path(uploaded["content_uri"])[1]
        status, body = await self.raw(alice, "GET", f"{MEDIA}/thumbnail/localhost/{media_id}",
                                      query={"width": 320, "height": 240})
        self.assertRawError(status, body, "M_TOO_LARGE", 413, "decompression bomb")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/account/whoami")
        self.assertEqual(status, 200)
        status, body = await self.raw(alice, "GET", f"{MEDIA}/thumbnail/localhost/{media_id}", query={"width": 32})
        self.assertEqual(status, 400, body)
        status, body = await self.raw(alice, "GET", f"{MEDIA}/thumbnail/localhost/{media_id}",
                                      query={"width": 32, "height": 32, "method": "stretch"})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "unknown method")

    async def test_quota(self):
        bob = await self.register("bob")
        chunk = os.urandom(900 * 1024)
        for _ in range(3):
            status, body = await self.upload_raw(bob, os.urandom(900 * 1024), "application/octet-stream")
            self.assertEqual(status, 200, body)
        status, body = await self.upload_raw(bob, chunk, "application/octet-stream")
        self.assertRawError(status, body, "M_TOO_LARGE", 413, "past the quota")

    async def test_thumbnails(self):
        alice = await self.register("alice")
        cases = [("JPEG", "image/jpeg", 1), ("PNG", "image/png", 1), ("WEBP", "image/webp", 1), ("GIF", "image/gif", 1)]
        for fmt, content_type, _ in cases:
            status, uploaded = await self.upload_raw(alice, image_bytes(fmt, size=(1000, 500)), content_type)
            media_id = self.media_path(uploaded["content_uri"])[1]
            for width, height, method, box in ((32, 32, "crop", (32, 32)), (96, 96, "crop", (96, 96)),
                                               (300, 200, "scale", (320, 240))):
                got, body = await self.get(
                    alice, f"{MEDIA}/thumbnail/localhost/{media_id}?width={width}&height={height}&method={method}")
                self.assertEqual(got.status, 200, (fmt, method, body[:200]))
                self.assertIn(got.headers["Content-Type"], ("image/jpeg", "image/png"))
                self.assertTrue(got.headers["Content-Disposition"].startswith("inline"))
                thumb = Image.open(io.BytesIO(body))
                if method == "crop":
                    self.assertEqual(thumb.size, box, fmt)
                else:  # fits the box, keeps the 2:1 aspect
                    self.assertEqual(thumb.size, (320, 160), fmt)
        # An animated GIF: animated=true keeps the frames (as WebP), otherwise a still image.
        status, uploaded = await self.upload_raw(alice, image_bytes("GIF", size=(200, 200), frames=4), "image/gif")
        media_id = self.media_path(uploaded["content_uri"])[1]
        got, body = await self.get(alice, f"{MEDIA}/thumbnail/localhost/{media_id}?width=96&height=96&method=crop&animated=true")
        self.assertEqual(got.headers["Content-Type"], "image/webp")
        self.assertGreater(getattr(Image.open(io.BytesIO(body)), "n_frames", 1), 1)
        got, body = await self.get(alice, f"{MEDIA}/thumbnail/localhost/{media_id}?width=96&height=96&method=crop")
        self.assertNotEqual(got.headers["Content-Type"], "image/webp")
        self.assertEqual(getattr(Image.open(io.BytesIO(body)), "n_frames", 1), 1)
        # A thumbnail is made once: the second answer is the same bytes.
        first, one = await self.get(alice, f"{MEDIA}/thumbnail/localhost/{media_id}?width=30&height=30&method=crop")
        second, two = await self.get(alice, f"{MEDIA}/thumbnail/localhost/{media_id}?width=32&height=32&method=crop")
        self.assertEqual(one, two)

    async def test_asynchronous_upload(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        status, created = await self.raw(alice, "POST", "/_matrix/media/v1/create", {})
        self.assertEqual(status, 200, created)
        self.assertGreater(created["unused_expires_at"], 0)
        server, media_id = self.media_path(created["content_uri"])
        # Not uploaded yet: a download that will not wait answers M_NOT_YET_UPLOADED.
        status, body = await self.raw(alice, "GET", f"{MEDIA}/download/{server}/{media_id}", query={"timeout_ms": 0})
        self.assertRawError(status, body, "M_NOT_YET_UPLOADED", 504, "before the upload")
        path = f"/_matrix/media/v3/upload/{server}/{media_id}"
        resp = await bob.send("PUT", path, b"bob's", {"Content-Type": "text/plain", "Authorization": f"Bearer {bob.access_token}"})
        self.assertEqual(resp.status, 403, "another user's media id")
        resp = await alice.send("PUT", path, b"hello", {"Content-Type": "text/plain",
                                                        "Authorization": f"Bearer {alice.access_token}"})
        self.assertEqual(resp.status, 200, await resp.text())
        resp = await alice.send("PUT", path, b"again", {"Content-Type": "text/plain",
                                                        "Authorization": f"Bearer {alice.access_token}"})
        body = await resp.json(content_type=None)
        self.assertRawError(resp.status, body, "M_CANNOT_OVERWRITE_MEDIA", 409, "second upload")
        got, data = await self.get(bob, f"{MEDIA}/download/{server}/{media_id}")
        self.assertEqual((got.status, data), (200, b"hello"))


class TestLegacyMediaBeforeFreeze(MediaTestCase):
    """With a freeze date in the future, the legacy unauthenticated download still serves
    (as for media from before the spec's authenticated media), so nio's own download works."""
    server_config = "media:\n  legacy_unauthenticated_before_ms: 99999999999999\n"

    async def test_nio_download(self):
        alice = await self.register("alice")
        data = image_bytes("JPEG")
        resp, _ = await alice.upload(lambda *_: io.BytesIO(data), content_type="image/jpeg", filename="a.jpg",
                                     filesize=len(data))
        self.assertOk(resp, "UploadResponse", "nio upload")
        server, media_id = self.media_path(resp.content_uri)
        downloaded = await alice.download(mxc=resp.content_uri)
        self.assertOk(downloaded, "DownloadResponse", "nio download (legacy r0)")
        self.assertEqual(downloaded.body, data)
        thumb = await alice.thumbnail(server, media_id, 96, 96)
        self.assertOk(thumb, "ThumbnailResponse", "nio thumbnail (legacy r0)")
        # 96 x 96 scaled: the smallest recommended scale size that covers it is 320 x 240.
        self.assertEqual(Image.open(io.BytesIO(thumb.body)).size, (320, 240))


def peak_memory_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


class TestSpooledUploads(MediaTestCase):
    """Uploads go to a file as they arrive (content-repo "Per-user upload quota ... streaming"):
    the server's peak memory does not grow with the size of an upload, and no spooled file is
    left behind by an upload that succeeded, was refused or was cut off."""
    server_config = "media:\n  max_upload_mb: 64\n  quota_mb_per_user: 100\n"

    def spool_files(self):
        return os.listdir(os.path.join(self.server.tmp, "data", "media", "tmp"))

    async def wait_for_empty_spool(self):
        for _ in range(200):
            if not self.spool_files():
                return
            await asyncio.sleep(0.05)
        self.fail(f"spooled files left behind: {self.spool_files()}")

    async def test_large_upload_is_not_held_in_memory(self):
        alice = await self.register("alice")
        status, body = await self.upload_raw(alice, b"warm-up", "text/plain")
        self.assertEqual(status, 200, body)
        before = peak_memory_kib(self.server.proc.pid)
        piece = os.urandom(1 << 20)
        data = piece * 48  # 48 MiB
        status, body = await self.upload_raw(alice, data, "application/octet-stream", filename="scan.bin")
        self.assertEqual(status, 200, body)
        grown_mib = (peak_memory_kib(self.server.proc.pid) - before) / 1024
        # Held in memory, the body alone would add 48 MiB to the peak.
        self.assertLess(grown_mib, 16, f"peak memory grew by {grown_mib:.1f} MiB for a 48 MiB upload")
        await self.wait_for_empty_spool()
        server, media_id = self.media_path(body["content_uri"])
        got, downloaded = await self.get(alice, f"{MEDIA}/download/{server}/{media_id}")
        self.assertEqual(got.status, 200)
        self.assertEqual(len(downloaded), len(data))
        self.assertEqual(hashlib.sha256(downloaded).digest(), hashlib.sha256(data).digest())

    async def test_chunked_upload(self):
        alice = await self.register("alice")
        data = os.urandom(300000)

        async def pieces():
            for start in range(0, len(data), 70000):
                yield data[start:start + 70000]
        resp = await alice.send("POST", "/_matrix/media/v3/upload", pieces(),
                                {"Content-Type": "application/octet-stream",
                                 "Authorization": f"Bearer {alice.access_token}"})
        body = await resp.json(content_type=None)
        self.assertEqual(resp.status, 200, body)
        server, media_id = self.media_path(body["content_uri"])
        got, downloaded = await self.get(alice, f"{MEDIA}/download/{server}/{media_id}")
        self.assertEqual((got.status, downloaded), (200, data))

    async def test_refused_uploads_leave_no_file(self):
        alice = await self.register("alice")
        # Over the quota (100 MiB): 60 MiB is taken, another 60 MiB is refused once it has arrived.
        big = os.urandom(1 << 20) * 60
        status, body = await self.upload_raw(alice, big, "application/octet-stream")
        self.assertEqual(status, 200, body)
        status, body = await self.upload_raw(alice, big[::-1], "application/octet-stream")
        self.assertRawError(status, body, "M_TOO_LARGE", 413, "upload past the quota")
        await self.wait_for_empty_spool()
        # A bad token: refused once the body has arrived, and the body goes.
        resp = await alice.send("POST", "/_matrix/media/v3/upload", b"x" * 100000,
                                {"Content-Type": "text/plain", "Authorization": "Bearer nonsense"})
        body = await resp.json(content_type=None)
        self.assertRawError(resp.status, body, "M_UNKNOWN_TOKEN", 401, "bad token")
        await self.wait_for_empty_spool()
        # An asynchronous upload to another user's media id.
        bob = await self.register("bob")
        resp = await bob.send("POST", "/_matrix/media/v1/create", b"{}",
                              {"Authorization": f"Bearer {bob.access_token}", "Content-Type": "application/json"})
        server, media_id = self.media_path((await resp.json(content_type=None))["content_uri"])
        resp = await alice.send("PUT", f"/_matrix/media/v3/upload/{server}/{media_id}", b"not yours",
                                {"Content-Type": "text/plain", "Authorization": f"Bearer {alice.access_token}"})
        body = await resp.json(content_type=None)
        self.assertRawError(resp.status, body, "M_FORBIDDEN", 403, "another user's media id")
        await self.wait_for_empty_spool()

    async def test_cut_off_upload_leaves_no_file(self):
        alice = await self.register("alice")
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        writer.write((f"POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: localhost\r\n"
                      f"Authorization: Bearer {alice.access_token}\r\nContent-Type: text/plain\r\n"
                      f"Content-Length: {10 << 20}\r\n\r\n").encode())
        writer.write(b"y" * (1 << 20))
        await writer.drain()
        # The arriving body is on disk, not in memory...
        for _ in range(200):
            if self.spool_files():
                break
            await asyncio.sleep(0.05)
        self.assertEqual(len(self.spool_files()), 1, "the upload in progress is spooled to a file")
        # ...and goes when the client does.
        writer.close()
        await writer.wait_closed()
        await self.wait_for_empty_spool()
        # The server still answers.
        status, body = await self.upload_raw(alice, b"after", "text/plain")
        self.assertEqual(status, 200, body)

    async def test_expect_continue(self):
        """curl sends `Expect: 100-continue` before a body of a megabyte and waits for the go-ahead
        (RFC 9110 §10.1.1); the server gives it before reading the body."""
        alice = await self.register("alice")
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        body = b"z" * 5000
        writer.write((f"POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: localhost\r\n"
                      f"Authorization: Bearer {alice.access_token}\r\nContent-Type: text/plain\r\n"
                      f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n").encode())
        await writer.drain()
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue"), interim)
        writer.write(body)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        writer.close()
        await writer.wait_closed()
