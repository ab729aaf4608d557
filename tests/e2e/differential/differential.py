#!/usr/bin/env python3
"""Differential replay through the gateway lab (tests/e2e/test_gateway_differential.sh).

Every stream of the corpus (streams/*.stream, format in README.md), and mutants made from them and
from the fuzzer's seeds, is written from its OWN client address to nginx behind xdp-throttled.
Afterwards nginx's access log says what the backend served; for every source address the number of
2xx answers to the limited endpoint must not exceed the client capacity. The controller's own
counters (its log's stats lines) are printed next to nginx's per stream class: where they disagree
is where the controller saw something other than what nginx routed.

  run  --server ADDR --sources FIRST-LAST --nginx-log F --daemon-log F [options]
  list [--streams DIR] [--fuzz-corpus DIR --mutants N --seed S]   names, classes, sizes
  show NAME [...]                                                   the exact bytes, escaped

Stdlib only; run in the client namespace. Bounded: connect/read timeouts, an idle cut-off per
connection, a deadline per stream and a time budget for the whole run.
"""
import argparse
import fcntl
import ipaddress
import os
import random
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIMITED = "/limited"
SPLITS = ("whole", "boundaries", "random", "bytes")
# "bytes" writes one segment per byte: only for streams this short (a 30 KB head would take seconds).
BYTES_SPLIT_MAX = 3000
SIOCOUTQNSD = 0x894B  # bytes not yet sent (linux/sockios.h): 0 means the last write left as its own segment

# ---- the stream format ------------------------------------------------------------------------------


@dataclass
class Conn:
    data: bytes = b""
    shutdown: bool = False  # half-close (FIN) after writing


@dataclass
class Stream:
    name: str
    cls: str
    conns: list
    split: str = ""        # forced by a directive, else chosen by the seed
    origin: str = ""       # mutants: what they were made from
    note: str = ""         # the file's first comment line: what the stream tries

    @property
    def size(self):
        return sum(len(c.data) for c in self.conns)


class FormatError(ValueError):
    pass


def unescape_line(line, where):
    """A data line's bytes; the bool says whether the line ends in a continuation backslash."""
    out = bytearray()
    i = 0
    simple = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\", "s": b" "}
    while i < len(line):
        c = line[i]
        if c != "\\":
            out += c.encode("latin-1")
            i += 1
            continue
        if i + 1 == len(line):
            return bytes(out), True  # a lone trailing backslash: no line end
        e = line[i + 1]
        if e in simple:
            out += simple[e]
            i += 2
        elif e == "x":
            h = line[i + 2:i + 4]
            if not re.fullmatch(r"[0-9a-fA-F]{2}", h):
                raise FormatError(f"{where}: bad \\x escape")
            out.append(int(h, 16))
            i += 4
        elif e == "*":
            m = re.match(r"\\\*(\d+)\{([^}]*)\}", line[i:])
            if not m or int(m.group(1)) > 1_000_000:
                raise FormatError(f"{where}: bad \\*N{{TEXT}} repetition")
            out += m.group(2).encode("latin-1") * int(m.group(1))
            i += m.end()
        else:
            raise FormatError(f"{where}: unknown escape \\{e}")
    return bytes(out), False


def parse_stream(text, name):
    """The format of README.md: data lines end in CRLF unless continued; '#' comments; '#!' directives."""
    conns = [Conn()]
    split = ""
    note = ""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file's final newline ends the last line, it is not an empty line
    expanded = []
    repeat_stack = []  # (count, lines collected)
    for n, raw in enumerate(lines, 1):
        where = f"{name}:{n}"
        if "\r" in raw:
            raise FormatError(f"{where}: a raw CR in the file (write \\r; the file's own lines end in LF)")
        if raw.startswith("#!"):
            words = raw[2:].split()
            if not words:
                raise FormatError(f"{where}: empty directive")
            if words[0] == "repeat":
                if len(words) != 2 or not words[1].isdigit() or not 1 <= int(words[1]) <= 1000:
                    raise FormatError(f"{where}: '#! repeat N' (1..1000)")
                repeat_stack.append((int(words[1]), []))
                continue
            if words[0] == "end":
                if not repeat_stack:
                    raise FormatError(f"{where}: '#! end' without '#! repeat'")
                count, body = repeat_stack.pop()
                target = repeat_stack[-1][1] if repeat_stack else expanded
                target.extend(body * count)
                continue
            item = (where, raw)
        elif raw.startswith("#"):
            if not note and not expanded and not repeat_stack:
                note = raw.lstrip("# ").strip()
            continue
        else:
            item = (where, raw)
        (repeat_stack[-1][1] if repeat_stack else expanded).append(item)
    if repeat_stack:
        raise FormatError(f"{name}: '#! repeat' without '#! end'")
    for where, raw in expanded:
        if raw.startswith("#!"):
            words = raw[2:].split()
            if words[0] == "split" and len(words) == 2 and words[1] in SPLITS:
                split = words[1]
            elif words == ["connection"]:
                conns.append(Conn())
            elif words == ["shutdown"]:
                conns[-1].shutdown = True
            else:
                raise FormatError(f"{where}: unknown directive '{raw}'")
            continue
        data, continued = unescape_line(raw, where)
        conns[-1].data += data if continued else data + b"\r\n"
    conns = [c for c in conns if c.data or c.shutdown]
    if not conns:
        raise FormatError(f"{name}: no data")
    cls = name.split("-", 1)[0]
    return Stream(name=name, cls=cls, conns=conns, split=split, note=note)


def escape_lines(data):
    """The inverse of parse_stream for one connection: a line per CRLF, bare LFs as '\\n\\'."""
    lines = []
    cur = []

    def flush(cont):
        text = "".join(cur)
        if text.endswith(" "):
            text = text[:-1] + "\\s"
        if text.startswith("#"):
            text = "\\x23" + text[1:]
        lines.append(text + ("\\" if cont else ""))
        cur.clear()

    i = 0
    while i < len(data):
        b = data[i]
        if data[i:i + 2] == b"\r\n":
            flush(False)
            i += 2
            continue
        if b == 0x0A:
            cur.append("\\n")
            flush(True)
        elif b == 0x5C:
            cur.append("\\\\")
        elif b == 0x0D:
            cur.append("\\r")
        elif b == 0x09:
            cur.append("\\t")
        elif 0x20 <= b < 0x7F:
            cur.append(chr(b))
        else:
            cur.append(f"\\x{b:02x}")
        i += 1
    if cur:
        flush(True)
    return lines


def format_stream(stream):
    out = [f"# {stream.note or stream.name}"]
    if stream.origin:
        out.append(f"# made from {stream.origin}")
    if stream.split:
        out.append(f"#! split {stream.split}")
    for k, c in enumerate(stream.conns):
        if k:
            out.append("#! connection")
        out += escape_lines(c.data)
        if c.shutdown:
            out.append("#! shutdown")
    return "\n".join(out) + "\n"


def load_corpus(directory):
    streams = []
    for path in sorted(Path(directory).glob("*.stream")):
        streams.append(parse_stream(path.read_text(encoding="latin-1"), path.name))
    return streams


# ---- mutants ------------------------------------------------------------------------------------------

# Spellings of the limited path that nginx routes to it (and a few it does not, as controls).
PATH_SPELLINGS = ["/limited", "/%6cimited", "/%6Cimited", "/limite%64", "//limited", "/./limited",
                  "/x/../limited", "/x/%2e%2e/limited", "/%2e/limited", "/x%2f..%2flimited",
                  "http://lab/limited", "/limited?a=1", "/limited#f", "/limited?", "/limited/",
                  "/LIMITED", "/limited;x", "/%256cimited", "/limited/.", "/limited/x/.."]
HOSTILE_HEADERS = [b"Transfer-Encoding: chunked", b"Content-Length: 5", b"Content-Length: 0",
                   b"Content-Length: -1", b"Content-Length: 99999999999999999999",
                   b"Transfer-Encoding: identity", b"Transfer-Encoding: gzip, chunked",
                   b"Transfer-Encoding : chunked", b"Transfer-Encoding:\tchunked",
                   b"Connection: Upgrade", b"Upgrade: websocket", b"Upgrade: h2c",
                   b"Connection: close", b"Connection: keep-alive", b"Expect: 100-continue",
                   b"Cookie: " + b"c" * 9000, b"X-Pad: " + b"p" * 7000, b"Host: other",
                   b" folded", b"\tfolded", b"X-Nul: a\0b", b"Content_Length: 5", b"X: y\rZ: w"]
VERSIONS = [b"HTTP/1.0", b"HTTP/1.2", b"HTTP/2.0", b"HTTP/0.9", b"http/1.1", b"HTTP/01.1", b"HTTP/1.1 ",
            b"HTTP/1.10", b""]
METHODS = [b"GET", b"HEAD", b"get", b"CONNECT", b"PRI", b"POST", b"GET ", b"G\tET", b"OPTIONS", b"GET\t"]
BYTES = b" \t\r\n\0:/%.\\\"#?;,\x7f\x80\xff0aZ"
REQUEST_LINE = re.compile(rb"(?m)^([A-Za-z]+)[ \t]+(\S+)[ \t]+(HTTP/\d\.\d)")


def plain_request(path=LIMITED):
    return f"GET {path} HTTP/1.1\r\nHost: lab\r\n\r\n".encode()


def _pick_line_start(data, rng):
    starts = [0] + [m.end() for m in re.finditer(rb"\n", data) if m.end() < len(data)]
    return rng.choice(starts)


def _mutate(data, rng, others):
    """One mutation of `data`; returns (bytes, operator name)."""
    op = rng.choice(["flip", "insert", "delete", "lf_only", "cr_only", "header", "path", "case", "dup_line",
                     "fold", "truncate", "splice", "version", "method"])
    n = len(data)
    if op == "flip" and n:
        i = rng.randrange(n)
        return data[:i] + bytes([rng.choice(BYTES)]) + data[i + 1:], op
    if op == "insert":
        i = rng.randrange(n + 1)
        return data[:i] + bytes([rng.choice(BYTES)]) + data[i:], op
    if op == "delete" and n:
        i = rng.randrange(n)
        return data[:i] + data[i + 1:], op
    if op in ("lf_only", "cr_only"):
        spots = [m.start() for m in re.finditer(rb"\r\n", data)]
        if spots:
            i = rng.choice(spots)
            return data[:i] + (b"\n" if op == "lf_only" else b"\r") + data[i + 2:], op
    if op == "header":
        heads = [m.end() for m in re.finditer(rb"\r?\n", data)]
        if heads:
            i = rng.choice(heads)
            return data[:i] + rng.choice(HOSTILE_HEADERS) + b"\r\n" + data[i:], op
    if op == "path":
        lines = list(REQUEST_LINE.finditer(data))
        if lines:
            m = rng.choice(lines)
            return data[:m.start(2)] + rng.choice(PATH_SPELLINGS).encode() + data[m.end(2):], op
    if op == "version":
        lines = list(REQUEST_LINE.finditer(data))
        if lines:
            m = rng.choice(lines)
            return data[:m.start(3)] + rng.choice(VERSIONS) + data[m.end(3):], op
    if op == "method":
        lines = list(REQUEST_LINE.finditer(data))
        if lines:
            m = rng.choice(lines)
            return data[:m.start(1)] + rng.choice(METHODS) + data[m.end(1):], op
    if op == "case":
        runs = [m.span() for m in re.finditer(rb"[A-Za-z]{2,}", data)]
        if runs:
            a, b = rng.choice(runs)
            return data[:a] + data[a:b].swapcase() + data[b:], op
    if op == "dup_line" and n:
        a = _pick_line_start(data, rng)
        b = data.find(b"\n", a)
        b = n if b < 0 else b + 1
        return data[:b] + data[a:b] + data[b:], op
    if op == "fold":
        spots = [m.end() for m in re.finditer(rb"\r\n(?=[A-Za-z])", data)][1:]
        if spots:
            i = rng.choice(spots)
            return data[:i] + rng.choice([b" ", b"\t"]) + data[i:], op
    if op == "truncate" and n > 1:
        return data[:rng.randrange(1, n)], op
    if op == "splice" and others:
        o = rng.choice(others)
        a = rng.randrange(len(o) + 1)
        return data + o[a:a + rng.randint(1, 256)], op
    i = rng.randrange(n + 1)  # the operator found nothing to work on: a plain insertion instead
    return data[:i] + bytes([rng.choice(BYTES)]) + data[i:], "insert"


def fuzz_seeds(directory):
    """fuzz_http's seeds as request bytes: the first byte is that target's cut seed, not HTTP."""
    out = []
    if directory and Path(directory).is_dir():
        for p in sorted(Path(directory).iterdir()):
            if p.is_file():
                raw = p.read_bytes()[1:]
                # Aim their requests at the limited endpoint: a mutant that fools the controller
                # then shows up in nginx's count.
                raw = REQUEST_LINE.sub(lambda m: m.group(1) + b" " + LIMITED.encode() + b" " + m.group(3), raw)
                out.append((f"fuzz:{p.name}", raw))
    return out


def make_mutants(corpus, fuzz_dir, count, seed, capacity):
    """`count` mutants, deterministic in `seed`: a corpus stream's (or fuzz seed's) first
    connection with 1-4 mutations, then capacity+2 plain requests for the limited endpoint
    pipelined behind it: if the mutation makes the controller lose the stream, nginx serves them."""
    bases = [(s.name, s.conns[0].data) for s in corpus if len(s.conns[0].data) <= 40000]
    bases += fuzz_seeds(fuzz_dir)
    if not bases:
        return []
    others = [b for _, b in bases]
    tail = plain_request() * (capacity + 2)
    out = []
    for i in range(count):
        rng = random.Random(f"{seed}/mutant/{i}")
        origin, data = rng.choice(bases)
        ops = []
        for _ in range(rng.randint(1, 4)):
            data, op = _mutate(data, rng, others)
            ops.append(op)
        name = f"mutant-{seed}-{i:03d}"
        out.append(Stream(name=name, cls="mutant", conns=[Conn(data + tail)],
                          origin=f"{origin} by {', '.join(ops)}", note=f"{name}: {origin} by {', '.join(ops)}"))
    return out


# ---- writing a stream -----------------------------------------------------------------------------------


def segments(data, mode, rng):
    """The writes for `data` (each becomes its own TCP segment: see write_segments)."""
    if mode == "whole" or len(data) <= 1:
        return [data]
    if mode == "bytes":
        return [data[i:i + 1] for i in range(len(data))]
    cuts = set()
    if mode == "boundaries":
        # Around every line end and, byte by byte, around every empty line (where heads end): where
        # a parser that keeps state across segments goes wrong.
        for m in re.finditer(rb"\n", data):
            cuts.update((m.start(), m.end()))
        for m in re.finditer(rb"\r?\n\r?\n", data):
            cuts.update(range(max(1, m.start() - 2), min(len(data), m.end() + 3)))
    else:  # random
        i = 0
        while i < len(data):
            i += rng.choice([1, 2, 3, rng.randint(1, 64), rng.randint(64, 1460), rng.randint(1460, 9000)])
            cuts.add(i)
    points = sorted(c for c in cuts if 0 < c < len(data))
    return [data[a:b] for a, b in zip([0] + points, points + [len(data)])]


def unsent(sock):
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), SIOCOUTQNSD, struct.pack("i", 0)))[0]
    except OSError:
        return 0


def write_segments(sock, pieces, deadline):
    """Writes the pieces with TCP_NODELAY; before the next one, waits (briefly) until the kernel has
    put the previous one on the wire, so it cannot be coalesced with it. Returns bytes written."""
    written = 0
    for k, piece in enumerate(pieces):
        if time.monotonic() > deadline:
            break
        sock.sendall(piece)
        written += len(piece)
        if k + 1 < len(pieces):
            wait_until = time.monotonic() + 0.02
            while unsent(sock) and time.monotonic() < wait_until:
                time.sleep(0.0002)
    return written


def read_until_quiet(sock, idle, deadline):
    """Everything the server sends until it closes, resets, goes quiet for `idle` s, or the deadline."""
    buf = b""
    end = "idle"
    last = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= deadline:
            return buf, "deadline"
        sock.settimeout(max(0.01, min(idle - (now - last), deadline - now)))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            if time.monotonic() - last >= idle:
                return buf, end
            continue
        except ConnectionResetError:
            return buf, "reset"
        except OSError as e:
            return buf, f"error {e.errno}"
        if not chunk:
            return buf, "closed"
        buf += chunk
        last = time.monotonic()


STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})")


@dataclass
class Played:
    stream: Stream
    source: str
    split: str
    sent: list = field(default_factory=list)      # bytes written per connection
    ends: list = field(default_factory=list)      # how each connection ended
    statuses: list = field(default_factory=list)  # status codes the client saw (all connections)
    seconds: float = 0.0


def play(stream, source, server, port, seed, idle, stream_deadline):
    """One stream from `source`: its connections one after the other."""
    rng = random.Random(f"{seed}/split/{stream.name}")
    split = stream.split or rng.choice(["whole", "boundaries", "random", "bytes"])
    if split == "bytes" and stream.size > BYTES_SPLIT_MAX:
        split = "boundaries"
    out = Played(stream=stream, source=source, split=split)
    start = time.monotonic()
    deadline = start + stream_deadline
    for conn in stream.conns:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        written = 0
        try:
            sock.bind((source, 0))
            sock.settimeout(3)
            sock.connect((server, port))
            try:
                written = write_segments(sock, segments(conn.data, split, rng), deadline)
                if conn.shutdown:
                    sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the other side gave up on us (RST): read what it said before
            data, end = read_until_quiet(sock, idle, deadline)
            out.statuses += [int(s) for s in STATUS_LINE.findall(data)]
            out.ends.append(end)
        except OSError as e:
            out.ends.append(f"connect: {e.strerror or e}")
        finally:
            out.sent.append(written)
            sock.close()
    out.seconds = time.monotonic() - start
    return out


def play_all(streams, sources, args):
    results = [None] * len(streams)

    def run(i):
        results[i] = play(streams[i], sources[i], args.server, args.port, args.seed, args.idle, args.stream_deadline)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(streams))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.stream_deadline + 5)
    # A stream still running is reported (and its source checked) all the same.
    return [r or Played(stream=streams[i], source=sources[i], split="?", ends=["still running"])
            for i, r in enumerate(results)]


# ---- what nginx and the controller say ---------------------------------------------------------------

# log_format diff escape=json '$remote_addr $status "$uri" "$request" $connection';
NGINX_LINE = re.compile(r'^(\S+) (\d{3}) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\d+)$')


def nginx_entries(path):
    """The log's entries, and the lines that did not parse (each one could hide a served request)."""
    out, unread = [], []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return out, [f"no access log at {path}"]
    for line in text.splitlines():
        m = NGINX_LINE.match(line)
        if m:
            out.append({"addr": m.group(1), "status": int(m.group(2)), "uri": m.group(3),
                        "request": m.group(4), "conn": int(m.group(5)), "line": line})
        else:
            unread.append(line)
    return out, unread


def served_limited(entry):
    return 200 <= entry["status"] < 300 and entry["uri"] == LIMITED


# xdp-throttled's counters line (userspace/controller/controller.cpp, State::report).
STATS = re.compile(r"\]: flows (\d+) active, (\d+) created, (\d+) closed, (\d+) expired, \d+ evicted, "
                   r"\d+ refused \(table full\), (\d+) bypassed \(\d+ tunnels\) \| "
                   r"requests (\d+) \([^)]*\), rejected (\d+) \([^)]*\), responses (\d+)")
STAT_NAMES = ("active", "created", "closed", "expired", "bypassed", "requests", "rejected", "responses")


def daemon_stats(path):
    lines = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = STATS.search(line)
                if m:
                    lines.append(dict(zip(STAT_NAMES, map(int, m.groups()))))
    except FileNotFoundError:
        pass
    return lines


def fresh_stats(path, timeout=3.0):
    """The daemon's counters as of now: two stats lines newer than the call (the first may have been
    counted before the last frames of the class were handled). None if the daemon logs none."""
    seen = len(daemon_stats(path))
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        lines = daemon_stats(path)
        if len(lines) >= seen + 2:
            return lines[-1]
        time.sleep(0.05)
    lines = daemon_stats(path)
    return lines[-1] if lines else None


# ---- the run --------------------------------------------------------------------------------------------


def address_ranges(text):
    """FIRST-LAST[,FIRST-LAST...] -> the addresses, in order."""
    out = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        a, b = ipaddress.IPv4Address(first), ipaddress.IPv4Address(last or first)
        out += [str(ipaddress.IPv4Address(x)) for x in range(int(a), int(b) + 1)]
    return out


def all_streams(args):
    corpus = load_corpus(args.streams)
    mutants = make_mutants(corpus, args.fuzz_corpus, args.mutants, args.seed, args.capacity)
    streams = corpus + mutants
    if args.only:
        streams = [s for s in streams if s.name in args.only or s.cls in args.only]
    return streams, len(corpus), len(mutants)


def summarize_statuses(played):
    c = Counter(played_status for p in played for played_status in p.statuses)
    ends = Counter(e for p in played for e in p.ends)
    text = " ".join(f"{k}x{v}" for k, v in sorted(c.items())) or "-"
    return text, " ".join(f"{k}x{v}" for k, v in sorted(ends.items()))


def run(args):
    started = time.monotonic()
    streams, n_corpus, n_mutants = all_streams(args)
    sources = address_ranges(args.sources)
    if len(streams) > len(sources):
        print(f"differential: {len(streams)} streams but only {len(sources)} source addresses "
              f"({args.sources}): lower --mutants", file=sys.stderr)
        return 2
    by_class = defaultdict(list)
    for s in streams:
        by_class[s.cls].append(s)
    # Mutants go in batches: their bytes are cheap, but one thread per stream.
    batches = []
    for cls, group in by_class.items():
        for k in range(0, len(group), args.batch):
            batches.append((cls, group[k:k + args.batch]))

    print(f"differential: {len(streams)} streams ({n_corpus} from {args.streams}, {n_mutants} mutants, "
          f"seed {args.seed}) to {args.server}:{args.port}, capacity {args.capacity} per source")
    header = (f"{'class':<10} {'streams':>7} | {'nginx 2xx /limited':>18} {'other':>5} {'max/src':>7} | "
              f"{'ctl judged':>10} {'rejected':>8} {'bypassed':>8} {'closed':>6} | client saw")
    print(header)
    before = fresh_stats(args.daemon_log, 1.0) if args.daemon_log else None
    next_source = 0
    played_all = []
    skipped = []
    class_rows = defaultdict(lambda: {"streams": 0, "played": [], "ctl": Counter()})
    for cls, group in batches:
        if time.monotonic() - started > args.budget:
            skipped += [s.name for s in group]
            continue
        srcs = sources[next_source:next_source + len(group)]
        next_source += len(group)
        played = play_all(group, srcs, args)
        played_all += played
        row = class_rows[cls]
        row["streams"] += len(group)
        row["played"] += played
        after = fresh_stats(args.daemon_log) if args.daemon_log else None
        if before and after:
            row["ctl"].update({k: after[k] - before[k] for k in STAT_NAMES if k != "active"})
        before = after or before

    time.sleep(0.3)  # nginx logs a request when it finishes it; the last ones of the last batch
    entries, unread = nginx_entries(args.nginx_log)
    for line in unread[:10]:
        print(f"differential: cannot read nginx's log line: {line[:300]}")
    by_addr = defaultdict(list)
    for e in entries:
        by_addr[e["addr"]].append(e)

    failures = []
    for cls, row in class_rows.items():
        srcs = [p.source for p in row["played"]]
        limited = [sum(served_limited(e) for e in by_addr[s]) for s in srcs]
        other = sum(len(by_addr[s]) for s in srcs) - sum(limited)
        statuses, ends = summarize_statuses(row["played"])
        ctl = row["ctl"]
        ctl_text = (f"{ctl['requests']:>10} {ctl['rejected']:>8} {ctl['bypassed']:>8} {ctl['closed']:>6}"
                    if ctl else f"{'?':>10} {'?':>8} {'?':>8} {'?':>6}")
        print(f"{cls:<10} {row['streams']:>7} | {sum(limited):>18} {other:>5} {max(limited, default=0):>7} | "
              f"{ctl_text} | {statuses} ({ends})")
        for p in row["played"]:
            served = sum(served_limited(e) for e in by_addr[p.source])
            if served > args.capacity:
                failures.append((p, served))

    for n, (p, served) in enumerate(failures):
        s = p.stream
        if n == args.details:
            print(f"\n... {len(failures) - n} more failures, names in the summary below")
            break
        print(f"\nFAIL {s.name}{' (' + s.origin + ')' if s.origin else ''}: source {p.source} was served "
              f"{served} x 2xx {LIMITED} by nginx, capacity {args.capacity} (split {p.split}, "
              f"{len(s.conns)} connection(s), {p.sent} bytes written, ended {p.ends}, client saw "
              f"{p.statuses or 'no status line'})")
        if s.note:
            print(f"  what it tries: {s.note}")
        logged = by_addr[p.source]
        for e in logged[:12]:
            print(f"  nginx: {e['line']}")
        if len(logged) > 12:
            print(f"  nginx: ... {len(logged) - 12} more lines")
        if args.save_failures and s.cls == "mutant":
            Path(args.save_failures).mkdir(parents=True, exist_ok=True)
            out = Path(args.save_failures) / f"{s.name}.stream"
            out.write_text(format_stream(s), encoding="latin-1")
            print(f"  saved as {out}")
        elif s.cls == "mutant":
            lines = format_stream(s).splitlines()
            print(f"  as a stream file ({len(lines)} lines; --save-failures DIR writes them whole):")
            for line in lines[:30]:
                print(f"    {line[:200]}")

    served_total = sum(len(by_addr[p.source]) for p in played_all)
    limited_total = sum(served_limited(e) for p in played_all for e in by_addr[p.source])
    max_per_source = max((sum(served_limited(e) for e in by_addr[p.source]) for p in played_all), default=0)
    if skipped:
        print(f"\ndifferential: time budget {args.budget}s spent, {len(skipped)} streams not run: "
              f"{' '.join(skipped[:20])}{' ...' if len(skipped) > 20 else ''}")
    print(f"\ndifferential: {len(played_all)} streams run in {time.monotonic() - started:.1f}s; nginx served "
          f"{served_total} requests ({limited_total} x 2xx {LIMITED}); max {LIMITED} 2xx per source "
          f"{max_per_source} (capacity {args.capacity}); {len(failures)} stream(s) over the limit"
          + (": " + " ".join(p.stream.name for p, _ in failures) if failures else ""))
    if not played_all or unread:
        return 1
    return 1 if failures else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--streams", default=str(HERE / "streams"))
        sp.add_argument("--fuzz-corpus", default=str(HERE.parent.parent / "fuzz" / "corpus"))
        sp.add_argument("--mutants", type=int, default=0)
        sp.add_argument("--seed", type=int, default=1)
        sp.add_argument("--capacity", type=int, default=2)
        sp.add_argument("--only", action="append", default=[], help="a stream name or class (repeatable)")

    r = sub.add_parser("run")
    common(r)
    r.add_argument("--server", required=True)
    r.add_argument("--port", type=int, default=80)
    r.add_argument("--sources", required=True, help="FIRST-LAST[,FIRST-LAST...]: one IPv4 source per stream")
    r.add_argument("--nginx-log", required=True)
    r.add_argument("--daemon-log", default="")
    r.add_argument("--idle", type=float, default=0.5, help="a connection is done after this long quiet")
    r.add_argument("--stream-deadline", type=float, default=6.0)
    r.add_argument("--budget", type=float, default=50.0, help="no new batch starts after this many seconds")
    r.add_argument("--batch", type=int, default=60)
    r.add_argument("--save-failures", default="", help="write failing mutants here as .stream files")
    r.add_argument("--details", type=int, default=40, help="print details of this many failures")
    ls = sub.add_parser("list")
    common(ls)
    sh = sub.add_parser("show")
    common(sh)
    sh.add_argument("names", nargs="+")
    args = p.parse_args()
    if args.cmd == "run":
        args.stream_deadline = min(args.stream_deadline, 30)
        return run(args)
    if args.cmd == "show":
        args.only = args.names
    streams, _, _ = all_streams(args)
    for s in streams:
        if args.cmd == "list":
            print(f"{s.name:<40} {s.cls:<10} {len(s.conns)} conn {s.size:>7} B  {s.note}")
        else:
            sys.stdout.write(format_stream(s))
            for c in s.conns:
                assert parse_stream(format_stream(Stream(s.name, s.cls, [c])), s.name).conns[0].data == c.data
    return 0


if __name__ == "__main__":
    sys.exit(main())
