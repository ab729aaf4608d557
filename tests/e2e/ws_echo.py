#!/usr/bin/env python3
"""A WebSocket echo server for e2e.gateway_inspection (server namespace, behind nginx's proxy_pass):
answers the RFC 6455 handshake with 101 and sends every text frame back. Stdlib only; one thread
per connection; frames up to 125 bytes (all the test sends). Bounded: sockets time out after 10 s.

  ws_echo.py PORT
"""
import base64
import hashlib
import socket
import sys
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B65"


def serve(conn):
    with conn:
        conn.settimeout(10)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(4096)
            if not chunk:
                return
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        key = ""
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        while True:
            while len(rest) < 6 or len(rest) < 6 + (rest[1] & 0x7F):
                chunk = conn.recv(4096)
                if not chunk:
                    return
                rest += chunk
            length = rest[1] & 0x7F
            mask, payload = rest[2:6], rest[6:6 + length]
            text = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            conn.sendall(bytes([0x81, length]) + text)
            rest = rest[6 + length:]


def main():
    listener = socket.create_server(("127.0.0.1", int(sys.argv[1])), reuse_port=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
