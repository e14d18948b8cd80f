"""HTTP for feeds: one GET with a total deadline, a cap on the decompressed body, redirects
followed by hand, and a guard that refuses non-public addresses. A FetchSession lets several
fetches share kept-alive connections (``ingest_feeds``); each fetch keeps its own deadline.

The guard lives in the socket layer (a custom httpcore network backend): every connection,
including each redirect hop, resolves the host itself, checks *all* the addresses it got, and
then connects to one of exactly those addresses. A name cannot resolve to a public address for
the check and to a private one for the connection (DNS rebinding), and no hop can skip the check.

Policy when ``RELWATCH_ALLOW_PRIVATE_FEEDS`` is on: loopback, private (RFC 1918, IPv6 ULA),
CGNAT and other non-global unicast addresses become reachable, so a feed on the intranet or a
test server on 127.0.0.1 works. Link-local addresses (169.254/16, fe80::/10, where cloud metadata
services live), known metadata addresses, multicast, unspecified and reserved addresses stay
refused: no feed lives there and reaching them is only ever an attack.
"""

from __future__ import annotations

import concurrent.futures
import functools
import ipaddress
import os
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
ALLOWED_SCHEMES = frozenset({"http", "https"})
CHUNK_SIZE = 64 * 1024

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, application/feed+json;q=0.8, */*;q=0.5"
)
# Only encodings we inflate ourselves under the byte cap; a server that sends another one
# anyway gets a clear error rather than an unbounded decoder.
ACCEPT_ENCODING = "gzip, deflate"

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack (also covered by link-local)
        "fd00:ec2::254",  # AWS over IPv6 (a ULA, so not covered by link-local)
        "100.100.100.200",  # Alibaba Cloud (inside CGNAT)
    )
)

_resolver_pool: concurrent.futures.ThreadPoolExecutor | None = None


def _resolver() -> concurrent.futures.ThreadPoolExecutor:
    """Threads for getaddrinfo, which has no timeout of its own, so the fetch deadline holds.
    Made per process: a pool inherited through fork (Celery's prefork) has no live threads."""
    global _resolver_pool
    if _resolver_pool is None:
        _resolver_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=8, thread_name_prefix="ingest-dns"
        )
    return _resolver_pool


def _forget_resolver_after_fork() -> None:
    global _resolver_pool
    _resolver_pool = None


os.register_at_fork(after_in_child=_forget_resolver_after_fork)


class UnsafeURL(ValueError):
    """The URL cannot be a feed: wrong scheme, no host, or a host on a refused address."""


class FetchError(Exception):
    """A fetch that ended without a usable response; the message goes into ``last_error``."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class BodyTooLarge(FetchError):
    pass


class FetchTimeout(FetchError):
    pass


@dataclass
class FetchResult:
    """The last response of a fetch. ``body`` is read (decompressed) only for 2xx answers."""

    status: int
    reason: str
    url: str
    # Where the chain of *permanent* redirects from the requested URL ends: the URL to keep.
    permanent_url: str
    headers: httpx.Headers
    body: bytes = b""
    redirects: list[tuple[int, str]] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def etag(self) -> str:
        return self.headers.get("etag", "")

    @property
    def last_modified(self) -> str:
        return self.headers.get("last-modified", "")

    @property
    def retry_after(self) -> str:
        return self.headers.get("retry-after", "")


def address_problem(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_private: bool
) -> str | None:
    """Why this address is refused (a short phrase), or None when it may be fetched."""
    if address.version == 6:
        embedded = address.ipv4_mapped
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            # An IPv4-mapped or NAT64 address reaches the IPv4 host it embeds.
            return address_problem(embedded, allow_private=allow_private)
        if address.sixtofour is not None:
            problem = address_problem(address.sixtofour, allow_private=allow_private)
            if problem:
                return f"{problem} (inside a 6to4 address)"
    if address.is_unspecified or address in _THIS_NETWORK:
        return "an unspecified address"
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_loopback:
        return None if allow_private else "a loopback address"
    # After loopback: Python counts ::1 as reserved, and reserved outranks private because
    # 240/4 and the broadcast address also count as private.
    if address.is_reserved:
        return "a reserved address"
    if address in _CGNAT:
        return None if allow_private else "a shared (CGNAT) address"
    if address.is_private or getattr(address, "is_site_local", False):
        return None if allow_private else "a private address"
    if not address.is_global:
        return None if allow_private else "a non-public address"
    return None


def _allow_private() -> bool:
    return bool(settings.RELWATCH_ALLOW_PRIVATE_FEEDS)


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve_checked(
    host: str, port: int, *, allow_private: bool, timeout: float | None = None
) -> list[str]:
    """The addresses ``host`` resolves to, all of them checked; raises UnsafeURL if any is
    refused (a name with one private address among public ones is refused as a whole)."""
    literal = _literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        future = _resolver().submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        try:
            infos = future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise httpcore.ConnectTimeout(f"looking up {host} timed out") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve host {host!r}: {exc}") from None
        addresses = []
        for _family, _type, _proto, _name, sockaddr in infos:
            # Drop an IPv6 scope id ("fe80::1%eth0"): the address itself is what is checked.
            address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve host {host!r}: no addresses")
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem:
            shown = host if literal is not None else f"{host} ({address})"
            raise UnsafeURL(f"refusing to fetch from {shown}: {problem}")
    return [str(address) for address in addresses]


def check_scheme_and_host(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; raises UnsafeURL for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"{scheme}://" if scheme else "a URL without a scheme"
        raise UnsafeURL(f"only http:// and https:// feeds can be fetched, not {shown}")
    if not parts.hostname:
        raise UnsafeURL("the URL has no host name")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def validate_feed_url(url: str, *, resolve: bool = True) -> str:
    """Check a URL before it is stored as a feed; returns it stripped, raises UnsafeURL.

    With ``resolve=False`` (offline seeding) only the scheme, the host and a literal address
    are checked; every fetch checks the resolved addresses again anyway.
    """
    url = url.strip()
    host, port = check_scheme_and_host(url)
    allow_private = _allow_private()
    literal = _literal_address(host)
    name = host.lower().rstrip(".")
    if not allow_private and (name == "localhost" or name.endswith(".localhost")):
        # Loopback by definition (RFC 6761), whatever a resolver would say.
        raise UnsafeURL(f"refusing to fetch from {host}: a loopback address")
    if literal is not None or resolve:
        try:
            resolve_checked(host, port, allow_private=allow_private, timeout=10)
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            raise UnsafeURL(str(exc)) from None
    return url


class Deadline:
    """A time limit for a whole exchange (connect, send, every read), shared by the feeds'
    fetches and the alerts' webhooks."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()

    def cap(self, timeout: float | None, exc_class: type[Exception]) -> float:
        """The smaller of an operation's own timeout and the time left; raises when none is."""
        left = self.remaining()
        if left <= 0:
            raise exc_class(f"the {self.seconds:g} s deadline passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Caps every read and write at the time left, so a server that trickles one byte a second
    is cut at the deadline even though no single read ever times out.

    The deadline is looked up on the backend at each call, not fixed when the connection was
    made: a kept-alive connection serves the next fetch under that fetch's own deadline."""

    def __init__(self, inner: httpcore.NetworkStream, backend: GuardedBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(
            max_bytes, self._backend.deadline.cap(timeout, httpcore.ReadTimeout)
        )

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.deadline.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        inner = self._inner.start_tls(
            ssl_context,
            server_hostname,
            self._backend.deadline.cap(timeout, httpcore.ConnectTimeout),
        )
        return _DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks, and connects to the checked address (never re-resolving). Every new
    connection goes through here, so one reused across fetches was checked when it was made.

    ``deadline`` belongs to the fetch in progress; a FetchSession sets it before each one."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = httpcore.SyncBackend()
        self.deadline = Deadline(0)
        self._allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        deadline = self.deadline
        addresses = resolve_checked(
            host,
            port,
            allow_private=self._allow_private,
            timeout=deadline.cap(timeout, httpcore.ConnectTimeout),
        )
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=deadline.cap(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return _DeadlineStream(stream, self)
        raise error or httpcore.ConnectError(f"cannot connect to {host}")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise UnsafeURL("feeds cannot be fetched over unix sockets")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)


# Connections a session keeps open between fetches: feeds of one publisher share a host.
KEEPALIVE_CONNECTIONS = 8
KEEPALIVE_SECONDS = 30.0


class GuardedTransport(httpx.HTTPTransport):
    """Used directly, without an httpx.Client: redirects are followed by hand, no cookie may
    pass from one feed's fetch to the next, and the client's layers cost as much as a 304."""

    def __init__(self, backend: GuardedBackend) -> None:
        # HTTPTransport.__init__ only builds a connection pool, and offers no way to pass a
        # network backend; so the pool is built here instead, with the guarded backend. No
        # proxy support on purpose: a proxy would connect on our behalf and bypass the guard.
        self.backend = backend
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=KEEPALIVE_CONNECTIONS + 2,
            max_keepalive_connections=KEEPALIVE_CONNECTIONS,
            keepalive_expiry=KEEPALIVE_SECONDS,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )


class _Inflater:
    """Decodes Content-Encoding in bounded pieces, so a small gzip body that inflates to
    gigabytes is stopped after the cap instead of being inflated in one call."""

    def __init__(self, encoding: str) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise FetchError(f"unsupported content encoding {encoding!r}")
        self.coding = codings[0] if codings else ""
        if self.coding in ("gzip", "x-gzip"):
            self._wbits = 16 + zlib.MAX_WBITS
        elif self.coding == "deflate":
            self._wbits = zlib.MAX_WBITS
        elif self.coding:
            raise FetchError(f"unsupported content encoding {encoding!r}")
        self._decoder = zlib.decompressobj(self._wbits) if self.coding else None
        self._started = False
        self._fed = False

    def feed(self, data: bytes):
        if self._decoder is None:
            yield data
            return
        try:
            yield from self._inflate(data)
        except zlib.error as exc:
            raise FetchError(f"the {self.coding} body is corrupt: {exc}") from None

    def _inflate(self, data: bytes):
        self._fed = self._fed or bool(data)
        if self.coding == "deflate" and not self._started and data:
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate: a
            # zlib stream starts with a two-byte header whose value is a multiple of 31.
            self._started = True
            if len(data) < 2 or data[0] & 0x0F != 8 or ((data[0] << 8) | data[1]) % 31:
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        while data:
            if self._decoder.eof:
                if self.coding == "deflate":
                    return
                # A gzip body may hold several members back to back.
                self._decoder = zlib.decompressobj(self._wbits)
            piece = self._decoder.decompress(data, CHUNK_SIZE)
            if piece:
                yield piece
            data = self._decoder.unconsumed_tail or (
                self._decoder.unused_data if self._decoder.eof else b""
            )

    def finish(self) -> bytes:
        if self._decoder is None or not self._fed:
            return b""
        try:
            tail = self._decoder.flush(CHUNK_SIZE)
        except zlib.error as exc:
            raise FetchError(f"the {self.coding} body is corrupt: {exc}") from None
        if not self._decoder.eof:
            raise FetchError(f"the {self.coding} body is corrupt: it ends before its end marker")
        return tail


def _read_body(response: httpx.Response, max_bytes: int) -> bytes:
    inflater = _Inflater(response.headers.get("content-encoding", ""))
    too_large = BodyTooLarge(
        f"the body is larger than the limit of {max_bytes} bytes (INGEST_MAX_BYTES)",
        http_status=response.status_code,
    )
    declared = response.headers.get("content-length", "")
    if not inflater.coding and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    for raw in response.iter_raw(CHUNK_SIZE):
        for piece in inflater.feed(raw):
            if len(body) + len(piece) > max_bytes:
                raise too_large
            body += piece
    tail = inflater.finish()
    if len(body) + len(tail) > max_bytes:
        raise too_large
    body += tail
    return bytes(body)


# A body we do not need (a redirect's, a 304's, an error page) is read, within this size and
# time, so the connection can serve the next fetch; past them, closing the connection is cheaper.
DRAIN_LIMIT = 64 * 1024
DRAIN_SECONDS = 0.5


def _drain(response: httpx.Response, backend: GuardedBackend) -> None:
    """Read and drop a small unneeded body; a connection whose answer was not read to the end
    cannot be reused. A 304 has no body, but its end still has to be read."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_LIMIT:
        return
    deadline = backend.deadline
    backend.deadline = Deadline(max(0.0, min(DRAIN_SECONDS, deadline.remaining())))
    read = 0
    try:
        for raw in response.iter_raw(CHUNK_SIZE):
            read += len(raw)
            if read > DRAIN_LIMIT:
                return
    except httpx.HTTPError:
        pass  # the answer is known already; the connection is simply not reused
    finally:
        backend.deadline = deadline


def _request_headers(etag: str, last_modified: str) -> dict[str, str]:
    headers = {
        "User-Agent": settings.INGEST_USER_AGENT,
        "Accept": ACCEPT,
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class FetchSession:
    """Fetches that share kept-alive connections: ``ingest_feeds`` polls many feeds of few
    hosts, and a new connection (a TLS handshake, often) per feed would cost more than a 304.

    Every new connection is still resolved and checked by the guard; a reused one goes to the
    address that was checked when it was opened. One pool per ``allow_private`` value, so a
    connection opened while private addresses were allowed never serves a fetch that refuses
    them. Not thread-safe: one session per thread.
    """

    def __init__(self) -> None:
        self._transports: dict[bool, GuardedTransport] = {}

    def __enter__(self) -> FetchSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        transports, self._transports = self._transports, {}
        for transport in transports.values():
            transport.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        timeout: float | None = None,
        max_bytes: int | None = None,
        allow_private: bool | None = None,
    ) -> FetchResult:
        """As the module's ``fetch``."""
        timeout = settings.INGEST_TIMEOUT if timeout is None else timeout
        max_bytes = settings.INGEST_MAX_BYTES if max_bytes is None else max_bytes
        allow_private = _allow_private() if allow_private is None else allow_private
        transport = self._transport(allow_private)
        transport.backend.deadline = Deadline(timeout)
        headers = _request_headers(etag, last_modified)
        try:
            return _follow(transport, url, headers, httpx.Timeout(timeout), max_bytes)
        except httpx.TimeoutException:
            raise FetchTimeout(f"timed out after {timeout:g} s (INGEST_TIMEOUT)") from None
        except httpx.HTTPError as exc:
            raise FetchError(describe_http_error(exc)) from None

    def _transport(self, allow_private: bool) -> GuardedTransport:
        transport = self._transports.get(allow_private)
        if transport is None:
            backend = GuardedBackend(allow_private=allow_private)
            transport = self._transports[allow_private] = GuardedTransport(backend)
        return transport


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: float | None = None,
    max_bytes: int | None = None,
    allow_private: bool | None = None,
    session: FetchSession | None = None,
) -> FetchResult:
    """GET a feed. Returns the final response (any status); raises UnsafeURL for a refused
    URL or address, FetchError for timeouts, connection errors, redirect trouble, an oversized
    or corrupt body. Without a ``session``, connections last for this fetch only."""
    options = {
        "etag": etag,
        "last_modified": last_modified,
        "timeout": timeout,
        "max_bytes": max_bytes,
        "allow_private": allow_private,
    }
    if session is not None:
        return session.fetch(url, **options)
    with FetchSession() as own:
        return own.fetch(url, **options)


def describe_http_error(exc: httpx.HTTPError) -> str:
    kind = {
        httpx.ConnectError: "could not connect",
        httpx.RemoteProtocolError: "the server broke the HTTP protocol",
        httpx.ReadError: "the connection failed while reading",
        httpx.InvalidURL: "invalid URL",
    }
    for exc_class, words in kind.items():
        if isinstance(exc, exc_class):
            return f"{words}: {exc}" if str(exc) else words
    return f"{type(exc).__name__}: {exc}"


def _follow(
    transport: GuardedTransport,
    url: str,
    headers: dict[str, str],
    timeout: httpx.Timeout,
    max_bytes: int,
) -> FetchResult:
    backend = transport.backend
    extensions = {"timeout": timeout.as_dict()}
    current = url
    permanent_url = url
    still_permanent = True
    visited = {url}
    redirects: list[tuple[int, str]] = []
    while True:
        check_scheme_and_host(current)
        if backend.deadline.remaining() <= 0:
            raise httpx.ReadTimeout("deadline passed between redirects")
        request = httpx.Request("GET", current, headers=headers, extensions=extensions)
        response = transport.handle_request(request)
        response.request = request
        try:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                try:
                    target = str(response.url.join(location.strip()))
                except httpx.InvalidURL as exc:
                    raise FetchError(
                        f"HTTP {response.status_code} redirect to an invalid URL: {exc}",
                        http_status=response.status_code,
                    ) from None
                if target in visited:
                    raise FetchError(
                        f"redirect loop: {current} sends us back to {target}",
                        http_status=response.status_code,
                    )
                if len(redirects) >= MAX_REDIRECTS:
                    raise FetchError(
                        f"too many redirects (more than {MAX_REDIRECTS})",
                        http_status=response.status_code,
                    )
                redirects.append((response.status_code, target))
                visited.add(target)
                if still_permanent and response.status_code in PERMANENT_REDIRECT_STATUSES:
                    permanent_url = target
                else:
                    still_permanent = False
                current = target
                _drain(response, backend)
                continue
            if response.is_success:
                body = _read_body(response, max_bytes)
            else:
                body = b""
                _drain(response, backend)
            return FetchResult(
                status=response.status_code,
                reason=response.reason_phrase,
                url=str(response.url),
                permanent_url=permanent_url,
                headers=response.headers,
                body=body,
                redirects=redirects,
            )
        finally:
            response.close()
