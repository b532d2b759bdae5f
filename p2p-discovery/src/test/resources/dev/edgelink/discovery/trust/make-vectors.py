#!/usr/bin/env python3
"""Writes trust-vectors.csv: the trust objects of TrustVectorsTest, built without any edgelink code.

Protobuf is encoded by hand below (varint keys, fields in number order, defaults left out), Ed25519 comes from
pyca/cryptography (OpenSSL), SHA-256 from hashlib. Run: python3 make-vectors.py > trust-vectors.csv
"""
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(number, value):
    return b"" if value == 0 else varint(number << 3) + varint(value)


def field_bytes(number, value):
    return b"" if len(value) == 0 else varint(number << 3 | 2) + varint(len(value)) + value


def envelope(kind, body, key, domain):
    signature = key.sign(domain + body)
    return field_varint(1, kind) + field_bytes(2, body) + field_bytes(3, signature)


ca_key = Ed25519PrivateKey.from_private_bytes(bytes([0x01] * 32))
node_key = Ed25519PrivateKey.from_private_bytes(bytes([0x02] * 32))
ca_pub = ca_key.public_key().public_bytes(*RAW)
node_pub = node_key.public_key().public_bytes(*RAW)
# libp2p PublicKey protobuf (Type=Ed25519, Data) in an identity multihash: the peer id of the node key.
node_peer = bytes([0x00, 0x24]) + bytes([0x08, 0x01, 0x12, 0x20]) + node_pub

T0 = 1_700_000_000_000
ca_body = (field_bytes(1, b"edgelink-ca") + field_bytes(2, ca_pub) + field_varint(3, T0)
           + field_varint(4, T0 + 87600 * 3_600_000))
ca = envelope(1, ca_body, ca_key, b"edgelink-trust-ca:")
ca_fp = hashlib.sha256(ca).digest()

node_body = (field_bytes(1, b"edge-1") + field_bytes(2, node_peer) + field_bytes(3, b"10.244.1.0/24")
             + field_bytes(3, b"fd00:10:244:1::/64") + field_bytes(4, b"lab-a") + field_varint(5, 1)
             + field_varint(6, T0) + field_varint(7, T0 + 8760 * 3_600_000) + field_bytes(8, ca_fp))
node = envelope(2, node_body, ca_key, b"edgelink-trust-node:")
node_fp = hashlib.sha256(node).digest()

revoked_node = field_bytes(1, b"edge-2") + field_varint(2, T0 + 500_000)
revocation_body = (field_bytes(1, ca_fp) + field_varint(2, 1) + field_varint(3, T0 + 600_000)
                   + field_bytes(4, node_fp) + field_bytes(5, revoked_node))
revocation = envelope(3, revocation_body, ca_key, b"edgelink-trust-revocation:")

print("# name,hex: written by make-vectors.py (hand-encoded protobuf, OpenSSL Ed25519); see TrustVectorsTest")
for name, value in [("ca-public-key", ca_pub), ("node-public-key", node_pub), ("ca-body", ca_body),
                    ("ca", ca), ("ca-fingerprint", ca_fp), ("node-body", node_body), ("node", node),
                    ("node-fingerprint", node_fp), ("revocation-body", revocation_body),
                    ("revocation", revocation), ("revocation-fingerprint", hashlib.sha256(revocation).digest())]:
    print(name + "," + value.hex())
