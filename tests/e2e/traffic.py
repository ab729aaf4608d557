#!/usr/bin/env python3
"""Bounded, paced traffic generators and a sender-side timer for the e2e labs.

Every generator is bounded by --count (and so in time by --count / --rate) and prints one JSON
line: {"sent": packets handed to the kernel, "seconds": time from the first to the last send,
"first_at"/"last_at": those two instants in CLOCK_MONOTONIC seconds}.
The token-bucket checks need that window t precisely (admitted <= burst + rate * t), which is why
the lab does not time senders with `date` around them (hping3, for one, lingers a second after its
last packet).

  udp  --dst ADDR --port P --count N --rate PPS [--src A,B,..] [--size BYTES]
       UDP datagrams from one socket per source address, round-robin (two sources of one /24
       exercise per-prefix keying).
  syn  --dst ADDR --port P --count N --rate PPS [--src ADDR | --rand-source]
       TCP SYNs through a raw socket with our own IP header (IPv4 or IPv6), so IPv6 gets the SYN
       floods hping3 cannot send. --rand-source draws every source from 2001:db8::/32 (v6) or
       198.18.0.0/15 (v4, the benchmarking range), never reused.
  time --dev IFACE [--expect N] -- CMD...
       Runs CMD (e.g. hping3) and watches IFACE's tx_packets: "seconds" is the time between the
       first and the last packet leaving IFACE, "sent" the tx delta (ARP/NDP included),
       "reported" the command's own "N packets transmitted" when it prints one. With --expect N
       the window closes when the N-th packet has left.

Only stdlib: it runs with the distribution's python3 inside `ip netns exec`.
"""
import argparse
import ipaddress
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import time


def pace(count, rate, send_one):
    """Calls send_one(i) count times at `rate` per second. Returns sent, seconds, errors and the
    instants of the first and last send (first_at, last_at: CLOCK_MONOTONIC seconds, which is
    what perf_counter reads on Linux), so windows spanning several runs can be measured."""
    period = 1.0 / rate
    sent = errors = 0
    first = last = None
    start = time.perf_counter()
    for i in range(count):
        due = start + i * period
        while True:
            now = time.perf_counter()
            if now >= due:
                break
            if due - now > 0.002:
                time.sleep(due - now - 0.001)
        try:
            send_one(i)
            sent += 1
        except OSError:
            errors += 1
        last = time.perf_counter()
        if first is None:
            first = last
    return {"sent": sent, "seconds": (last - first) if first is not None else 0.0, "errors": errors,
            "first_at": first, "last_at": last}


def family_of(addr):
    return socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET


def cmd_udp(a):
    fam = family_of(a.dst)
    sources = a.src.split(",") if a.src else [None]
    socks = []
    for src in sources:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if src:
            s.bind((src, 0))
        socks.append(s)
    payload = b"x" * a.size
    dst = (a.dst, a.port)
    result = pace(a.count, a.rate, lambda i: socks[i % len(socks)].sendto(payload, dst))
    return {**result, "sources": len(socks)}


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def tcp_syn(src, dst, sport, dport, seq):
    """A 20-byte TCP SYN header with the checksum over the family's pseudo-header."""
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        pseudo = s.packed + d.packed + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr))
    else:
        pseudo = s.packed + d.packed + struct.pack("!I3xB", len(hdr), socket.IPPROTO_TCP)
    csum = checksum(pseudo + hdr)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:]


def ip_header(src, dst, payload_len, ident):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident & 0xFFFF, 0, 64,
                          socket.IPPROTO_TCP, 0, s.packed, d.packed)
        return hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return struct.pack("!IHBB16s16s", 6 << 28, payload_len, socket.IPPROTO_TCP, 64, s.packed, d.packed)


def random_source(version, used):
    while True:
        if version == 4:
            addr = str(ipaddress.IPv4Address((198 << 24 | 18 << 16) + random.getrandbits(17)))
        else:
            addr = str(ipaddress.IPv6Address((0x20010DB8 << 96) + random.getrandbits(96)))
        if addr not in used:
            used.add(addr)
            return addr


def cmd_syn(a):
    version = ipaddress.ip_address(a.dst).version
    fam = socket.AF_INET if version == 4 else socket.AF_INET6
    # IPPROTO_RAW implies "header included" for both families: the source is ours to choose.
    sock = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
    used = set()
    dst = (a.dst, 0) if version == 4 else (a.dst, 0, 0, 0)

    def send_one(i):
        src = random_source(version, used) if a.rand_source else a.src
        sport = 1024 + (i % 60000)
        tcp = tcp_syn(src, a.dst, sport, a.port, random.getrandbits(32))
        sock.sendto(ip_header(src, a.dst, len(tcp), i) + tcp, dst)

    return pace(a.count, a.rate, send_one)


def read_tx(dev):
    with open(f"/sys/class/net/{dev}/statistics/tx_packets") as f:
        return int(f.read())


def cmd_time(a):
    base = read_tx(a.dev)
    proc = subprocess.Popen(a.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = last = None
    seen = base
    while True:
        running = proc.poll() is None
        now_tx = read_tx(a.dev)
        now = time.perf_counter()
        if now_tx != seen:
            if first is None:
                first = now
            # With --expect N the window ends at the N-th packet: an ARP/NDP probe the kernel sends
            # after the command's last packet must not stretch it.
            if not a.expect or seen - base < a.expect:
                last = now
            seen = now_tx
        if not running:
            break
        time.sleep(0.0005)
    seconds = (last - first) if first is not None else 0.0
    output = proc.stdout.read()
    result = {"sent": seen - base, "seconds": seconds, "exit": proc.returncode}
    # hping3's own count ("N packets transmitted"): the tx delta also holds any ARP/NDP the kernel
    # sent meanwhile.
    m = re.search(r"(\d+) packets transmitted", output)
    if m:
        result["reported"] = int(m.group(1))
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    u = sub.add_parser("udp")
    u.add_argument("--dst", required=True)
    u.add_argument("--port", type=int, default=9)
    u.add_argument("--count", type=int, required=True)
    u.add_argument("--rate", type=float, required=True)
    u.add_argument("--src", default="")
    u.add_argument("--size", type=int, default=64)
    s = sub.add_parser("syn")
    s.add_argument("--dst", required=True)
    s.add_argument("--port", type=int, default=80)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--rate", type=float, required=True)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--src")
    g.add_argument("--rand-source", action="store_true")
    t = sub.add_parser("time")
    t.add_argument("--dev", required=True)
    t.add_argument("--expect", type=int, default=0, help="packets CMD sends (ends the window)")
    t.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    if a.verb in ("udp", "syn") and (a.count > 1_000_000 or a.rate <= 0):
        p.error("--count is bounded to 1,000,000 and --rate must be positive")
    if a.verb == "time":
        if a.cmd and a.cmd[0] == "--":
            a.cmd = a.cmd[1:]
        if not a.cmd:
            p.error("time: missing command")
    result = {"udp": cmd_udp, "syn": cmd_syn, "time": cmd_time}[a.verb](a)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
