#!/usr/bin/env python3
"""Writes fuzz_flow's seed scripts (corpus-flow/) and its reproducers (repro-flow/).

The script format is described at the top of fuzz_flow.cpp; this file is its writer, so a seed reads
as a scenario rather than as bytes. Run it after changing either:

  python3 tests/fuzz/make_flow_seeds.py      (rewrites both directories)

Seeds are scenarios the table must get right (pipelining, split heads, out-of-order segments,
rejections behind outstanding responses, upgrades, bodies, limits); libFuzzer mutates from them.
Reproducers are inputs that broke an invariant when they were found, one per finding, named after
it: the fuzz.flow test runs them first, so a fixed finding stays fixed.
"""
import re
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent


def canned(array):
    """The strings of one of fuzz_flow.cpp's piece arrays, as bytes (only \\r and \\n escapes)."""
    source = (HERE / "fuzz_flow.cpp").read_text()
    body = re.search(array + r"\[\] = \{(.*?)\n\};", source, re.S).group(1)
    return [s.replace("\\r", "\r").replace("\\n", "\n").encode() for s in re.findall(r'"((?:[^"\\]|\\.)*)"', body)]


# Indexes into fuzz_flow.cpp's kClientPieces / kServerPieces.
GET_LIMITED, GET_FREE, GET_SHARED, POST_CL, POST_CHUNKED, UPGRADE, CONNECT, GET10, GET10_KEEPALIVE, HEAD, \
    EXPECT, BODY_LIKE_REQUEST, ENCODED_PATH, CRLF = range(14)
OK_CL, OK_CHUNKED, CONTINUE, SWITCHING, NO_CONTENT, UNAVAILABLE, ESTABLISHED, CLOSE_DELIMITED = range(8)
CLIENT = canned("kClientPieces")
SERVER = canned("kServerPieces")
assert len(CLIENT) == CRLF + 1 and len(SERVER) == CLOSE_DELIMITED + 1, "fuzz_flow.cpp's pieces changed"
assert CLIENT[GET_LIMITED].startswith(b"GET /limited HTTP/1.1") and SERVER[SWITCHING].startswith(b"HTTP/1.1 101")

# Op kinds (low nibble of the op byte).
C_NEXT, C_NEXT_B, C_NEXT_BIG, C_AT, S_NEXT, S_NEXT_BIG, S_AT, C_FIN, S_FIN, C_RST, S_RST, C_SYN, CLOCK, C_ACK, \
    C_NEXT_FIN, C_REST = range(16)
CLOCK_STEPS = {"1ms": 0, "1s": 1, "30s": 2, "61s": 3, "1h": 4}


def raw(data):
    assert len(data) < 256
    return ("raw", data)


def stream(pieces):
    out = bytes([len(pieces)])
    assert len(pieces) < 9
    for p in pieces:
        out += bytes([0xE0, len(p[1])]) + p[1] if isinstance(p, tuple) else bytes([p])
    return out


class Script:
    def __init__(self, ipv6=False, midstream=False, per_flow=65536, total=1 << 20, head=16384, few_headers=False,
                 one_flow=False):
        self.shape = int(ipv6) | (int(midstream) << 1)
        self.limits = ([65536, 4096, 512, 64].index(per_flow) | ([1 << 20, 8192, 1024, 256].index(total) << 2) |
                       ([16384, 1024, 128, 48].index(head) << 4) | (int(few_headers) << 6) | (int(one_flow) << 7))
        self.conns = []
        self.ops = b""

    def conn(self, client, server=(), alt=(), cisn=1000, sisn=90000):
        self.conns.append(struct.pack("<II", cisn, sisn) + stream(client) + stream(alt) + stream(server))
        self.shape = (self.shape & 3) | ((len(self.conns) - 1) << 2)
        return len(self.conns) - 1

    def op(self, kind, conn=0, args=b""):
        self.ops += bytes([(conn << 4) | kind]) + args
        return self

    # Client and server bytes in order.
    def client(self, n, conn=0):
        if n <= 256:
            return self.op(C_NEXT, conn, bytes([n - 1]))
        return self.op(C_NEXT_BIG, conn, struct.pack("<H", n - 1))

    def client_rest(self, conn=0):
        return self.op(C_REST, conn)

    def client_at(self, off, n, conn=0, other=False, fin=False):
        return self.op(C_AT, conn, struct.pack("<HBB", off, n - 1, int(other) | (int(fin) << 1)))

    def server(self, n, conn=0):
        if n <= 256:
            return self.op(S_NEXT, conn, bytes([n - 1]))
        return self.op(S_NEXT_BIG, conn, struct.pack("<H", n - 1))

    def server_at(self, off, n, conn=0):
        return self.op(S_AT, conn, struct.pack("<HB", off, n - 1))

    def client_rst(self, delta=0, conn=0):
        return self.op(C_RST, conn, struct.pack("<h", delta))

    def client_syn(self, delta=0, conn=0):
        return self.op(C_SYN, conn, struct.pack("<I", delta & 0xFFFFFFFF))

    def clock(self, step):
        return self.op(CLOCK, 0, bytes([CLOCK_STEPS[step]]))

    def bytes(self):
        return bytes([self.shape, self.limits]) + b"".join(self.conns) + self.ops


def seeds():
    s = {}
    # Five requests pipelined in one segment, answered in one.
    x = Script()
    x.conn([GET_LIMITED] * 5, [OK_CL] * 5)
    s["pipelined"] = x.client_rest().op(S_NEXT_BIG, 0, struct.pack("<H", 4095))
    # Heads split byte by byte, then in two-byte pieces.
    x = Script()
    x.conn([GET_LIMITED, GET_FREE, GET_LIMITED], [OK_CL] * 3)
    for _ in range(40):
        x.client(1)
    for _ in range(30):
        x.client(2)
    s["split-heads"] = x.client_rest().server(200)
    # The second request first (held beyond the gap), then the first.
    x = Script()
    x.conn([GET_LIMITED] * 4, [OK_CL] * 4)
    g = len(CLIENT[GET_LIMITED])
    s["out-of-order"] = x.client_at(g, g).client_at(2 * g, g + 6).client(g).client_rest().server(200)
    # Overlapping and duplicated segments, and a retransmission carrying other bytes.
    x = Script()
    x.conn([GET_FREE, GET_FREE, GET_LIMITED], [OK_CL] * 3, alt=[GET_LIMITED, GET_LIMITED, GET_LIMITED])
    s["overlap-retransmit"] = (x.client(20).client_at(10, 30).client_at(0, 33, other=True).client(40)
                               .client_at(30, 20).client_rest().server(200))
    # A third request rejected while two responses are outstanding (the answer waits for them).
    x = Script()
    x.conn([GET_LIMITED] * 4, [OK_CL] * 4)
    ok = len(SERVER[OK_CL])
    s["deferred-rejection"] = x.client(2 * len(CLIENT[GET_LIMITED])).client_rest().server(ok).server(ok).client(10)
    # A WebSocket upgrade the backend accepts: bypassed after the 101.
    x = Script()
    x.conn([UPGRADE, raw(b"\x81\x05hello")], [SWITCHING, raw(b"\x81\x02hi")])
    s["upgrade-101"] = x.client(len(CLIENT[UPGRADE])).server(200).client_rest().server(10)
    # An Upgrade the backend ignores (200), then more requests.
    x = Script()
    x.conn([UPGRADE, GET_LIMITED, GET_LIMITED], [OK_CL] * 3)
    s["upgrade-ignored"] = x.client_rest().server(200)
    # CONNECT and a 200.
    x = Script()
    x.conn([CONNECT, raw(b"\x16\x03\x01 tls")], [ESTABLISHED])
    s["connect"] = x.client(len(CLIENT[CONNECT])).server(200).client_rest()
    # Bodies: chunked, Content-Length, Expect: 100-continue with its interim answer.
    x = Script()
    x.conn([POST_CHUNKED, POST_CL, EXPECT, GET_LIMITED, BODY_LIKE_REQUEST], [OK_CHUNKED, OK_CL, CONTINUE, OK_CL,
                                                                          OK_CL, OK_CL])
    for _ in range(12):
        x.client(25)
    s["bodies"] = x.client_rest().server(300)
    # HTTP/1.0: keep-alive, then one that closes; the backend's FIN.
    x = Script()
    x.conn([GET10_KEEPALIVE, GET10, GET_LIMITED], [OK_CL, CLOSE_DELIMITED])
    s["http10"] = (x.client(len(CLIENT[GET10_KEEPALIVE])).client(len(CLIENT[GET10])).server(200).op(S_FIN)
                   .client_rest().op(C_FIN))
    # Two connections interleaved, IPv6.
    x = Script(ipv6=True)
    x.conn([GET_LIMITED] * 3, [OK_CL] * 3)
    x.conn([GET_LIMITED, HEAD, ENCODED_PATH], [OK_CL] * 3, cisn=0xFFFFFF00, sisn=0xFFFFFFF0)
    s["two-connections-v6"] = (x.client(20, 0).client(20, 1).client(20, 0).client(20, 1).client_rest(1)
                               .client_rest(0).server(100, 1).server(100, 0).op(C_FIN, 0).op(S_FIN, 0))
    # Sequence numbers that wrap around 2^32 inside a request.
    x = Script()
    x.conn([GET_LIMITED] * 3, [OK_CL] * 3, cisn=0xFFFFFFF0, sisn=0xFFFFFFFA)
    s["wraparound"] = x.client(10).client(30).client_rest().server(60).server(100)
    # Out-of-order beyond the per-flow buffer: the flow is given up, held frames released in order.
    x = Script(per_flow=512, total=1024)
    x.conn([GET_LIMITED] * 8, [OK_CL] * 8)
    g = len(CLIENT[GET_LIMITED])
    for off in range(g, 8 * g, g):
        x.client_at(off, g)
    s["buffer-limit"] = x.client(g).client_rest()
    # A full table: the second connection is not inspected.
    x = Script(one_flow=True)
    x.conn([GET_LIMITED] * 2, [OK_CL] * 2)
    x.conn([GET_LIMITED] * 2, [OK_CL] * 2)
    s["table-full"] = x.client_rest(0).client_rest(1).server(100, 0)
    # Heads over the limits: too long, too many fields.
    x = Script(head=128, few_headers=True)
    x.conn([GET_LIMITED, raw(b"GET /limited HTTP/1.1\r\n" + b"X: y\r\n" * 10 + b"\r\n"), GET_LIMITED], [OK_CL])
    s["head-limits"] = x.client(len(CLIENT[GET_LIMITED])).server(len(SERVER[OK_CL])).client_rest()
    # Client FIN after its requests; the table closes when both sides are done.
    x = Script()
    x.conn([GET_LIMITED, GET_FREE], [OK_CL, OK_CL])
    s["half-close"] = x.op(C_NEXT_FIN, 0, bytes([255])).server(200).op(S_FIN).op(C_ACK)
    # A client that resets at its sequence number, then opens the connection again.
    x = Script()
    x.conn([GET_LIMITED, GET_LIMITED, GET_LIMITED], [OK_CL] * 3)
    g = len(CLIENT[GET_LIMITED])
    s["reset-reopen"] = x.client(g).server(len(SERVER[OK_CL])).client_rest(0).client_rst(0).client_syn(0).client_at(0, g)
    # Seen first in the middle (after a controller restart), from a request boundary.
    x = Script(midstream=True)
    x.conn([GET_LIMITED] * 3, [OK_CL] * 3)
    s["midstream"] = x.client(len(CLIENT[GET_LIMITED])).client_rest().server(100)
    # Time passes between requests (buckets refill; nothing is idle for long).
    x = Script()
    x.conn([GET_LIMITED] * 4, [OK_CL] * 4)
    g = len(CLIENT[GET_LIMITED])
    s["clock"] = x.client(g).clock("1s").client(g).clock("30s").client_rest().server(200)
    return s


# The request each reproducer hides: a head the backend reads and the table never judged.
HEAD_WITHOUT_END = raw(CLIENT[GET_LIMITED][:-2])  # its final CRLF comes separately


def reproducers():
    r = {}
    # Complete requests, then bytes the parser refuses, in one segment: the parser's error for the
    # whole segment drops the heads before it, and the segment is forwarded as the flow is given up.
    x = Script()
    x.conn([GET_LIMITED, GET_LIMITED, GET_LIMITED, raw(b"GETGET /limited HTTP/1.1\r\n\r\n")])
    r["segment-error-hides-heads"] = x.client_rest()
    # A client SYN with another sequence number on an open connection: the backend ignores it
    # (challenge ACK), the table starts the flow afresh at that number; the real bytes that follow
    # are "retransmissions" to it and are forwarded unparsed.
    x = Script()
    x.conn([GET_LIMITED] * 5)
    r["syn-resets-flow"] = x.client(len(CLIENT[GET_LIMITED])).client_syn(1_000_000).client_rest()
    # A client RST off its sequence number: the backend ignores it (RFC 5961), the table forgets the
    # flow and picks it up again mid-stream, inside the head that was half sent.
    x = Script()
    x.conn([HEAD_WITHOUT_END, CRLF, GET_LIMITED, GET_LIMITED])
    r["rst-out-of-window-forgets-flow"] = x.client(len(HEAD_WITHOUT_END[1])).client_rst(1000).client_rest()
    # A connection the table first sees in the middle (controller restart, or forgotten as above):
    # its first segment lies beyond a gap; the table starts the stream there and the bytes before it
    # are forwarded unparsed when they come.
    x = Script(midstream=True)
    x.conn([GET_LIMITED] * 3)
    r["midstream-starts-beyond-gap"] = x.client_at(len(CLIENT[GET_LIMITED]), 1).client_rest()
    # A head split across more than the idle timeout: the table expires the flow and picks up the
    # rest mid-stream; the backend completes the head.
    x = Script()
    x.conn([HEAD_WITHOUT_END, CRLF, GET_LIMITED, GET_LIMITED])
    r["idle-expiry-inside-head"] = x.client(len(HEAD_WITHOUT_END[1])).clock("61s").client_rest()
    # The backend has closed its side; a third request, rejected while two responses are still
    # outstanding, comes with the client's FIN. The table drops that segment (the answer waits) but
    # counts the FIN as seen, so with both FINs "seen" it removes the flow: no answer, no RST to the
    # backend, which never got the FIN and still reads. The client then sends a byte after the
    # rejected request (the table picks the connection up there) and the rejected request again,
    # which is forwarded as old bytes.
    g = len(CLIENT[GET_LIMITED])
    x = Script()
    x.conn([GET_LIMITED] * 4)
    r["fin-forgets-pending-rejection"] = (x.op(S_FIN).client(2 * g).op(C_NEXT_FIN, 0, bytes([g - 1]))
                                          .client_at(3 * g, 1).client_at(2 * g, g + 6))
    return r


def write(directory, scripts):
    directory.mkdir(exist_ok=True)
    for old in directory.iterdir():
        old.unlink()
    for name, script in scripts.items():
        (directory / name).write_bytes(script.bytes())


if __name__ == "__main__":
    write(HERE / "corpus-flow", seeds())
    write(HERE / "repro-flow", reproducers())
