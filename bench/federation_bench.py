"""Federation figures between two Domovoy processes on this machine (bench/run-federation.sh):
msk and spb federate over TLS on loopback with a CA made here; clients talk plain HTTP to each
server's client listener with Python's standard library.

  1. PDUs per second: alice (msk) sends N messages, 8 at once, each a durable 200, into a room
     bob (spb) is in; the rate is N over the time from the first send until spb has a marker
     sent after the last (delivery to a destination is in order).
  2. Send -> remote /sync latency: bob long-polls /sync on spb; alice sends one message at a
     time; the time from her send to bob's /sync returning it, p50 and p99.
  3. Remote join: a room of msk with MEMBERS members and EVENTS messages; a user of spb joins it
     by id (make_join, send_join with the whole state and auth chain, every event checked).
  4. Catch-up: spb is stopped, alice sends CATCHUP messages, spb starts again and bob sends one
     message (spb calls msk, which then retries at once); the time from spb's start until spb
     has the last of them.

usage: federation_bench.py DOMOVOY_BINARY
env: PDUS=5000 LATENCY_SAMPLES=200 MEMBERS=1000 EVENTS=10000 CATCHUP=10000 CONCURRENCY=8
"""

import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

BINARY = sys.argv[1]
PDUS = int(os.environ.get("PDUS", "5000"))
LATENCY_SAMPLES = int(os.environ.get("LATENCY_SAMPLES", "200"))
MEMBERS = int(os.environ.get("MEMBERS", "1000"))
EVENTS = int(os.environ.get("EVENTS", "10000"))
CATCHUP = int(os.environ.get("CATCHUP", "10000"))
CONCURRENCY = int(os.environ.get("CONCURRENCY", "8"))
PASSWORD = "bench-password-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class Server:
    def __init__(self, work, name, port, allow):
        self.work, self.name, self.port, self.allow = work, name, port, allow
        self.server_name = f"{name}.localhost:{port}"
        self.data = os.path.join(work, f"{name}-data")
        self.proc = None
        self.client_port = None

    def start(self):
        log = open(os.path.join(self.work, f"{self.name}.out"), "a")
        args = [BINARY, "serve", "--config", os.path.join(self.work, "bench.yaml"), "--server-name", self.server_name,
                "--listen", "127.0.0.1:0", "--data-dir", self.data, "--no-rate-limits", "--log-level", "warn",
                "--federation-listen", f"127.0.0.1:{self.port}",
                "--tls-cert", os.path.join(self.work, f"{self.name}.pem"),
                "--tls-key", os.path.join(self.work, f"{self.name}.key"),
                "--federation-ca", os.path.join(self.work, "ca.pem"),
                "--federation-allow-ip", "127.0.0.0/8", "--federation-allow", self.allow]
        started = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
        for line in self.proc.stdout:
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
            if match:
                self.client_port = int(match.group(1))
                break
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        if not self.client_port:
            raise RuntimeError(f"{self.name} did not start")
        return started

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
            self.proc = None


class Client:
    def __init__(self, server):
        self.server = server
        self.token = None
        self.user_id = None
        self.connection = None
        self.txn = 0

    def request(self, method, path, body=None, timeout=120):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.server.client_port, timeout=timeout)
            headers = {"Content-Type": "application/json"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            try:
                self.connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
                response = self.connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
                continue
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
            return json.loads(data) if data else {}

    def register(self, name):
        answer = self.request("POST", "/_matrix/client/v3/register",
                              {"username": name, "password": PASSWORD, "auth": {"type": "m.login.dummy"}})
        self.token, self.user_id = answer["access_token"], answer["user_id"]
        return self

    def send(self, room_id, body):
        self.txn += 1
        path = f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/send/m.room.message/{self.txn}.{time.monotonic_ns()}"
        return self.request("PUT", path, {"msgtype": "m.text", "body": body})["event_id"]

    def latest_body(self, room_id):
        answer = self.request("GET", f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/messages?dir=b&limit=1")
        chunk = answer.get("chunk", [])
        return chunk[0].get("content", {}).get("body") if chunk else None

    def wait_for_body(self, room_id, body, limit_s=600):
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self.latest_body(room_id) == body:
                return time.monotonic()
            time.sleep(0.005)
        raise RuntimeError(f"{body!r} never arrived on {self.server.name}")


def make_certificates(work):
    def run(*args):
        subprocess.run(args, check=True, capture_output=True, cwd=work)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=Bench CA")
    for name in ("msk", "spb"):
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={name}.localhost")
        with open(os.path.join(work, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName=DNS:{name}.localhost\n")
        run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")


def public_room(alice):
    room_id = alice.request("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"})["room_id"]
    return room_id


def join_remote(bob, room_id, via):
    started = time.monotonic()
    bob.request("POST", f"/_matrix/client/v3/join/{urllib.parse.quote(room_id)}?server_name={urllib.parse.quote(via)}", {})
    return time.monotonic() - started


def send_many(senders, room_id, count, prefix):
    # One client per thread, each sending its share back to back on its own kept-alive connection.
    def share(index):
        for i in range(index, count, len(senders)):
            senders[index].send(room_id, f"{prefix} {i}")
    with concurrent.futures.ThreadPoolExecutor(len(senders)) as pool:
        list(pool.map(share, range(len(senders))))


def main():
    work = tempfile.mkdtemp(prefix="domovoy-fed-bench-")
    with open(os.path.join(work, "bench.yaml"), "w") as f:
        f.write("password_hashing: {ops_limit: 1, mem_limit_mb: 8}\n"
                "limits: {max_connections: 30000, max_connections_per_address: 30000}\n")
    make_certificates(work)
    msk_port, spb_port = free_port(), free_port()
    msk = Server(work, "msk", msk_port, f"spb.localhost:{spb_port}")
    spb = Server(work, "spb", spb_port, f"msk.localhost:{msk_port}")
    try:
        msk.start()
        spb.start()
        alice = Client(msk).register("alice")
        bob = Client(spb).register("bob")
        room_id = public_room(alice)
        join_remote(bob, room_id, msk.server_name)
        senders = [Client(msk).register(f"sender{i}") for i in range(CONCURRENCY)]
        for sender in senders:
            sender.request("POST", f"/_matrix/client/v3/join/{urllib.parse.quote(room_id)}", {})
        alice.send(room_id, "warm-up")
        bob.wait_for_body(room_id, "warm-up")

        # 1. PDUs per second.
        started = time.monotonic()
        send_many(senders, room_id, PDUS, "throughput")
        sent = time.monotonic()
        alice.send(room_id, "throughput marker")
        arrived = bob.wait_for_body(room_id, "throughput marker")
        print(f"pdus: {PDUS + 1} sent in {sent - started:.2f} s ({PDUS / (sent - started):.0f}/s at msk), "
              f"all at spb after {arrived - started:.2f} s: {(PDUS + 1) / (arrived - started):.0f} PDUs/s", flush=True)

        # 2. Send -> remote /sync latency.
        since = bob.request("GET", "/_matrix/client/v3/sync?timeout=0")["next_batch"]
        watcher = Client(spb)
        watcher.token = bob.token
        latencies = []
        for i in range(LATENCY_SAMPLES):
            body = f"latency {i}"
            seen = threading.Event()
            result = {}

            def poll():
                nonlocal since
                while not seen.is_set():
                    answer = watcher.request("GET", f"/_matrix/client/v3/sync?since={urllib.parse.quote(since)}"
                                                    f"&timeout=10000")
                    since = answer["next_batch"]
                    room = answer.get("rooms", {}).get("join", {}).get(room_id, {})
                    for event in room.get("timeline", {}).get("events", []):
                        if event.get("content", {}).get("body") == body:
                            result["at"] = time.monotonic()
                            seen.set()
            thread = threading.Thread(target=poll)
            thread.start()
            time.sleep(0.02)  # the long-poll is waiting
            before = time.monotonic()
            alice.send(room_id, body)
            thread.join(30)
            latencies.append((result["at"] - before) * 1000)
        print(f"send -> remote /sync: p50 {statistics.median(latencies):.1f} ms, "
              f"p99 {percentile(latencies, 0.99):.1f} ms over {len(latencies)}", flush=True)

        # 3. Remote join of a big room.
        big = public_room(alice)
        members = [Client(msk).register(f"member{i}") for i in range(MEMBERS - 1)]
        def join(member):
            member.request("POST", f"/_matrix/client/v3/join/{urllib.parse.quote(big)}", {})
        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(join, members))
        send_many(members[:CONCURRENCY], big, EVENTS - MEMBERS - 6, "history")
        joiner = Client(spb).register("joiner")
        took = join_remote(joiner, big, msk.server_name)
        state = joiner.request("GET", f"/_matrix/client/v3/rooms/{urllib.parse.quote(big)}/joined_members")
        print(f"remote join: a room of {len(state['joined'])} members and ~{EVENTS} events joined in {took:.2f} s",
              flush=True)

        # 4. Catch-up after missed events.
        spb.stop()
        send_many(senders, room_id, CATCHUP, "missed")
        alice.send(room_id, "catch-up marker")
        restarted = spb.start()
        bob.connection = None
        bob.send(room_id, "back")
        arrived = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            answer = bob.request("GET", f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/messages?dir=b&limit=5")
            if any(e.get("content", {}).get("body") == "catch-up marker" for e in answer.get("chunk", [])):
                arrived = time.monotonic()
                break
            time.sleep(0.01)
        if arrived is None:
            raise RuntimeError("the catch-up marker never arrived")
        print(f"catch-up: {CATCHUP + 1} missed events at spb {arrived - restarted:.2f} s after its restart "
              f"(start-up included)", flush=True)
    finally:
        for server in (spb, msk):
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - best effort on the way out
                if server.proc:
                    server.proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
