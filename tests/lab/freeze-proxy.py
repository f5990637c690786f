#!/usr/bin/env python3
"""A proxy in front of a libvirtd's UNIX socket that can cut the line without closing it.

    freeze-proxy.py LISTEN_PATH TARGET_PATH

Forwards every connection made to LISTEN_PATH to TARGET_PATH, byte for byte, and prints
"ready" once it listens, then "frozen" or "thawed" once it has acted on a signal. On SIGUSR1 every connection open at that moment freezes: nothing more
is read from it or forwarded, in either direction, and both of its sockets stay open. That is
what a host behind a dropped network path looks like to a client (a cable pulled, a firewall
that drops packets): no answer, no end of file, no error, for ever. Connections made after the
signal are forwarded as usual, as to a host reachable again by another path; a SIGSTOPped
daemon cannot show that, since it answers none. SIGUSR2 thaws the frozen connections (what was
held back is then forwarded).
"""
import os
import selectors
import signal
import socket
import sys

pending = []  # signals received, handled by the loop


class Pair:
    """One client connection and its connection to the daemon."""

    def __init__(self, client, server):
        self.ends = {client: server, server: client}
        self.frozen = False


def main():
    listen_path, target = sys.argv[1], sys.argv[2]
    if os.path.exists(listen_path):
        os.unlink(listen_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(listen_path)
    listener.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    pairs = []
    signal.signal(signal.SIGUSR1, lambda *_: pending.append("freeze"))
    signal.signal(signal.SIGUSR2, lambda *_: pending.append("thaw"))
    print("ready", flush=True)
    while True:
        while pending:
            freeze = pending.pop(0) == "freeze"
            for p in pairs:
                if p.frozen == freeze:
                    continue
                p.frozen = freeze
                for s in p.ends:
                    if freeze:
                        sel.unregister(s)
                    else:
                        sel.register(s, selectors.EVENT_READ, p)
            print("frozen" if freeze else "thawed", flush=True)
        for key, _ in sel.select(timeout=0.1):
            if key.fileobj is listener:
                client, _ = listener.accept()
                server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                server.connect(target)
                p = Pair(client, server)
                pairs.append(p)
                for s in p.ends:
                    sel.register(s, selectors.EVENT_READ, p)
                continue
            p, src = key.data, key.fileobj
            if p not in pairs:
                continue  # closed earlier in this round
            try:
                data = src.recv(65536)
                # Blocking sends: the peer is a local socket that reads promptly. A peer gone
                # meanwhile (a client that gave up while frozen) ends the pair.
                if data:
                    p.ends[src].sendall(data)
                    continue
            except OSError:
                pass
            for s in p.ends:
                sel.unregister(s)
                s.close()
            pairs.remove(p)


if __name__ == "__main__":
    main()
