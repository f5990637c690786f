#!/usr/bin/env python3
"""A TCP proxy in front of a libvirtd that reports another libvirt version.

    rpc-version-proxy.py TARGET_PORT VERSION

Listens on 127.0.0.1 (a free port, printed on stdout as soon as it listens) and forwards every
connection to 127.0.0.1:TARGET_PORT unchanged, except the daemon's reply to
virConnectGetLibVersion, whose version becomes VERSION (major * 1000000 + minor * 1000 +
micro). That lets tests meet a host whose libvirt is older than the one installed: the client
really connects, speaks the real protocol, and is told an old version the way an old daemon
would tell it.

libvirt's RPC (src/rpc/virnetprotocol.x): each packet is a 4-byte big-endian length that counts
itself, then a header of six 4-byte fields (program, version, procedure, type, serial, status),
then the XDR payload. The reply (type 1) with status OK (0) of REMOTE_PROGRAM 0x20008086,
procedure 157 (REMOTE_PROC_CONNECT_GET_LIB_VERSION), carries one unsigned hyper.
"""
import socket
import struct
import sys
import threading

REMOTE_PROGRAM = 0x20008086
PROC_GET_LIB_VERSION = 157
TYPE_REPLY = 1
STATUS_OK = 0


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def rewrite(packet, version):
    prog, _vers, proc, ptype, _serial, status = struct.unpack(">6I", packet[4:28])
    if (prog, proc, ptype, status) == (REMOTE_PROGRAM, PROC_GET_LIB_VERSION, TYPE_REPLY,
                                       STATUS_OK) and len(packet) == 36:
        return packet[:28] + struct.pack(">Q", version)
    return packet


def server_to_client(server, client, version):
    """Forwards whole packets, rewriting the one reply of interest."""
    try:
        while True:
            head = read_exact(server, 4)
            if head is None:
                break
            (length,) = struct.unpack(">I", head)
            body = read_exact(server, length - 4) if length >= 28 else None
            if body is None:
                break
            client.sendall(rewrite(head + body, version))
    except OSError:
        pass
    for s in (client, server):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def client_to_server(client, server):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            server.sendall(data)
    except OSError:
        pass
    try:
        server.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main():
    target, version = int(sys.argv[1]), int(sys.argv[2])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", target))
        threading.Thread(target=client_to_server, args=(client, server), daemon=True).start()
        threading.Thread(target=server_to_client, args=(server, client, version),
                         daemon=True).start()


if __name__ == "__main__":
    main()
