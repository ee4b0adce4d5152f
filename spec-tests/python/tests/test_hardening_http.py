"""Hardening of the HTTP edge and of the signing key (issue 5).

- RFC 9112 §6.1/§6.3: a Transfer-Encoding other than a single final `chunked` cannot be framed
  by this server; it is answered 400 and the connection closed, never read as an empty body
  followed by another request (request smuggling).
- client-server API: a request body that must be JSON and is empty is 400 M_NOT_JSON; endpoints
  that clients call without a body (logout, join, leave) still accept an empty one.
- docs/configuration.md: limits.max_connections_per_address closes connections beyond it at
  accept; a signing.key that is there but unusable makes the server refuse to start (exit 5).
"""

import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import unittest

from nio import RoomPreset

from harness import DomovoyServer, DomovoyTestCase, SERVER_NAME, _binary, q

VERSIONS = b"GET /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\n\r\n"


def read_until_closed(sock, timeout=8.0):
    """Everything the server sends until it closes; (bytes, closed?)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except ConnectionResetError:
        return data, True
    except socket.timeout:
        return data, False


def split_responses(data):
    """[(status, body bytes)] of the HTTP/1.1 responses in `data` (Content-Length framed)."""
    responses = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError(f"truncated response: {data!r}")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        responses.append((status, rest[:length]))
        data = rest[length:]
    return responses


class TestTransferEncoding(DomovoyTestCase):

    def exchange(self, request):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as sock:
            sock.sendall(request)
            data, closed = read_until_closed(sock)
        return split_responses(data), closed

    def assertRefused(self, request, what):
        responses, closed = self.exchange(request)
        self.assertEqual(len(responses), 1, f"{what}: expected exactly one answer, got {responses!r}")
        status, body = responses[0]
        self.assertEqual(status, 400, f"{what}: {body!r}")
        parsed = json.loads(body)
        self.assertEqual(parsed.get("errcode"), "M_UNKNOWN", parsed)
        self.assertEqual(parsed.get("error"), "Unsupported Transfer-Encoding", parsed)
        self.assertTrue(closed, f"{what}: the connection must be closed after the 400")

    async def test_only_a_single_final_chunked_is_accepted(self):
        # Control: a chunked request and a pipelined one behind it are both answered.
        responses, _ = self.exchange(
            b"GET /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + VERSIONS.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        self.assertEqual([status for status, _ in responses], [200, 200], responses)

        for coding in (b"gzip", b"chunked, gzip", b"gzip, chunked", b"chunked;q=1", b"identity", b"chunked, chunked"):
            self.assertRefused(
                b"GET /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\n"
                b"Transfer-Encoding: " + coding + b"\r\n\r\n0\r\n\r\n" + VERSIONS,
                f"Transfer-Encoding: {coding.decode()}")

    async def test_two_transfer_encoding_fields_are_refused(self):
        self.assertRefused(
            b"GET /_matrix/client/versions HTTP/1.1\r\nHost: localhost\r\n"
            b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + VERSIONS,
            "gzip then chunked in two fields")

    async def test_transfer_encoding_with_content_length_is_refused(self):
        for order in ((b"Transfer-Encoding: gzip", b"Content-Length: 2"),
                      (b"Content-Length: 2", b"Transfer-Encoding: gzip")):
            self.assertRefused(
                b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: localhost\r\n"
                + b"\r\n".join(order) + b"\r\nContent-Type: application/json\r\n\r\n{}" + VERSIONS,
                b" + ".join(order).decode())

    async def test_transfer_encoding_in_http_1_0_is_refused(self):
        self.assertRefused(
            b"GET /_matrix/client/versions HTTP/1.0\r\nHost: localhost\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + VERSIONS,
            "HTTP/1.0 with Transfer-Encoding")


class TestEmptyBody(DomovoyTestCase):

    async def assertNotJson(self, client, method, path):
        status, body = await self.raw(client, method, path)  # no body at all
        self.assertRawError(status, body, "M_NOT_JSON", 400, f"{method} {path} with an empty body")

    async def test_empty_body_is_not_json_where_json_is_required(self):
        alice = await self.register("emptybody")
        room_id = await self.create_room(alice)
        await self.assertNotJson(alice, "PUT", f"/_matrix/client/v3/rooms/{q(room_id)}/send/m.room.message/empty1")
        await self.assertNotJson(alice, "PUT", f"/_matrix/client/v3/rooms/{q(room_id)}/state/org.example.empty/")
        await self.assertNotJson(alice, "PUT", f"/_matrix/client/v3/user/{q(alice.user_id)}/account_data/org.example.empty")
        await self.assertNotJson(
            alice, "PUT", f"/_matrix/client/v3/user/{q(alice.user_id)}/rooms/{q(room_id)}/account_data/org.example.e")
        await self.assertNotJson(alice, "POST", "/_matrix/client/v3/createRoom")
        # Nothing of the refused requests was stored.
        state = await alice.room_get_state(room_id)
        self.assertNotIn("org.example.empty", [event["type"] for event in state.events])

        # The endpoints clients call without a body still accept an empty one.
        public = await self.create_room(alice, preset=RoomPreset.public_chat)
        bob = await self.register("emptyok")
        for path in (f"/_matrix/client/v3/rooms/{q(public)}/join", f"/_matrix/client/v3/rooms/{q(public)}/leave",
                     f"/_matrix/client/v3/join/{q(public)}", "/_matrix/client/v3/logout"):
            status, body = await self.raw(bob, "POST", path)
            self.assertEqual(status, 200, f"POST {path} with an empty body: {body!r}")


class TestConnectionsPerAddress(DomovoyTestCase):
    server_config = "limits:\n  max_connections_per_address: 3\n"

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        self.addCleanup(sock.close)
        return sock

    def get_versions(self, sock):
        sock.sendall(VERSIONS)
        sock.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

    async def test_connections_beyond_the_cap_are_closed_at_accept(self):
        held = [self.connect() for _ in range(3)]
        # The three count once the server answers on them (it accepts in order).
        for sock in held:
            self.assertTrue(self.get_versions(sock).startswith(b"HTTP/1.1 200"))
        extra = self.connect()
        try:
            extra.sendall(VERSIONS)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, closed = read_until_closed(extra, timeout=5)
        self.assertTrue(closed, "the fourth connection from one address must be closed")
        self.assertEqual(data, b"", "and get no answer")
        for sock in held:
            self.assertTrue(self.get_versions(sock).startswith(b"HTTP/1.1 200"), "the others keep working")

        # A closed connection frees its place (the server notices the close asynchronously).
        held[0].close()
        deadline = time.monotonic() + 10
        while True:
            sock = self.connect()
            try:
                if self.get_versions(sock).startswith(b"HTTP/1.1 200"):
                    break
            except (ConnectionResetError, BrokenPipeError, socket.timeout):
                pass
            sock.close()
            if time.monotonic() > deadline:
                self.fail("a place freed by a closed connection was never reused")
            time.sleep(0.1)


class TestSigningKeyFile(unittest.TestCase):

    def test_signing_key_is_private(self):
        server = DomovoyServer().start()
        try:
            data_dir = os.path.join(server.tmp, "data")
            mode = stat.S_IMODE(os.stat(os.path.join(data_dir, "signing.key")).st_mode)
        finally:
            server.stop()
        self.assertEqual(mode, 0o600, oct(mode))

    def start_with(self, prepare):
        """Runs the server on a data dir prepared by `prepare(path of signing.key)`."""
        tmp = tempfile.mkdtemp(prefix="domovoy-nio-key-")
        self.addCleanup(shutil.rmtree, tmp, True)
        data_dir = os.path.join(tmp, "data")
        os.makedirs(data_dir)
        key_path = os.path.join(data_dir, "signing.key")
        prepare(key_path)
        try:
            proc = subprocess.run(
                [_binary(), "serve", "--server-name", SERVER_NAME, "--listen", "127.0.0.1:0",
                 "--data-dir", data_dir, "--no-rate-limits"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired as error:
            self.fail(f"the server started with an unusable signing.key: {error.stdout!r}")
        return proc, key_path

    def assertRefusedToStart(self, proc):
        self.assertEqual(proc.returncode, 5, f"stdout {proc.stdout!r} stderr {proc.stderr!r}")
        self.assertNotIn("listening on", proc.stdout)
        self.assertIn("refusing to start", proc.stderr)
        self.assertIn("signing.key", proc.stderr)

    def test_empty_signing_key_is_refused(self):
        proc, key_path = self.start_with(lambda path: open(path, "w").close())
        self.assertRefusedToStart(proc)
        self.assertEqual(os.path.getsize(key_path), 0, "no new key written over it")

    def test_malformed_signing_key_is_refused(self):
        line = "ed25519 a:b/c nDDSLRGMhW+ESgyHOBK0oqCKbRH3ROzvsJdjzcP0sP0\n"  # not a key version

        def prepare(path):
            with open(path, "w") as f:
                f.write(line)
        proc, key_path = self.start_with(prepare)
        self.assertRefusedToStart(proc)
        with open(key_path) as f:
            self.assertEqual(f.read(), line)

    def test_directory_named_signing_key_is_refused(self):
        proc, key_path = self.start_with(os.mkdir)
        self.assertRefusedToStart(proc)
        self.assertTrue(os.path.isdir(key_path))

    def test_dangling_symlink_signing_key_is_refused(self):
        proc, key_path = self.start_with(lambda path: os.symlink(path + ".elsewhere", path))
        self.assertRefusedToStart(proc)
        self.assertTrue(os.path.islink(key_path), "the symlink was not replaced by a new key")
        self.assertFalse(os.path.exists(key_path + ".elsewhere"))


if __name__ == "__main__":
    unittest.main()
