"""The HTTP layer against a real loopback server: limits, redirects and the address guard."""

from __future__ import annotations

import http.server
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from ingest import fetching
from ingest.fetching import BodyTooLarge, FetchError, FetchTimeout, UnsafeURL
from tests.ingest import feedbodies
from tests.ingest.feedbodies import RSS_TYPE, endless_body, stories, trickle

FEED = stories(3)


@pytest.fixture
def gzip_bomb() -> bytes:
    return feedbodies.gzip_bomb()


def fake_dns(monkeypatch, answers: dict[str, list[list[str]]]):
    """Resolve the given names to the given addresses (one list per successive lookup)."""
    real = socket.getaddrinfo
    calls = dict.fromkeys(answers, 0)

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        rounds = answers[host]
        addresses = rounds[min(calls[host], len(rounds) - 1)]
        calls[host] += 1
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


# --- the address policy -------------------------------------------------------------------

ALWAYS_REFUSED = [
    "169.254.169.254",
    "169.254.1.1",
    "fe80::1",
    "fd00:ec2::254",
    "100.100.100.200",
    "0.0.0.0",
    "0.1.2.3",
    "::",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
]
PRIVATE = [
    "127.0.0.1",
    "127.9.9.9",
    "::1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "fd12:3456::1",
    "fec0::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",
    "2002:a00:1::1",
    "192.0.2.10",
]
PUBLIC = ["8.8.8.8", "151.101.0.81", "2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", ALWAYS_REFUSED)
def test_it_refuses_link_local_metadata_and_reserved_addresses_even_when_private_is_allowed(
    address,
):
    ip = ipaddress.ip_address(address)
    assert fetching.address_problem(ip, allow_private=False)
    assert fetching.address_problem(ip, allow_private=True)


@pytest.mark.parametrize("address", PRIVATE)
def test_it_refuses_private_addresses_unless_allowed(address):
    ip = ipaddress.ip_address(address)
    assert fetching.address_problem(ip, allow_private=False)
    assert fetching.address_problem(ip, allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_it_accepts_public_addresses(address):
    assert fetching.address_problem(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/feed.xml", "gopher://example.com/", "example.com"],
)
def test_it_refuses_schemes_other_than_http(url):
    with pytest.raises(UnsafeURL, match="only http:// and https://"):
        fetching.validate_feed_url(url)
    with pytest.raises(UnsafeURL, match="only http:// and https://"):
        fetching.fetch(url)


def test_it_refuses_a_url_without_a_host():
    with pytest.raises(UnsafeURL, match="no host"):
        fetching.validate_feed_url("http:///feed.xml")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://[::1]:8080/feed.xml",
        "http://10.1.2.3/rss",
        "http://localhost/rss",
        "https://[::ffff:192.168.0.1]/rss",
    ],
)
def test_it_refuses_private_addresses(url, settings):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = False
    with pytest.raises(UnsafeURL, match="refusing to fetch"):
        fetching.validate_feed_url(url)


def test_it_refuses_the_metadata_address_even_when_private_feeds_are_allowed(private_allowed):
    with pytest.raises(UnsafeURL, match="metadata"):
        fetching.validate_feed_url("http://169.254.169.254/latest/meta-data/")


def test_it_refuses_a_name_when_any_of_its_addresses_is_private(monkeypatch, settings):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = False
    fake_dns(monkeypatch, {"mixed.example.test": [["93.184.216.34", "10.0.0.7"]]})
    with pytest.raises(UnsafeURL, match=r"mixed\.example\.test \(10\.0\.0\.7\): a private"):
        fetching.validate_feed_url("https://mixed.example.test/feed.xml")


def test_it_reports_a_name_that_does_not_resolve():
    with pytest.raises(UnsafeURL, match="cannot resolve host"):
        fetching.validate_feed_url("https://no-such-host.invalid/feed.xml")


def test_it_can_skip_the_lookup_for_offline_seeding_but_not_the_literal_check(settings):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = False
    url = "https://no-such-host.invalid/feed.xml"
    assert fetching.validate_feed_url(f"  {url} ", resolve=False) == url
    with pytest.raises(UnsafeURL):
        fetching.validate_feed_url("http://127.0.0.1/feed.xml", resolve=False)
    with pytest.raises(UnsafeURL, match="loopback"):
        fetching.validate_feed_url("http://feeds.localhost/feed.xml", resolve=False)


# --- the guard on a live connection --------------------------------------------------------


def test_it_refuses_the_loopback_server_when_private_feeds_are_off(httpserver, settings):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = False
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type=RSS_TYPE)
    with pytest.raises(UnsafeURL, match="loopback"):
        fetching.fetch(httpserver.url_for("/feed.xml"))
    assert httpserver.log == []


def test_it_checks_the_address_it_connects_to_not_an_earlier_lookup(
    httpserver, monkeypatch, settings
):
    # DNS rebinding: public when the URL was validated, loopback when the fetch connects.
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = False
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type=RSS_TYPE)
    fake_dns(monkeypatch, {"rebind.example.test": [["93.184.216.34"], ["127.0.0.1"]]})
    url = f"http://rebind.example.test:{httpserver.port}/feed.xml"
    fetching.validate_feed_url(url)
    with pytest.raises(UnsafeURL, match="loopback"):
        fetching.fetch(url)
    assert httpserver.log == []


def test_it_connects_to_the_address_it_checked_with_the_original_host_header(
    httpserver, monkeypatch, private_allowed
):
    httpserver.expect_request(
        "/feed.xml", headers={"Host": f"news.example.test:{httpserver.port}"}
    ).respond_with_data(FEED, content_type=RSS_TYPE)
    fake_dns(monkeypatch, {"news.example.test": [["127.0.0.1"]]})
    result = fetching.fetch(f"http://news.example.test:{httpserver.port}/feed.xml")
    assert result.status == 200
    assert result.body == FEED


def test_it_refuses_a_redirect_to_the_metadata_address(httpserver, private_allowed):
    httpserver.expect_request("/feed.xml").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with pytest.raises(UnsafeURL, match="169.254.169.254: a cloud metadata address"):
        fetching.fetch(httpserver.url_for("/feed.xml"))


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://example.com/1", "ftp://x/"])
def test_it_refuses_a_redirect_to_another_scheme(httpserver, private_allowed, target):
    httpserver.expect_request("/feed.xml").respond_with_data(
        "", status=302, headers={"Location": target}
    )
    with pytest.raises(UnsafeURL, match="only http:// and https://"):
        fetching.fetch(httpserver.url_for("/feed.xml"))


# --- conditional GET, redirects -------------------------------------------------------------


def test_it_sends_the_conditional_headers(httpserver, private_allowed):
    httpserver.expect_request(
        "/feed.xml",
        headers={"If-None-Match": '"v1"', "If-Modified-Since": "Thu, 26 Oct 2023 12:00:00 GMT"},
    ).respond_with_data("", status=304, headers={"ETag": '"v1"'})
    result = fetching.fetch(
        httpserver.url_for("/feed.xml"),
        etag='"v1"',
        last_modified="Thu, 26 Oct 2023 12:00:00 GMT",
    )
    assert result.status == 304
    assert result.etag == '"v1"'
    assert result.body == b""


def test_it_returns_the_validators_of_a_full_response(httpserver, private_allowed):
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED,
        content_type=RSS_TYPE,
        headers={"ETag": '"v2"', "Last-Modified": "Fri, 27 Oct 2023 08:00:00 GMT"},
    )
    result = fetching.fetch(httpserver.url_for("/feed.xml"))
    assert (result.status, result.body, result.content_type) == (200, FEED, RSS_TYPE)
    assert (result.etag, result.last_modified) == ('"v2"', "Fri, 27 Oct 2023 08:00:00 GMT")


def test_it_follows_permanent_redirects_and_reports_where_they_end(httpserver, private_allowed):
    httpserver.expect_request("/old.xml").respond_with_data(
        "", status=301, headers={"Location": "/newer.xml"}
    )
    httpserver.expect_request("/newer.xml").respond_with_data(
        "", status=308, headers={"Location": httpserver.url_for("/newest.xml")}
    )
    httpserver.expect_request("/newest.xml").respond_with_data(FEED, content_type=RSS_TYPE)
    result = fetching.fetch(httpserver.url_for("/old.xml"))
    assert result.body == FEED
    assert result.url == result.permanent_url == httpserver.url_for("/newest.xml")
    assert [status for status, _ in result.redirects] == [301, 308]


def test_a_temporary_redirect_ends_the_permanent_chain(httpserver, private_allowed):
    httpserver.expect_request("/old.xml").respond_with_data(
        "", status=301, headers={"Location": "/moved.xml"}
    )
    httpserver.expect_request("/moved.xml").respond_with_data(
        "", status=302, headers={"Location": "/today.xml"}
    )
    httpserver.expect_request("/today.xml").respond_with_data(FEED, content_type=RSS_TYPE)
    result = fetching.fetch(httpserver.url_for("/old.xml"))
    assert result.url == httpserver.url_for("/today.xml")
    assert result.permanent_url == httpserver.url_for("/moved.xml")


def test_it_stops_a_redirect_loop(httpserver, private_allowed):
    httpserver.expect_request("/a.xml").respond_with_data(
        "", status=302, headers={"Location": "/b.xml"}
    )
    httpserver.expect_request("/b.xml").respond_with_data(
        "", status=302, headers={"Location": "/a.xml"}
    )
    with pytest.raises(FetchError, match="redirect loop"):
        fetching.fetch(httpserver.url_for("/a.xml"))
    assert len(httpserver.log) == 2


def test_it_follows_five_redirects_but_not_six(httpserver, private_allowed):
    for hop in range(6):
        httpserver.expect_request(f"/hop{hop}").respond_with_data(
            "", status=307, headers={"Location": f"/hop{hop + 1}"}
        )
    httpserver.expect_request("/hop6").respond_with_data(FEED, content_type=RSS_TYPE)
    assert fetching.fetch(httpserver.url_for("/hop1")).body == FEED
    with pytest.raises(FetchError, match="too many redirects"):
        fetching.fetch(httpserver.url_for("/hop0"))


# --- limits ---------------------------------------------------------------------------------


def test_it_stops_an_80_mb_body_at_the_cap_with_bounded_memory(httpserver, private_allowed):
    cap = private_allowed.INGEST_MAX_BYTES
    httpserver.expect_request("/huge.xml").respond_with_handler(
        lambda request: endless_body(80 * 1024 * 1024)
    )
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match=f"larger than the limit of {cap} bytes"):
            fetching.fetch(httpserver.url_for("/huge.xml"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * cap


def test_it_refuses_a_declared_length_over_the_cap_without_reading_it(httpserver, private_allowed):
    private_allowed.INGEST_MAX_BYTES = 64 * 1024
    body = b"x" * (65 * 1024)
    httpserver.expect_request("/big.xml").respond_with_data(body, content_type=RSS_TYPE)
    with pytest.raises(BodyTooLarge):
        fetching.fetch(httpserver.url_for("/big.xml"))


def test_it_stops_a_gzip_bomb_at_the_cap_with_bounded_memory(
    httpserver, private_allowed, gzip_bomb
):
    cap = private_allowed.INGEST_MAX_BYTES
    assert len(gzip_bomb) < 2 * 1024 * 1024  # inflates to 1 GB
    httpserver.expect_request("/bomb.xml").respond_with_data(
        gzip_bomb, content_type=RSS_TYPE, headers={"Content-Encoding": "gzip"}
    )
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            fetching.fetch(httpserver.url_for("/bomb.xml"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * cap + len(gzip_bomb)


@pytest.mark.parametrize(
    "encoding, compress",
    [
        ("gzip", lambda data: zlib.compress(data, wbits=16 + zlib.MAX_WBITS)),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),
        ("gzip", lambda data: gzip_members(data)),
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "gzip-two-members"],
)
def test_it_inflates_compressed_bodies(httpserver, private_allowed, encoding, compress):
    httpserver.expect_request("/feed.xml").respond_with_data(
        compress(FEED), content_type=RSS_TYPE, headers={"Content-Encoding": encoding}
    )
    assert fetching.fetch(httpserver.url_for("/feed.xml")).body == FEED


def gzip_members(data: bytes) -> bytes:
    half = len(data) // 2
    return b"".join(
        zlib.compress(part, wbits=16 + zlib.MAX_WBITS) for part in (data[:half], data[half:])
    )


def test_it_reports_a_corrupt_gzip_body(httpserver, private_allowed):
    httpserver.expect_request("/feed.xml").respond_with_data(
        b"\x1f\x8b\x08\x00garbage", content_type=RSS_TYPE, headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchError, match="gzip body is corrupt"):
        fetching.fetch(httpserver.url_for("/feed.xml"))


def test_it_refuses_an_encoding_it_did_not_ask_for(httpserver, private_allowed):
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED, content_type=RSS_TYPE, headers={"Content-Encoding": "br"}
    )
    with pytest.raises(FetchError, match="unsupported content encoding"):
        fetching.fetch(httpserver.url_for("/feed.xml"))


def test_it_cuts_a_server_that_trickles_a_byte_a_second(httpserver, private_allowed):
    # Each byte arrives well within any read timeout; only a deadline on the whole fetch
    # stops this. Without one the fetch would take a minute and then succeed.
    private_allowed.INGEST_TIMEOUT = 2
    httpserver.expect_request("/slow.xml").respond_with_handler(lambda request: trickle(60))
    with pytest.raises(FetchTimeout, match="timed out after 2 s"):
        fetching.fetch(httpserver.url_for("/slow.xml"))


def test_it_cuts_a_server_that_never_answers(httpserver, private_allowed):
    private_allowed.INGEST_TIMEOUT = 1

    def silent(request):
        import time

        time.sleep(3)
        return Response(FEED, content_type=RSS_TYPE)

    httpserver.expect_request("/silent.xml").respond_with_handler(silent)
    with pytest.raises(FetchTimeout):
        fetching.fetch(httpserver.url_for("/silent.xml"))


def test_it_returns_an_error_status_without_reading_the_body(httpserver, private_allowed):
    httpserver.expect_request("/feed.xml").respond_with_data("oops" * 1000, status=500)
    result = fetching.fetch(httpserver.url_for("/feed.xml"))
    assert (result.status, result.body) == (500, b"")


def test_it_reports_a_refused_connection(private_allowed):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="could not connect"):
        fetching.fetch(f"http://127.0.0.1:{port}/feed.xml")


# --- TLS through the guarded connection -------------------------------------------------------


def self_signed(tmp_path, name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """An HTTPS loopback server with a certificate for ``localhost`` that fetches trust."""
    cert, key = self_signed(tmp_path, "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(fetching, "_ssl_context", lambda: client_context)
    server = HTTPServer(host="localhost", port=0, ssl_context=server_context)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_it_fetches_over_https_connecting_to_the_checked_address(tls_server, private_allowed):
    tls_server.expect_request("/feed.xml").respond_with_data(FEED, content_type=RSS_TYPE)
    url = tls_server.url_for("/feed.xml")
    assert url.startswith("https://localhost:")
    assert fetching.fetch(url).body == FEED


def test_it_verifies_the_certificate_against_the_host_name_not_the_address(
    tls_server, private_allowed, monkeypatch
):
    # Same server, reached under another name: the certificate (for localhost) must not do.
    tls_server.expect_request("/feed.xml").respond_with_data(FEED, content_type=RSS_TYPE)
    fake_dns(monkeypatch, {"other.example.test": [["127.0.0.1"]]})
    with pytest.raises(FetchError, match="could not connect.*certificate"):
        fetching.fetch(f"https://other.example.test:{tls_server.port}/feed.xml")


# --- sessions: connections kept across fetches --------------------------------------------


class KeepAliveServer:
    """A loopback HTTP/1.1 server that keeps connections open (pytest-httpserver's werkzeug
    server closes each one). ``routes``: path → (status, headers, body); a body given as a
    list of byte strings is sent one piece a second. ``ports`` holds each request's client
    port, so tests can tell a reused connection from a new one."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes | list[bytes]]] = {}
        self.ports: list[int] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802 (http.server's naming)
                server.ports.append(self.client_address[1])
                status, headers, body = server.routes[self.path]
                pieces = body if isinstance(body, list) else [body]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(sum(len(piece) for piece in pieces)))
                self.end_headers()
                for number, piece in enumerate(pieces):
                    if number:
                        time.sleep(1)
                    try:
                        self.wfile.write(piece)
                    except OSError:
                        return  # the client gave up (a deadline)

            def log_message(self, *args):
                """Quiet: the tests read responses, not the server's access log."""

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def keepalive_server():
    server = KeepAliveServer()
    yield server
    server.stop()


FEED_ROUTE = (200, {"Content-Type": RSS_TYPE}, FEED)


def test_a_session_fetches_several_feeds_over_one_connection(keepalive_server, private_allowed):
    paths = ("/a.xml", "/b.xml", "/c.xml")
    keepalive_server.routes.update(dict.fromkeys(paths, FEED_ROUTE))

    with fetching.FetchSession() as session:
        for path in paths:
            assert session.fetch(keepalive_server.url_for(path)).body == FEED

    assert len(keepalive_server.ports) == 3
    assert len(set(keepalive_server.ports)) == 1


def test_a_304_and_a_redirect_leave_the_connection_reusable(keepalive_server, private_allowed):
    server = keepalive_server
    server.routes["/same.xml"] = (304, {"ETag": '"v1"'}, b"")
    server.routes["/old.xml"] = (301, {"Location": server.url_for("/new.xml")}, b"moved")
    server.routes["/new.xml"] = FEED_ROUTE

    with fetching.FetchSession() as session:
        assert session.fetch(server.url_for("/same.xml"), etag='"v1"').status == 304
        assert session.fetch(server.url_for("/old.xml")).body == FEED

    assert len(server.ports) == 3
    assert len(set(server.ports)) == 1


def test_a_session_checks_every_new_connection_against_the_guard(
    keepalive_server, settings, monkeypatch
):
    # The name points at loopback; a connection made while private feeds were allowed must
    # not carry a fetch made after they were refused.
    keepalive_server.routes["/feed.xml"] = FEED_ROUTE
    fake_dns(monkeypatch, {"feeds.example.test": [["127.0.0.1"]]})
    url = f"http://feeds.example.test:{keepalive_server.port}/feed.xml"

    with fetching.FetchSession() as session:
        settings.RELWATCH_ALLOW_PRIVATE_FEEDS = True
        assert session.fetch(url).body == FEED
        settings.RELWATCH_ALLOW_PRIVATE_FEEDS = False
        with pytest.raises(UnsafeURL, match="loopback"):
            session.fetch(url)


def test_a_kept_connection_serves_the_next_fetch_under_that_fetchs_deadline(
    keepalive_server, private_allowed
):
    # The connection was opened by a fetch with a long deadline; the trickling second fetch
    # must still be cut at its own.
    keepalive_server.routes["/fast.xml"] = FEED_ROUTE
    keepalive_server.routes["/slow.xml"] = (200, {"Content-Type": RSS_TYPE}, [b"<"] * 60)

    with fetching.FetchSession() as session:
        assert session.fetch(keepalive_server.url_for("/fast.xml"), timeout=60).body == FEED
        with pytest.raises(FetchTimeout, match="timed out after 1 s"):
            session.fetch(keepalive_server.url_for("/slow.xml"), timeout=1)

    assert len(set(keepalive_server.ports)) == 1


def test_a_session_recovers_from_a_fetch_that_failed_mid_body(keepalive_server, private_allowed):
    keepalive_server.routes["/huge.xml"] = (200, {"Content-Type": RSS_TYPE}, [b"x" * 5000])
    keepalive_server.routes["/feed.xml"] = FEED_ROUTE

    with fetching.FetchSession() as session:
        with pytest.raises(BodyTooLarge):
            session.fetch(keepalive_server.url_for("/huge.xml"), max_bytes=1024)
        assert session.fetch(keepalive_server.url_for("/feed.xml")).body == FEED
