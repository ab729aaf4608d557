#!/usr/bin/env python3
"""HTTP client for the gateway e2e tests (tests/e2e/test_gateway_*.sh), run in the client namespace.

  hammer HOST PATH --seconds T [--header 'K: V']...   one request per connection, back to back, for T
                                                      seconds; JSON: statuses, Retry-After, window
  pipeline HOST PATH...                               every request written at once on one
                                                      connection; prints one "STATUS BODY" line each
  raw HOST [--source ADDR]                            the bytes of stdin on one connection, read
                                                      until it closes; prints the status codes seen
  websocket HOST PATH TEXT                            a WebSocket handshake, one text frame; prints
                                                      "STATUS ECHO"
  spread HOST PATH --sources LIST                     one request from each source address (LIST:
                                                      "a.b.c.1-a.b.c.9,x::1-x::ff,..."); JSON counts
  hold HOST PATH --sources LIST --seconds T [--partial]
                                                      a connection from each source, one request
                                                      answered (or, --partial, half a head), then
                                                      held idle for T seconds; JSON counts
Bounded: every socket has a timeout, every loop a deadline.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import socket
import sys
import time


WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B65"  # RFC 6455


def read_response(sock, deadline):
    """One HTTP/1.1 response: (status, headers dict lower-cased, body bytes, rest of the buffer)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline:
            raise TimeoutError("response head")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head ({len(buf)} bytes)")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        if time.monotonic() > deadline:
            raise TimeoutError("response body")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside a body")
        rest += chunk
    return status, headers, rest[:length], rest[length:]


def request_bytes(host, path, headers, close):
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "User-Agent: xt-e2e"]
    lines += headers
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def hammer(args):
    statuses = {}
    retry_after_missing = 0
    retry_after_values = set()
    errors = 0
    first_send = last_send = None
    start = time.monotonic()
    stop = start + args.seconds
    sent = 0
    while time.monotonic() < stop:
        now = time.monotonic()
        # Paced: a rejection costs the gateway a fraction of a millisecond, so an unpaced loop
        # would open tens of thousands of connections (and recycle ports) in a few seconds.
        if args.max_rps and sent >= (now - start) * args.max_rps:
            time.sleep(1.0 / args.max_rps)
            continue
        sent += 1
        try:
            with socket.create_connection((args.host, args.port), timeout=3) as s:
                s.sendall(request_bytes(args.host, args.path, args.header, close=True))
                first_send = first_send or now
                last_send = now
                status, headers, _, _ = read_response(s, time.monotonic() + 3)
        except (OSError, TimeoutError, ConnectionError, ValueError, IndexError):
            errors += 1
            continue
        statuses[status] = statuses.get(status, 0) + 1
        if status in (429, 503):
            if "retry-after" in headers and headers["retry-after"].isdigit():
                retry_after_values.add(int(headers["retry-after"]))
            else:
                retry_after_missing += 1
    window = (last_send - first_send) if first_send else 0.0
    print(json.dumps({
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "ok": statuses.get(200, 0),
        "window_s": round(window, 3),
        "errors": errors,
        "retry_after_missing": retry_after_missing,
        "retry_after_values": sorted(retry_after_values),
    }))


def pipeline(args):
    with socket.create_connection((args.host, args.port), timeout=5) as s:
        s.sendall(b"".join(request_bytes(args.host, p, [], close=False) for p in args.paths))
        rest = b""
        deadline = time.monotonic() + 10
        for _ in args.paths:
            # read_response wants to recv; feed it what is left of the previous read first
            class Buffered:
                def __init__(self, sock, pending):
                    self.sock, self.pending = sock, pending

                def recv(self, n):
                    if self.pending:
                        out, self.pending = self.pending, b""
                        return out
                    return self.sock.recv(n)

            status, _, body, rest = read_response(Buffered(s, rest), deadline)
            print(status, body.decode("latin-1").strip())


def raw(args):
    data = sys.stdin.buffer.read()
    with socket.create_connection((args.host, args.port), timeout=5,
                                  source_address=(args.source, 0) if args.source else None) as s:
        got = b""
        try:
            s.sendall(data)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (ConnectionError, socket.timeout):
            pass  # a reset or a silent backend: what arrived is the answer
    print(" ".join(m.decode() for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", got)))


def websocket(args):
    key = base64.b64encode(os.urandom(16)).decode()
    head = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
    with socket.create_connection((args.host, args.port), timeout=5) as s:
        s.sendall(head.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the handshake answer")
            buf += chunk
        head_bytes, _, rest = buf.partition(b"\r\n\r\n")
        status = int(head_bytes.split()[1])
        expect = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if status != 101 or expect.encode() not in head_bytes:
            print(status, "-")
            return
        text = args.text.encode()
        mask = os.urandom(4)
        s.sendall(bytes([0x81, 0x80 | len(text)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(text)))
        while len(rest) < 2 or len(rest) < 2 + (rest[1] & 0x7F):
            chunk = s.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the echo")
            rest += chunk
        print(status, rest[2:2 + (rest[1] & 0x7F)].decode())


def expand_sources(spec):
    """'10.0.0.16-10.0.0.20,fd00::1-fd00::3' -> every address of each inclusive range."""
    import ipaddress
    out = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        a = ipaddress.ip_address(first)
        b = ipaddress.ip_address(last or first)
        out += [str(ipaddress.ip_address(int(a) + i)) for i in range(int(b) - int(a) + 1)]
    return out


def connect_from(host, port, source):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source, 0))
    s.connect((host, port))
    return s


def spread(args):
    statuses, errors = {}, 0
    for source in expand_sources(args.sources)[:2000]:
        try:
            with connect_from(args.host, args.port, source) as s:
                s.sendall(request_bytes(args.host, args.path, [], close=True))
                status, _, _, _ = read_response(s, time.monotonic() + 5)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
        except (OSError, ValueError):
            errors += 1
    print(json.dumps({"statuses": statuses, "errors": errors}))


def hold(args):
    held, errors, statuses = [], 0, {}
    for source in expand_sources(args.sources)[:2000]:
        try:
            s = connect_from(args.host, args.port, source)
            if args.partial:
                s.sendall(f"GET {args.path} HTTP/1.1\r\nHost: {args.host}\r\n".encode())
            else:
                s.sendall(request_bytes(args.host, args.path, [], close=False))
                status, _, _, _ = read_response(s, time.monotonic() + 5)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            held.append(s)
        except (OSError, ValueError):
            errors += 1
    print(json.dumps({"held": len(held), "statuses": statuses, "errors": errors}), flush=True)
    time.sleep(min(args.seconds, 60))
    for s in held:
        s.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hammer")
    h.add_argument("host")
    h.add_argument("path")
    h.add_argument("--port", type=int, default=80)
    h.add_argument("--seconds", type=float, required=True)
    h.add_argument("--header", action="append", default=[])
    h.add_argument("--max-rps", type=float, default=500, help="pace requests (0: as fast as possible)")
    pl = sub.add_parser("pipeline")
    pl.add_argument("host")
    pl.add_argument("paths", nargs="+")
    pl.add_argument("--port", type=int, default=80)
    r = sub.add_parser("raw")
    r.add_argument("host")
    r.add_argument("--port", type=int, default=80)
    r.add_argument("--source")
    w = sub.add_parser("websocket")
    w.add_argument("host")
    w.add_argument("path")
    w.add_argument("text")
    w.add_argument("--port", type=int, default=80)
    for name in ("spread", "hold"):
        sp = sub.add_parser(name)
        sp.add_argument("host")
        sp.add_argument("path")
        sp.add_argument("--sources", required=True)
        sp.add_argument("--port", type=int, default=80)
        if name == "hold":
            sp.add_argument("--seconds", type=float, required=True)
            sp.add_argument("--partial", action="store_true")
    args = p.parse_args()
    if args.cmd == "spread":
        spread(args)
    elif args.cmd == "hold":
        hold(args)
    elif args.cmd == "hammer":
        args.seconds = min(args.seconds, 30)
        hammer(args)
    elif args.cmd == "raw":
        raw(args)
    elif args.cmd == "websocket":
        websocket(args)
    else:
        pipeline(args)


if __name__ == "__main__":
    sys.exit(main())
