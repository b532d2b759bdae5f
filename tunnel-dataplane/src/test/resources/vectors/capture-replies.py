#!/usr/bin/env python3
"""Captures raw kernel answers for the codec test vectors, independently of our Java code.

Run inside a scratch namespace prepared as in README.md:  ip netns exec NS python3 capture-replies.py KIND
Prints the answer's datagrams as hex, one per line. KIND: getlink NAME | create-ipip | dump-routes | dump-fdb
"""
import socket
import struct
import sys

SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11


def attr(t, v):
    a = struct.pack("=HH", 4 + len(v), t) + v
    return a + b"\0" * (-len(a) % 4)


def msg(t, flags, seq, body):
    return struct.pack("=IHHII", 16 + len(body), t, flags, seq, 0) + body


def exchange(req, dump):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    s.bind((0, 0))
    s.send(req)
    while True:
        d = s.recv(65536)
        print(d.hex())
        t = struct.unpack_from("=H", d, 4)[0]
        if t == 2 or (t == 3 and dump) or not dump:
            return


kind = sys.argv[1]
ifinfo = struct.pack("=BxHiII", 0, 0, 0, 0, 0)
if kind == "getlink":
    exchange(msg(18, 0x1, 1, ifinfo + attr(3, sys.argv[2].encode() + b"\0")), False)
elif kind == "create-ipip":
    info = attr(1, b"ipip\0") + attr(2, attr(4, bytes([64])) + attr(10, bytes([1])))
    exchange(msg(16, 0x605, 2, ifinfo + attr(3, b"edgelink.ipip\0") + attr(18, info)), False)
elif kind == "dump-routes":
    exchange(msg(26, 0x301, 3, struct.pack("=BBBBBBBBI", 2, 0, 0, 0, 0, 0, 0, 0, 0)), True)
elif kind == "dump-fdb":
    exchange(msg(30, 0x301, 4, struct.pack("=BxHiHBB", 7, 0, 0, 0, 0, 0)), True)
