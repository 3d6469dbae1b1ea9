// The loopback mirror used by the tests, as Python source. Kept in a Swift string (written to a
// temporary file at run time) so the test target has no unhandled non-Swift file.

/// Source of mirror_server.py; see its docstring for the URL scheme.
let mirrorServerSource = #"""
#!/usr/bin/env python3
"""A misbehaving-on-request HTTP mirror for the PluginTests (loopback only, bounded lifetime).

Serves files under --root. The first path component picks the behaviour:
  /ok/NAME        200 or, with a Range header, 206 from the offset
  /missing/NAME   404
  /drop/NAME      the first --drop-times GETs of each file send the full Content-Length,
                  then only --drop-after bytes, then close the connection; later GETs behave as /ok/
  /norange/NAME   ignores Range (always 200 with the whole file), like a server without resume
  /dropnorange/NAME  both of the above
  /corrupt/NAME   the file with one byte flipped in the middle
Prints "PORT <n>" on stdout once listening on 127.0.0.1:<n> (port 0 = any free port).
Appends "METHOD PATH RANGE STATUS" to --log for every request. Exits after --lifetime seconds.
"""
import argparse
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

args = None
drops = {}
log_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def record(self, status):
        if args.log:
            with log_lock, open(args.log, "a") as f:
                f.write(f"{self.command} {self.path} {self.headers.get('Range', '-')} {status}\n")

    def do_GET(self):
        parts = self.path.lstrip("/").split("/", 1)
        mode, name = (parts + [""])[:2]
        path = os.path.join(args.root, name)
        if mode == "missing" or mode not in ("ok", "drop", "norange", "dropnorange", "corrupt") \
                or ".." in name or not os.path.isfile(path):
            self.record(404)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(path, "rb") as f:
            data = bytearray(f.read())
        if mode == "corrupt":
            data[len(data) // 2] ^= 0xFF
        start = 0
        rng = self.headers.get("Range")
        if rng and mode in ("ok", "drop") and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[len("bytes="):-1])
            if start >= len(data):
                self.record(416)
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        status = 206 if start > 0 else 200
        body = bytes(data[start:])
        drop = False
        if mode in ("drop", "dropnorange"):
            drops[self.path] = drops.get(self.path, 0) + 1
            drop = drops[self.path] <= args.drop_times
        self.record(f"{status}{' dropped' if drop else ''}")
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes" if mode in ("ok", "drop") else "none")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if drop:
            self.wfile.write(body[:args.drop_after])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


class QuietServer(HTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients hanging up mid-body is part of the tests


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--drop-after", type=int, default=100_000)
    p.add_argument("--drop-times", type=int, default=1)
    p.add_argument("--lifetime", type=float, default=120)
    args = p.parse_args()
    # A parent started through Foundation's Process may hand us a mask that blocks SIGTERM.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    server = QuietServer(("127.0.0.1", args.port), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    # Never outlive a test that forgot to stop us.
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
"""#
