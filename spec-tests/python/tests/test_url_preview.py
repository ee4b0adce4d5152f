"""URL previews: GET /_matrix/client/v1/media/preview_url (authed-content-repo.yaml), off by
default; when on, addresses in the deny list (private, loopback, link-local, ...) refused after
name resolution, redirects judged again, size and time limits, and the Open Graph fields Element
shows, with og:image stored as media of this server. The pages come from a small site the test
starts on loopback."""

import asyncio
import io
import socket

from aiohttp import web
from PIL import Image

from harness import DomovoyTestCase

V1 = "/_matrix/client/v1"


def png(size=(320, 200)):
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


class Site:
    """A few pages a preview may be asked for."""

    def __init__(self):
        self.hits = {}
        self.runner = None
        self.port = None
        self.image = png()

    def count(self, name):
        self.hits[name] = self.hits.get(name, 0) + 1

    async def page(self, request):
        self.count("page")
        return web.Response(content_type="text/html", charset="utf-8", text=f"""<!doctype html>
<html><head><title>Запасной заголовок</title>
<meta property="og:title" content="Отключение горячей воды">
<meta property="og:description" content="С 1 по 14 июля, дом 7 по улице Ленина">
<meta property="og:image" content="/lift.png">
<meta property="og:site_name" content="Управляющая компания">
</head><body><p>...</p></body></html>""")

    async def cp1251(self, request):
        body = "<html><head><title>Капремонт</title><meta name=description content='Взносы'></head></html>"
        return web.Response(body=body.encode("cp1251"), headers={"Content-Type": "text/html; charset=windows-1251"})

    async def lift(self, request):
        self.count("lift")
        return web.Response(body=self.image, content_type="image/png")

    async def redirect(self, request):
        raise web.HTTPFound("/page")

    async def to_private(self, request):
        raise web.HTTPFound("http://10.0.0.1/secret")

    async def big(self, request):
        return web.Response(content_type="text/html", text="<html>" + "x" * (200 * 1024) + "</html>")

    async def slow(self, request):
        await asyncio.sleep(5)
        return web.Response(content_type="text/html", text="<html><title>late</title></html>")

    async def missing(self, request):
        return web.Response(status=404, text="no")

    async def plain(self, request):
        return web.Response(content_type="text/plain", text="just text")

    async def start(self):
        app = web.Application()
        for path, handler in (("/page", self.page), ("/cp1251", self.cp1251), ("/lift.png", self.lift),
                              ("/redirect", self.redirect), ("/to-private", self.to_private), ("/big", self.big),
                              ("/slow", self.slow), ("/missing", self.missing), ("/plain", self.plain)):
            app.router.add_get(path, handler)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def url(self, path, host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    async def stop(self):
        await self.runner.cleanup()


class PreviewCase(DomovoyTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.site = Site()
        await self.site.start()

    async def asyncTearDown(self):
        await self.site.stop()
        await super().asyncTearDown()

    async def raw_bytes(self, client, path):
        resp = await client.send("GET", path, None, {"Authorization": f"Bearer {client.access_token}"})
        return resp.status, await resp.read()

    async def preview(self, client, url, path=f"{V1}/media/preview_url"):
        return await self.raw(client, "GET", path, query={"url": url} if url is not None else None)


class TestUrlPreviewOff(PreviewCase):

    async def test_off_by_default(self):
        alice = await self.register("alice")
        status, body = await self.preview(alice, self.site.url("/page"))
        self.assertRawError(status, body, "M_UNRECOGNIZED", 404, "previews without url_preview_enabled")
        self.assertEqual(self.site.hits.get("page"), None, "nothing was fetched")


class TestUrlPreviewDenyList(PreviewCase):
    server_config = "media:\n  url_preview_enabled: true\n"

    async def test_private_and_loopback_addresses_are_refused(self):
        alice = await self.register("alice")
        # An address, and a name that resolves to it: both are judged by the address.
        for url in (self.site.url("/page"), self.site.url("/page", host="localhost"),
                    f"http://[::1]:{self.site.port}/page", "http://10.1.2.3/", "http://169.254.169.254/latest/"):
            status, body = await self.preview(alice, url)
            self.assertRawError(status, body, "M_FORBIDDEN", 403, url)
        self.assertEqual(self.site.hits.get("page"), None, "the loopback site was never reached")

    async def test_bad_requests(self):
        alice = await self.register("alice")
        for url in ("ftp://example.org/", "javascript:alert(1)", "not a url", "http://user:pw@example.org/",
                    "/relative"):
            status, body = await self.preview(alice, url)
            self.assertRawError(status, body, "M_INVALID_PARAM", 400, url)
        status, body = await self.preview(alice, None)
        self.assertEqual(status, 400, body)
        status, body = await self.raw(alice, "GET", f"{V1}/media/preview_url", query={"url": self.site.url("/page")},
                                      token=False)
        self.assertEqual(status, 401, body)


class TestUrlPreview(PreviewCase):
    # Loopback is allowed here (only 127.0.0.1, so the test site can be reached); the rest of
    # the deny list holds.
    server_config = ("media:\n  url_preview_enabled: true\n  url_preview_ip_range_allowlist: ['127.0.0.1']\n"
                     "  url_preview_max_size_kb: 64\n  url_preview_timeout_ms: 1000\n")

    async def test_open_graph_and_the_image_as_media(self):
        alice = await self.register("alice")
        status, body = await self.preview(alice, self.site.url("/page"))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["og:title"], "Отключение горячей воды")
        self.assertEqual(body["og:description"], "С 1 по 14 июля, дом 7 по улице Ленина")
        self.assertEqual(body["og:site_name"], "Управляющая компания")
        self.assertTrue(body["og:image"].startswith("mxc://localhost/"), body)
        self.assertEqual((body["og:image:width"], body["og:image:height"]), (320, 200))
        self.assertEqual(body["og:image:type"], "image/png")
        self.assertEqual(body["matrix:image:size"], len(self.site.image))
        media_id = body["og:image"].rsplit("/", 1)[1]
        status, image = await self.raw_bytes(alice, f"{V1}/media/download/localhost/{media_id}")
        self.assertEqual((status, image), (200, self.site.image))
        # The legacy path answers the same; a second ask is served from the cache.
        status, again = await self.preview(alice, self.site.url("/page"), path="/_matrix/media/v3/preview_url")
        self.assertEqual((status, again["og:title"]), (200, body["og:title"]))
        self.assertEqual(self.site.hits["page"], 1)
        self.assertEqual(self.site.hits["lift"], 1)

    async def test_redirects_charsets_images_and_other_types(self):
        alice = await self.register("alice")
        status, body = await self.preview(alice, self.site.url("/redirect"))
        self.assertEqual((status, body.get("og:title")), (200, "Отключение горячей воды"), body)
        status, body = await self.preview(alice, self.site.url("/cp1251"))
        self.assertEqual((status, body.get("og:title"), body.get("og:description")), (200, "Капремонт", "Взносы"))
        status, body = await self.preview(alice, self.site.url("/lift.png"))
        self.assertEqual(status, 200, body)
        self.assertEqual((body["og:image:width"], body["og:image:height"]), (320, 200))
        status, body = await self.preview(alice, self.site.url("/plain"))
        self.assertEqual((status, body), (200, {}))

    async def test_limits_and_failures(self):
        alice = await self.register("alice")
        # A redirect into a denied range is judged like the first address.
        status, body = await self.preview(alice, self.site.url("/to-private"))
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "a redirect to 10.0.0.1")
        for path, what in (("/big", "a page over url_preview_max_size_kb"), ("/slow", "a page slower than the timeout"),
                           ("/missing", "a 404")):
            status, body = await self.preview(alice, self.site.url(path))
            self.assertRawError(status, body, "M_UNKNOWN", 502, what)
        # Nothing listens here.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        status, body = await self.preview(alice, f"http://127.0.0.1:{closed_port}/")
        self.assertRawError(status, body, "M_UNKNOWN", 502, "a closed port")
        # The server still answers.
        status, body = await self.preview(alice, self.site.url("/page"))
        self.assertEqual(status, 200, body)
