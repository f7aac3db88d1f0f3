#!/usr/bin/env python3
"""Replays one stratum's draw from README "Sampling" alone (standard library only).

    python3 tools/replay_draw.py SEED K PART [PART ...] < keys.txt

keys.txt holds the stratum's person keys, one per line, in any order. Prints the
K drawn keys in draw order (the first n_h are the sample, the rest reserves).
PARTs are the stratum id's parts, e.g. P-HONGGAI citizen linh_vuc "Đất đai".
Independent of the Rust code on purpose: it is an auditor's cross-check.
"""
import hashlib, struct, sys

def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))
def qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)

def chacha20_block(key, counter):
    const = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    k = list(struct.unpack('<8I', key))
    st = const + k + [counter & 0xffffffff, counter >> 32, 0, 0]
    w = st[:]
    for _ in range(10):
        qr(w,0,4,8,12); qr(w,1,5,9,13); qr(w,2,6,10,14); qr(w,3,7,11,15)
        qr(w,0,5,10,15); qr(w,1,6,11,12); qr(w,2,7,8,13); qr(w,3,4,9,14)
    return struct.pack('<16I', *[(a+b) & 0xffffffff for a,b in zip(w, st)])

class Stream:
    def __init__(self, key): self.key, self.ctr, self.buf = key, 0, b''
    def next_u64(self):
        if len(self.buf) < 8:
            self.buf += chacha20_block(self.key, self.ctr); self.ctr += 1
        v, self.buf = struct.unpack('<Q', self.buf[:8])[0], self.buf[8:]
        return v

def uniform_below(rng, m):
    t = (2**64) % m
    while True:
        x = rng.next_u64()
        if x >= t: return x % m

def draw(seed, parts, keys, k):
    sid = '\x1f'.join(parts)
    key = hashlib.sha256(seed.encode() + b'\x1f' + sid.encode()).digest()
    rng = Stream(key)
    keys = sorted(keys, key=lambda s: s.encode())
    a = list(range(len(keys)))
    for i in range(k):
        j = i + uniform_below(rng, len(keys) - i)
        a[i], a[j] = a[j], a[i]
    return [keys[p] for p in a[:k]]


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    seed, k, parts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    keys = [line.strip() for line in sys.stdin if line.strip()]
    for key in draw(seed, parts, keys, k):
        print(key)
