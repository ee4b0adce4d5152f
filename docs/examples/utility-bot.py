#!/usr/bin/env python3
"""A water company's appservice for Domovoy (docs/utility-bots.md), Python 3 standard library only.

  python3 utility-bot.py                  serve: the homeserver pushes transactions here
  python3 utility-bot.py publish BUILDING FROM TO [DETAILS]
                                          publish a planned outage through the housing bots' API

Settings come from the environment; AS_TOKEN and HS_TOKEN are those of utility-registration.yaml.
"""
import datetime, json, os, sys, time, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOMESERVER = os.environ.get("HOMESERVER", "http://127.0.0.1:8008")
BOTS = os.environ.get("HOUSING_BOTS", "http://127.0.0.1:9008")  # `domovoy housing --listen`
AS_TOKEN, HS_TOKEN = os.environ["AS_TOKEN"], os.environ["HS_TOKEN"]
USER_ID = os.environ.get("USER_ID", "@vodokanal:localhost")  # sender_localpart + server name
PORT = int(os.environ.get("PORT", "9100"))                   # the registration's url
OUTAGES = os.environ.get("OUTAGES_FILE", "outages.json")     # what this company has published
seen_txns, direct_rooms = set(), set()                         # in memory: lost on restart


def call(base, method, path, body):
    request = urllib.request.Request(base + path, json.dumps(body).encode(), method=method,
                                     headers={"Authorization": "Bearer " + AS_TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def publish_outage(building, start, end, details="", service="холодная вода"):
    """POST /_domovoy/housing/v1/buildings/{building}/outages; the bots check that USER_ID serves it."""
    body = {"service": service, "from": start, "to": end, "details": details}
    call(BOTS, "POST", "/_domovoy/housing/v1/buildings/%s/outages" % urllib.parse.quote(building, safe=""), body)
    known = json.load(open(OUTAGES)) if os.path.exists(OUTAGES) else []
    json.dump(known + [body], open(OUTAGES, "w"), ensure_ascii=False)


def next_outage_text(russian):
    now = datetime.datetime.now(datetime.timezone.utc)
    end = lambda o: datetime.datetime.fromisoformat(o["to"].replace("Z", "+00:00"))
    coming = sorted((o for o in (json.load(open(OUTAGES)) if os.path.exists(OUTAGES) else []) if end(o) > now),
                    key=lambda o: o["from"])
    if not coming:
        return "Плановых отключений воды нет." if russian else "No water outages are planned."
    o = coming[0]
    return ("Ближайшее отключение: %s, %s — %s. %s" if russian else "Next outage: %s, %s to %s. %s") % (
        o["service"], o["from"], o["to"], o["details"])


def handle(event):
    room, content = event.get("room_id"), event.get("content") or {}
    if event.get("type") == "m.room.member" and event.get("state_key") == USER_ID and content.get("membership") == "invite":
        call(HOMESERVER, "POST", "/_matrix/client/v3/rooms/%s/join" % urllib.parse.quote(room, safe=""), {})
        if content.get("is_direct"):
            direct_rooms.add(room)
    elif event.get("type") == "m.room.message" and room in direct_rooms and event.get("sender") != USER_ID:
        word = (content.get("body") or "").strip().lower()
        if word in ("!вода", "!water"):
            reply = {"msgtype": "m.notice", "body": next_outage_text(word == "!вода")}
            txn = "vodokanal-%d" % time.time_ns()
            call(HOMESERVER, "PUT", "/_matrix/client/v3/rooms/%s/send/m.room.message/%s" % (
                urllib.parse.quote(room, safe=""), txn), reply)


class Appservice(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Authorization") != "Bearer " + HS_TOKEN:
            return self.answer(403, {"errcode": "M_FORBIDDEN", "error": "Bad hs_token"})
        if not self.path.startswith("/_matrix/app/v1/transactions/"):
            return self.answer(404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})
        txn = self.path.rsplit("/", 1)[1]
        if txn not in seen_txns:  # the homeserver sends a transaction again until it gets a 200
            for event in json.loads(body or b"{}").get("events", []):
                try:
                    handle(event)
                except Exception as error:  # one bad event must not block the stream for ever
                    print("event %s failed: %s" % (event.get("event_id"), error), file=sys.stderr)
            seen_txns.add(txn)
        self.answer(200, {})

    def do_POST(self):  # POST /_matrix/app/v1/ping
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ok = self.headers.get("Authorization") == "Bearer " + HS_TOKEN and self.path.startswith("/_matrix/app/v1/ping")
        self.answer(200, {}) if ok else self.answer(403, {"errcode": "M_FORBIDDEN", "error": "Bad hs_token"})

    def do_GET(self):  # user and alias queries: this company creates no users or rooms on request
        self.answer(404, {"errcode": "M_NOT_FOUND", "error": "No such user or alias"})


if __name__ == "__main__":
    if sys.argv[1:2] == ["publish"]:
        publish_outage(*sys.argv[2:6])
        print("Published.")
    else:
        ThreadingHTTPServer(("127.0.0.1", PORT), Appservice).serve_forever()
