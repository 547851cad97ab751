#!/usr/bin/env python3
"""toyq: a toy durable queue, the worked example of Faultline's `command` system kind.

docs/systems/command.md walks through it; scenarios/command-toyq.json runs it.

  toyq.py node   --listen HOST:PORT --data DIR    the queue: a TCP server that appends each
                 [--ack-before-write]             record to DIR/log and fsyncs before it answers
                                                  (with --ack-before-write, a planted bug: it
                                                  answers first and writes every 200 ms)
  toyq.py client --queue HOST:PORT --mode MODE    Faultline's client adapter: JSON lines on
                                                  stdin ({"op":"send",...}) and stdout
                                                  ({"op":"ack",...})
  toyq.py reader --queue HOST:PORT                prints every record of the queue as a JSON line

The queue speaks one text line per request:
  PUT <id> <key> <dedup>   append the record (dedup 1: unless a record with that id is there);
                           answers "OK <offset>" once it is on disk
  READ <offset>            answers "REC <offset> <id> <key>" for the records from there on, then
                           "END"

The client maps Faultline's delivery modes onto what the queue offers:
  at-most-once   one PUT; no answer within the timeout is "unknown"
  at-least-once  a PUT that got no answer is sent again (up to 3 tries): duplicates may follow
  exactly-once   as at-least-once, with dedup, so that a retried PUT is applied once
Only the Python standard library is used.
"""

import argparse
import json
import os
import socket
import socketserver
import sys
import threading
import time

TIMEOUT_S = 1.0
TRIES = 3


def split_address(address):
    host, port = address.rsplit(":", 1)
    return host, int(port)


# --- node --------------------------------------------------------------------------------


class Queue:
    """The log on disk and its index; one lock for both."""

    def __init__(self, data_dir, ack_before_write=False):
        os.makedirs(data_dir, exist_ok=True)
        self.ack_before_write = ack_before_write
        self.unwritten = []  # with ack_before_write: answered, not yet on disk
        self.path = os.path.join(data_dir, "log")
        self.lock = threading.Lock()
        self.records = []  # (id, key)
        self.offset_of = {}  # id -> offset of its first record
        if os.path.exists(self.path):
            with open(self.path, "r", encoding="utf-8") as f:
                for line in f:
                    if not line.endswith("\n"):
                        break  # a torn last line: never acknowledged
                    rid, key = line.split()
                    self._index(int(rid), key)
            # Drop a torn tail so that the next append starts on a line of its own.
            with open(self.path, "r+b") as f:
                f.truncate(sum(len(f"{r} {k}\n".encode()) for r, k in self.records))
        self.file = open(self.path, "ab")

    def _index(self, rid, key):
        self.offset_of.setdefault(rid, len(self.records))
        self.records.append((rid, key))

    def put(self, rid, key, dedup):
        with self.lock:
            if dedup and rid in self.offset_of:
                return self.offset_of[rid]
            if self.ack_before_write:
                self.unwritten.append(f"{rid} {key}\n")
            else:
                self.file.write(f"{rid} {key}\n".encode())
                self.file.flush()
                os.fsync(self.file.fileno())
            self._index(rid, key)
            return len(self.records) - 1

    def write_behind(self):
        """The planted bug's writer: what was answered reaches the disk 200 ms later."""
        while True:
            time.sleep(0.2)
            with self.lock:
                self.file.write("".join(self.unwritten).encode())
                self.file.flush()
                os.fsync(self.file.fileno())
                self.unwritten = []

    def read(self, offset, limit=1000):
        with self.lock:
            return list(enumerate(self.records[offset:offset + limit], start=offset))


def serve(args):
    queue = Queue(args.data, args.ack_before_write)
    if args.ack_before_write:
        threading.Thread(target=queue.write_behind, daemon=True).start()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            for raw in self.rfile:
                words = raw.decode().split()
                if len(words) == 4 and words[0] == "PUT":
                    offset = queue.put(int(words[1]), words[2], words[3] == "1")
                    self.wfile.write(f"OK {offset}\n".encode())
                elif len(words) == 2 and words[0] == "READ":
                    out = [f"REC {o} {r} {k}\n" for o, (r, k) in queue.read(int(words[1]))]
                    self.wfile.write(("".join(out) + "END\n").encode())
                else:
                    self.wfile.write(b"ERR bad request\n")
                self.wfile.flush()

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    with Server(split_address(args.listen), Handler) as server:
        print(f"toyq node listening on {args.listen}, log {queue.path}", file=sys.stderr,
              flush=True)
        server.serve_forever()


# --- client adapter ------------------------------------------------------------------------


class Connection:
    """One TCP connection to the queue, reopened after any failure."""

    def __init__(self, address):
        self.address = split_address(address)
        self.sock = None
        self.reader = None

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.reader = None

    def request(self, line):
        """Sends `line`; returns (sent, answer): sent is False when nothing left this host."""
        try:
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=TIMEOUT_S)
                self.reader = self.sock.makefile("rb")
        except OSError:
            self.close()
            return False, None
        try:
            self.sock.sendall(line.encode())
        except OSError:
            self.close()
            return False, None  # not sent as far as we know: a send either fails whole or not
        try:
            answer = self.reader.readline().decode()
        except OSError:
            answer = ""
        if not answer.endswith("\n"):
            self.close()
            return True, None
        return True, answer.strip()


def client(args):
    retry = args.mode in ("at-least-once", "exactly-once")
    dedup = 1 if args.mode == "exactly-once" else 0
    conn = Connection(args.queue)
    for raw in sys.stdin:
        req = json.loads(raw)
        if req.get("op") != "send":
            continue
        line = f"PUT {req['id']} {req['key']} {dedup}\n"
        ack = {"op": "ack", "id": req["id"], "status": "fail", "error": "not sent"}
        for attempt in range(TRIES if retry else 1):
            sent, answer = conn.request(line)
            if answer and answer.startswith("OK "):
                ack = {"op": "ack", "id": req["id"], "status": "ok",
                       "partition": 0, "offset": int(answer.split()[1])}
                break
            if sent or ack["status"] == "unknown":
                # It left this host and may have been applied.
                ack = {"op": "ack", "id": req["id"], "status": "unknown",
                       "error": f"no answer within {TIMEOUT_S} s (try {attempt + 1})"}
            if retry:
                time.sleep(0.1)
        sys.stdout.write(json.dumps(ack) + "\n")
        sys.stdout.flush()


# --- reader --------------------------------------------------------------------------------


def reader(args):
    address = split_address(args.queue)
    offset = 0
    while True:
        try:
            with socket.create_connection(address, timeout=TIMEOUT_S) as sock:
                lines = sock.makefile("rb")
                while True:
                    sock.sendall(f"READ {offset}\n".encode())
                    got = 0
                    for raw in lines:
                        words = raw.decode().split()
                        if words == ["END"]:
                            break
                        _, o, rid, key = words
                        offset = int(o) + 1
                        got += 1
                        sys.stdout.write(json.dumps({"id": int(rid), "key": key}) + "\n")
                    sys.stdout.flush()
                    if got == 0:
                        time.sleep(0.05)
        except (OSError, ValueError):
            time.sleep(0.2)  # the queue is down or cut off: try again


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    node = sub.add_parser("node")
    node.add_argument("--listen", required=True)
    node.add_argument("--data", required=True)
    node.add_argument("--ack-before-write", action="store_true")
    c = sub.add_parser("client")
    c.add_argument("--queue", required=True)
    c.add_argument("--mode", required=True,
                   choices=["at-most-once", "at-least-once", "exactly-once"])
    r = sub.add_parser("reader")
    r.add_argument("--queue", required=True)
    args = parser.parse_args()
    {"node": serve, "client": client, "reader": reader}[args.role](args)


if __name__ == "__main__":
    main()
