#!/usr/bin/env python3
"""Writes the benchmark exchange of docs/performance.md ("Scripted packet
events vs packetdrill") twice: as a packetdrill script and as a faultline case
with a scripted host, each in a long and a short (handshake only) variant.

The exchange (the script is the client, the stack under test is a listening
server on port 8080):

  handshake     SYN <mss 1460,nop,wscale 7> in, SYN-ACK out, ACK in   3 events
  data          N segments of 100 bytes in, each ACKed at once       2N events
  re-arm        after every BLOCK segments: read() of the block, the
                last segment again in, its duplicate ACK out         2*(N/BLOCK)
  teardown      read() of the rest, close(): FIN out, ACK in, FIN in,
                ACK out (the stack closes first: the ACK of a FIN that
                arrives first is delayed, tcp_fin enters ping-pong mode)  4 events

Linux ACKs the first 16 data segments of a connection at once (quick-ACK
mode) and delays later ACKs by ~40 ms; a duplicate segment puts it back into
quick-ACK mode at once (tcp_data_queue: "a retransmit ... force an immediate
ack"). Without the re-arm the exchange would measure the delayed-ACK timer,
not the tools. The reads keep the receive window (and with it the
quick-ACK budget, rcv_wnd / (2 * rcv_mss)) from shrinking. The short variant is the handshake and accept() only.

Usage: gen_exchange.py [--segments N] [--block B] [--wscale W] [--out DIR]
With no --out the files go next to this script (bench/scripted/); the
committed files were written with the defaults.
"""

import argparse
import os
import re
import sys

PORT = 8080
PEER_PORT = 40000
SEG = 100  # payload bytes per data segment
WIN = 512  # the script's window (unscaled; the script's wscale is 7)


def stack_wscale():
    """The window scale Linux puts in its SYN-ACK: from tcp_rmem[2] and
    rmem_max (a new network namespace copies the host's tcp_rmem)."""
    try:
        with open("/proc/sys/net/ipv4/tcp_rmem") as f:
            space = int(f.read().split()[2])
        with open("/proc/sys/net/core/rmem_max") as f:
            space = max(space, int(f.read()))
    except (OSError, ValueError, IndexError):
        return 7
    return max(0, min(14, space.bit_length() - 1 - 15))


def events(n, block):
    """The exchange as (direction, flags, seq, ack, length) tuples plus
    ("call", text) tuples; seq/ack relative to each side's ISN."""
    ev = [("in", "S", 0, None, 0), ("out", "S.", 0, 1, 0), ("in", ".", 1, 1, 0),
          ("call", "accept")]
    if n == 0:
        return ev
    for i in range(n):
        a = 1 + i * SEG
        ev.append(("in", "P.", a, 1, SEG))
        ev.append(("out", ".", 1, a + SEG, 0))
        if (i + 1) % block == 0 and i + 1 < n:
            ev.append(("call", "read", block * SEG))
            ev.append(("in", "P.", a, 1, SEG))
            ev.append(("out", ".", 1, a + SEG, 0))
    end = 1 + n * SEG
    rest = (n % block or block) * SEG
    ev += [("call", "read", rest), ("call", "close"), ("out", "F.", 1, end, 0), ("in", ".", end, 2, 0),
           ("in", "F.", end, 2, 0), ("out", ".", 2, end + 1, 0)]
    return ev


def pkt_call(e):
    if e[1] == "accept":
        return "+0    accept(3, ..., ...) = 4"
    if e[1] == "read":
        return "+0    read(4, ..., %d) = %d" % (e[2], e[2])
    return "+0    close(4) = 0"


def yaml_call(e):
    if e[1] == "accept":
        return "  - server: accept ls as s"
    if e[1] == "read":
        return ("  - server: {recv: s, size: %d, flags: [MSG_WAITALL], expect: {bytes: %d}}"
                % (e[2], e[2]))
    return "  - server: close s"


def pkt(n, block, wscale):
    lines = [
        "// Written by bench/scripted/gen_exchange.py (%s): %d data segments,"
        % ("long" if n else "short, handshake only", n),
        "// the stack is a listening server; see docs/performance.md.",
        "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
        "+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
        "+0    bind(3, ..., ...) = 0",
        "+0    listen(3, 128) = 0",
    ]
    for e in events(n, block):
        if e[0] == "call":
            lines.append(pkt_call(e))
            continue
        d, flags, seq, ack, length = e
        arrow = "<" if d == "in" else ">"
        text = "+0    %s %s %d:%d(%d)" % (arrow, flags, seq, seq + length, length)
        if ack is not None:
            text += " ack %d" % ack
        if d == "in":
            text += " win %d" % (65535 if flags == "S" else WIN)
        if flags == "S":
            text += " <mss 1460,nop,wscale 7>"
        elif flags == "S.":
            text += " <mss 1460,nop,wscale %d>" % wscale
        lines.append(text)
    return "\n".join(lines) + "\n"


def payload(i):
    s = "segment %04d " % i
    return (s * (SEG // len(s) + 1))[:SEG]


def yaml_case(n, block, wscale):
    name = "bench-exchange" if n else "bench-exchange-short"
    out = [
        "# Written by bench/scripted/gen_exchange.py; the same exchange as",
        "# %s.pkt (docs/performance.md)." % ("exchange" if n else "exchange-short"),
        "name: %s" % name,
        "description: >",
        "  Benchmark exchange: a passive open with MSS and window scale%s"
        % (", %d data segments from the script each ACKed at once, a FIN exchange." % n
           if n else " (handshake only)."),
        "tags: [scripted, bench]",
        "family: ipv4",
        "tolerance: 50ms",
        "timeout: 2m",
        "hosts:",
        "  server: {}",
        "  peer: {scripted: true}",
        "steps:",
        "  - server: listen %d" % PORT,
    ]
    prev_call = False
    for e in events(n, block):
        if e[0] == "call":
            out.append(yaml_call(e))
            prev_call = True
            continue
        d, flags, seq, ack, length = e
        f = ['flags: "%s"' % flags, "seq: %d" % seq]
        if ack is not None:
            f.append("ack: %d" % ack)
        if d == "in":
            f.append("win: %d" % (65535 if flags == "S" else WIN))
        if flags == "S":
            f.append("options: [{mss: 1460}, nop, {wscale: 7}]")
        elif flags == "S.":
            f.append("options: [{mss: 1460}, nop, {wscale: %d}]" % wscale)
        if length:
            f.append('data: "%s"' % payload(seq // SEG))
        elif d == "out":
            f.append("length: 0")
        body = "{" + ", ".join(f) + "}"
        if d == "in":
            extra = ', to: "server:%d", port: %d' % (PORT, PEER_PORT) if flags == "S" else ""
            out.append("  - peer: {send: %s%s}" % (body, extra))
        elif prev_call:
            # The FIN that close() sends reaches the wire before the close
            # step's return stamp (the anchor), so `after: 0ms` ([0, 50ms],
            # low end clamped at 0) fails by microseconds: order only here.
            out.append("  - peer: {expect: %s}" % body)
        else:
            out.append("  - peer: {expect: %s, after: 0ms}" % body)
        prev_call = False
    return "\n".join(out) + "\n"


def check(a):
    """The committed files are what the generator writes (with the window
    scale they were written with), and each .pkt and its .yaml have the same
    packet events in the same order."""
    bad = []
    with open(os.path.join(a.out, "exchange.pkt")) as f:
        m = re.search(r"wscale (\d+)>", f.read().split("> S.", 1)[1])
    ws = int(m.group(1)) if m else -1
    for n, stem in ((a.segments, "exchange"), (0, "exchange-short")):
        for ext, text in ((".pkt", pkt(n, a.block, ws)), (".yaml", yaml_case(n, a.block, ws))):
            path = os.path.join(a.out, stem + ext)
            with open(path) as f:
                if f.read() != text:
                    bad.append("%s differs from gen_exchange.py --segments %d --block %d "
                               "--wscale %d" % (path, n or a.segments, a.block, ws))
        with open(os.path.join(a.out, stem + ".pkt")) as f:
            p_ev = [m.group(1) for m in re.finditer(r"^\+0\s+([<>])", f.read(), re.M)]
        with open(os.path.join(a.out, stem + ".yaml")) as f:
            y_ev = ["<" if m.group(1) == "send" else ">"
                    for m in re.finditer(r"^  - peer: \{(send|expect):", f.read(), re.M)]
        if p_ev != y_ev or not p_ev:
            bad.append("%s: %d packet events in .pkt, %d in .yaml" % (stem, len(p_ev), len(y_ev)))
    for b in bad:
        print(b)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--segments", type=int, default=500)
    ap.add_argument("--block", type=int, default=10)
    ap.add_argument("--wscale", type=int, default=None,
                    help="the stack's window scale (default: from this host's tcp_rmem)")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--check", action="store_true",
                    help="compare the files in --out with what the options generate (ctest)")
    a = ap.parse_args()
    if a.segments < 1 or a.block < 1 or a.block > 15:
        sys.exit("gen_exchange.py: --segments >= 1 and --block in 1..15 (quick-ACK mode lasts 16)")
    ws = stack_wscale() if a.wscale is None else a.wscale
    if a.check:
        return check(a)
    os.makedirs(a.out, exist_ok=True)
    for n, stem in ((a.segments, "exchange"), (0, "exchange-short")):
        with open(os.path.join(a.out, stem + ".pkt"), "w") as f:
            f.write(pkt(n, a.block, ws))
        with open(os.path.join(a.out, stem + ".yaml"), "w") as f:
            f.write(yaml_case(n, a.block, ws))
    long_ev = sum(1 for e in events(a.segments, a.block) if e[0] != "call")
    short_ev = sum(1 for e in events(0, a.block) if e[0] != "call")
    print("%s: packet events long %d, short %d (wscale %d)" % (a.out, long_ev, short_ev, ws))


if __name__ == "__main__":
    sys.exit(main())
