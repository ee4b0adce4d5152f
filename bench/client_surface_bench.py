"""Figures of the client surface on a running server (bench/run-client-surface.sh starts it):
media upload and download throughput, thumbnail time per image, and keys/query for a user with
100 devices. Python's standard library over loopback, N requests at once with threads.

usage: client_surface_bench.py BASE_URL
"""

import concurrent.futures
import http.client
import io
import json
import os
import statistics
import sys
import time
import urllib.parse

from PIL import Image

BASE = sys.argv[1].rstrip("/")
HOST = urllib.parse.urlparse(BASE)
CONCURRENCY = int(os.environ.get("CONCURRENCY", "8"))


def request(method, path, body=None, token=None, content_type="application/json"):
    connection = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=120)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = content_type
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return data


def register(name):
    body = {"username": name, "password": "bench-password-1", "auth": {"type": "m.login.dummy"}}
    return json.loads(request("POST", "/_matrix/client/v3/register", body))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def media(token):
    size = int(os.environ.get("MEDIA_MB", "4")) << 20
    count = int(os.environ.get("MEDIA_FILES", "48"))
    blobs = [os.urandom(size) for _ in range(4)]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        uris = list(pool.map(lambda i: json.loads(request("POST", "/_matrix/media/v3/upload", blobs[i % 4] + i.to_bytes(4, "big"),
                                                          token, "application/octet-stream"))["content_uri"], range(count)))
    upload_s = time.monotonic() - started
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        total = sum(pool.map(lambda uri: len(request("GET", "/_matrix/client/v1/media/download/" + uri[len("mxc://"):],
                                                     token=token)), uris))
    download_s = time.monotonic() - started
    mb = count * size / (1 << 20)
    print(f"media upload: {count} files of {size >> 20} MiB, {CONCURRENCY} at once: {mb / upload_s:.0f} MiB/s "
          f"({upload_s:.2f} s, durable)")
    print(f"media download: {total / (1 << 20) / download_s:.0f} MiB/s ({download_s:.2f} s)")


def thumbnails(token):
    count = int(os.environ.get("THUMBNAIL_IMAGES", "20"))
    uris = []
    for i in range(count):
        out = io.BytesIO()
        Image.effect_noise((2000, 1500), 60 + i).convert("RGB").save(out, format="JPEG", quality=90)
        uris.append(json.loads(request("POST", "/_matrix/media/v3/upload", out.getvalue(), token, "image/jpeg"))["content_uri"])
    times = []
    for uri in uris:
        started = time.monotonic()
        request("GET", "/_matrix/client/v1/media/thumbnail/" + uri[len("mxc://"):] + "?width=320&height=240&method=scale",
                token=token)
        times.append((time.monotonic() - started) * 1000)
    cached = []
    for uri in uris:
        started = time.monotonic()
        request("GET", "/_matrix/client/v1/media/thumbnail/" + uri[len("mxc://"):] + "?width=320&height=240&method=scale",
                token=token)
        cached.append((time.monotonic() - started) * 1000)
    print(f"thumbnail of a 2000x1500 JPEG (320x240 scale), made: p50 {statistics.median(times):.1f} ms, "
          f"p99 {percentile(times, 0.99):.1f} ms; cached: p50 {statistics.median(cached):.2f} ms")


def keys_query(token_of_querier):
    owner = register(f"bench-keys-{int(time.time())}")
    devices = int(os.environ.get("DEVICES", "100"))

    def add_device(i):
        login = json.loads(request("POST", "/_matrix/client/v3/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": owner["user_id"]},
            "password": "bench-password-1", "device_id": f"DEV{i:03d}"}))
        device_keys = {"user_id": owner["user_id"], "device_id": login["device_id"],
                       "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                       "keys": {f"curve25519:{login['device_id']}": "c" * 43, f"ed25519:{login['device_id']}": "e" * 43},
                       "signatures": {owner["user_id"]: {f"ed25519:{login['device_id']}": "s" * 86}}}
        request("POST", "/_matrix/client/v3/keys/upload", {"device_keys": device_keys}, login["access_token"])

    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(add_device, range(devices)))
    times = []
    body = {"device_keys": {owner["user_id"]: []}}
    for _ in range(200):
        started = time.monotonic()
        answer = json.loads(request("POST", "/_matrix/client/v3/keys/query", body, token_of_querier))
        times.append((time.monotonic() - started) * 1000)
    assert len(answer["device_keys"][owner["user_id"]]) == devices, len(answer["device_keys"][owner["user_id"]])
    print(f"keys/query of a user with {devices} devices with keys: p50 {statistics.median(times):.2f} ms, "
          f"p99 {percentile(times, 0.99):.2f} ms (200 queries, one at a time)")


def main():
    user = register(f"bench-{int(time.time())}")
    media(user["access_token"])
    thumbnails(user["access_token"])
    keys_query(user["access_token"])


if __name__ == "__main__":
    main()
