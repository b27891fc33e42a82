// The case model: what a case file says, as plain typed structs.
//
// The loader (harness/loader) builds these from YAML; the runner executes
// them; reports print them. Every element that a message may need to point
// at carries the SourceLoc it was read from. Nothing here knows about YAML,
// namespaces or sockets' live state: this is the "script" side, what the
// case asks for; the "live" side is what the peers and the wire observed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/common/cmsg.h"
#include "harness/common/duration.h"
#include "harness/model/observe.h"
#include "harness/model/source_loc.h"

namespace faultline {

enum class Family { kIPv4, kIPv6 };
const char* FamilyName(Family f);  // "ipv4" / "ipv6"

// An inclusive integer range; a single value is {v, v}.
struct IntRange {
  int64_t lo = 0;
  int64_t hi = 0;
  bool Contains(int64_t v) const { return v >= lo && v <= hi; }
  std::string ToString() const;  // "5" or "[1, 100]"
};

// ------------------------------------------------------ packet vocabulary --

// One TCP option as a case writes it (`options:` of a packet): for a crafted
// packet the values sent; for an expected packet the values it must carry
// (an unset value is not checked). Kinds follow harness/packet/tcp_options.h.
struct OptionSpec {
  SourceLoc loc;
  uint8_t kind = 1;  // 0 eol, 1 nop, 2 mss, 3 wscale, 4 sackOK, 5 sack, 8 ts, 34 tfo, else raw
  std::optional<int64_t> value;  // mss, wscale
  // sack: blocks [left, right) as (left, right) pairs, relative to the ISN of
  // the side whose data they acknowledge (the packet's receiver).
  std::vector<std::pair<int64_t, int64_t>> sack;
  // ts: `val` and `ecr`. The scripted host's own values are absolute; the
  // stack's TS val is relative to the first TS val it sent on the connection.
  // Crafted `ecr: echo` (ts_ecr_echo) sends the stack's last TS val.
  std::optional<IntRange> ts_val, ts_ecr;
  bool ts_ecr_echo = false;
  std::optional<std::string>
      bytes;                     // tfo cookie / unknown kind's value bytes (raw); tfo "" = request
  std::string ToString() const;  // "mss 1460", "sackOK", "TS val 100 ecr echo", "opt-253 0a0b"
};

// ICMP / ICMPv6 fields of a packet (`icmp:`). A crafted ICMP error quotes
// the last packet the stack sent on the step's connection.
struct IcmpSpec {
  SourceLoc loc;
  std::string type;  // "unreachable", "packet-too-big", "time-exceeded", "parameter-problem",
                     // "echo-request", "echo-reply"
  std::optional<int64_t>
      code;  // numeric code; names map to it at load (frag-needed = 4, port = 3, ...)
  std::optional<int64_t> mtu;  // frag-needed / packet-too-big
};

// The one packet vocabulary (docs/cases.md, "The packet vocabulary"):
// header fields a packet has (crafted: `send:`) or must have (expected:
// `expect:`, `ignore:`, and, through FaultMatch::fields, fault matches and
// `packets:` checks). A field left unset is not checked; a crafted packet
// gets a default for it (harness/packet/script_packet.h says which).
// Ranges are single values {v, v} in crafted packets (the loader says so).
struct PacketFields {
  SourceLoc loc;
  enum class L4 {
    kAny,
    kTcp,
    kUdp,
    kIcmp
  } proto = L4::kAny;               // `proto:`; tcp when TCP keys are used
  std::optional<uint8_t> flags;     // exact TCP flag byte, from "S.", "F.", "R", "SEW", ".", ...
  std::optional<IntRange> seq;      // relative to the sender's ISN
  std::optional<IntRange> ack;      // relative to the receiver's ISN
  std::optional<IntRange> raw_seq;  // absolute (`raw-seq:`)
  std::optional<IntRange> raw_ack;  // absolute (`raw-ack:`)
  std::optional<IntRange> win;      // as on the wire (unscaled)
  std::optional<IntRange> urg;      // TCP urgent pointer, as on the wire (`urg:`)
  std::optional<IntRange> length;   // transport payload bytes
  std::optional<std::string> data;  // exact payload bytes
  std::optional<std::vector<OptionSpec>> options;  // in order; [] = no options
  std::optional<IntRange> ttl;                     // TTL / hop limit
  std::optional<IntRange> dscp;                    // 0..63
  std::optional<IntRange> ecn;                     // 0..3 (not-ect, ect1, ect0, ce)
  std::optional<bool> df;                          // IPv4
  std::optional<IntRange> ip_id;                   // IPv4
  std::optional<IcmpSpec> icmp;
  bool empty() const;
  // The fields as a packet line would show them, for `expected ...`:
  // "tcp S. seq 0 ack 1 win 65535 <mss 1460,sackOK> len 0".
  std::string ToString() const;
};

// ---------------------------------------------------------------- hosts --

struct HostSpec {
  std::string name;  // identifier: [a-z][a-z0-9_-]*, at most 12 characters
  SourceLoc loc;
  // Sysctl keys in dotted form ("net.ipv4.tcp_syn_retries") to the value
  // written, in the order the case gave them. Only net.* keys: they are the
  // per-network-namespace ones.
  std::vector<std::pair<std::string, std::string>> sysctls;
  // Where each key of `sysctls` is in the file, in the same order.
  std::vector<SourceLoc> sysctl_locs;
  int mtu = 1500;  // of the host's lab link (and the wire's end of it)
  // The link's mtu in the IPv6 variant when set (packetdrill's IPv6 runs use
  // 1520 so that scripts written for MSS 1460 hold; not a YAML key).
  std::optional<int> mtu_ipv6;
  // The veth's own MTU (both ends) when larger than `mtu` (0: `mtu`; not a
  // YAML key: the packetdrill translation's). The host's routes then carry
  // `mtu` as their MTU metric and the MSS for it as advmss, so the stack
  // sends and advertises as on an `mtu` link, but frames up to link_mtu
  // reach it: packetdrill's tun takes segments larger than the MSS the
  // stack advertised, which some scripts send.
  int link_mtu = 0;
  // Keep TSO/GSO/GRO, tx checksum and scatter-gather ON on both ends of this
  // host's lab link (default off: every packet the wire sees is one segment).
  // On: the wire sees GSO super-packets (up to 64 KB, checksum not computed)
  // and bulk TCP through it is much faster. docs/cases.md "Offloads".
  bool offloads = false;
  // The name of the host's lab interface in its namespace (not a YAML key):
  // "eth0"; a packetdrill script's stack host has "tun0", packetdrill's
  // device, which its shell lines name (`tc qdisc ... dev tun0`). At most
  // 15 characters (IFNAMSIZ).
  std::string ifname = "eth0";
  // A scripted host (docs/cases.md, "Scripted hosts"): it has an address in
  // the lab like any host, but no stack and no peer. Every packet another
  // host sends to it is taken off the wire (never forwarded) and checked
  // against the case's next `expect:` packet step of this host; its own
  // packets are the case's `send:` packet steps, crafted and sent by the
  // wire toward the real host. Its steps are PacketSteps only.
  bool scripted = false;
  // Scripted hosts: packets the case does not care about (`ignore:`), e.g.
  // pure window updates or timer retransmits. Every packet toward this host
  // is taken off the wire; the runner decides: one the pending `expect:`
  // matches is consumed by it; else one matching any of these is skipped
  // ("ignored: <line>" in the step's record, "scripted ignore" in the
  // wire's log); any other packet that no `expect:` consumed fails the case.
  std::vector<PacketFields> ignore;
};

// ------------------------------------------------------------ addresses --

// Where a socket call points: "server:8080", "any:0", "198.18.2.2:80",
// "[2001:2:0:2::2]:80". Resolved against the lab by the runner.
struct Endpoint {
  enum class Kind { kHost, kAny, kLiteral };
  Kind kind = Kind::kAny;
  std::string host;     // kHost: the host's name
  std::string literal;  // kLiteral: numeric address text, without brackets
  uint16_t port = 0;
  std::string ToString() const;  // as written, normalised
};

// ---------------------------------------------------------- expectations --

// What a command's output must be (`stdout:` / `stderr:` of a run step).
// Text may hold ${...} lab variables (harness/model/lab_vars.h), expanded
// by the runner before the check.
struct TextExpect {
  enum class Kind {
    kEquals,    // the whole output, without its trailing newlines, is `text`
    kContains,  // `text` occurs in the output
    kMatches,   // the ECMAScript regular expression `text` matches part of it
  };
  Kind kind = Kind::kEquals;
  std::string text;
  std::string ToString() const;  // "\"200\"", "contains \"x\"", "matches /re/"
};

// The address a getsockname / getpeername must return (`expect: {addr:
// ENDPOINT}`): `client:4000`, `server:*` (any port), `any:0`, a literal.
struct AddrExpect {
  Endpoint endpoint;
  bool any_port = false;  // written `HOST:*`
  // The numeric address of a kHost endpoint in the variant's family: set by
  // the runner before the check (ResolveAddrExpect), never by the loader.
  std::string resolved;
  std::string ToString() const;  // "server:*", "[2001:2:0:2::2]:80", "any:0"
};

// What a step's call must have returned. An unset field is not checked.
// A step with no `expect:` at all must succeed (ret >= 0).
struct Expect {
  SourceLoc loc;
  enum class RetKind { kUnset, kValue, kOk, kError };
  RetKind ret_kind = RetKind::kUnset;
  int64_t ret_value = 0;            // kValue
  std::vector<int> errnos;          // any one of these (implies ret == -1)
  std::optional<IntRange> bytes;    // bytes sent/received
  std::optional<std::string> data;  // exact bytes received
  // recvmsg (`cmsgs:`): the control messages returned, exactly: as many, in
  // this order, each of the kind and with the fields listed (others are not
  // compared); harness/common/cmsg.h. Set: the call passes a control buffer.
  std::optional<std::vector<CmsgFields>> cmsgs;
  std::optional<DurationRange> took;
  // The return's time after the event of the step labelled
  // `returned_since` (its time on the wire, its return): the packetdrill
  // translation's blocking calls return after the inbound packet that
  // unblocks them. Not a YAML key.
  std::optional<DurationRange> returned_after;
  std::string returned_since;
  // getsockname / getpeername (`addr:`): the address the call returned.
  std::optional<AddrExpect> addr;
  std::optional<int64_t> value;      // getsockopt result (SO_LINGER: l_linger)
  std::vector<std::string> revents;  // poll: exact set, e.g. ["in", "hup"]
  bool has_revents = false;
  // epoll_wait: the ready list, exactly, in order: {fd name, event set}.
  std::vector<std::pair<std::string, std::vector<std::string>>> epoll;
  bool has_epoll = false;
  // run / stop / await of a command (docs/cases.md, "Commands"):
  std::optional<ValueExpect> exit;  // exit status; a command killed by a signal has none
  std::optional<int> signal;        // killed by this signal (SIGTERM = 15, ...)
  std::optional<TextExpect> out;    // `stdout:`
  std::optional<TextExpect> err;    // `stderr:`
  bool empty() const;
};

// ------------------------------------------------------------ socket calls --

enum class Op {
  kSocket,      // socket: tcp|udp                 as: NAME, nonblock
  kBind,        // bind: FD          addr: ENDPOINT
  kListen,      // listen: FD | PORT backlog: N  (PORT: socket+bind any+listen)
  kAccept,      // accept: FD        as: NAME
  kConnect,     // connect: FD to: ENDPOINT | connect: ENDPOINT as: NAME
  kSend,        // send: FD          data | size, flags
  kWrite,       // write: FD         data | size
  kRecv,        // recv: FD          size, flags, until
  kRead,        // read: FD          size
  kSendto,      // sendto: FD        to: ENDPOINT, data | size
  kRecvfrom,    // recvfrom: FD      size
  kShutdown,    // shutdown: FD      how: rd|wr|rdwr
  kClose,       // close: FD
  kDup,         // dup: FD           as: NAME
  kSetsockopt,  // setsockopt: FD    opt: NAME, value
  kGetsockopt,  // getsockopt: FD    opt: NAME
  kNonblock,    // nonblock: FD      value: true|false
  kPoll,        // poll: FD          events: [in, out], timeout: DURATION
  kSleep,       // sleep: DURATION  (not for synchronisation: for pacing)
  kSendfile,    // sendfile: FD      size
  kRun,         // run: [ARGV...]    as, background, ready, stdin, env (a real program)
  kStop,        // stop: NAME        (a background command: SIGTERM, then SIGKILL)
  // Issue 16 (packetdrill's system calls; also for YAML cases):
  kSendmsg,  // sendmsg: FD       data | size, flags, to (UDP)   (no ancillary data)
  kRecvmsg,  // recvmsg: FD       size, flags  (expect cmsgs: ancillary data)
  kWritev,   // writev: FD        iov: [N, ...] (sizes of pattern bytes) | data
  kReadv,    // readv: FD         iov: [N, ...]
  kFcntl,    // fcntl: FD         cmd: getfl | setfl, flags: [nonblock, ...]  (getfl: expect value)
  kIoctl,    // ioctl: FD         request: SIOCINQ | SIOCOUTQ | FIONREAD  (expect value)
  kEpollCreate,  // epoll_create      as: NAME
  kEpollCtl,     // epoll_ctl: EPFD   op: add | mod | del, target: FD, events: [in, out, et, ...]
  kEpollWait,    // epoll_wait: EPFD  max: N, timeout: DURATION  (expect: {ret, epoll: [{fd,
                 // events}]})
  // Issue 16 part E (packetdrill's open/pipe/splice; .pkt scripts only):
  kOpen,    // open: a file in the variant's workdir (path, open_flags)  as: NAME
  kPipe,    // pipe: as: read end, as_write: write end
  kSplice,  // splice: FD (in) to other_fd (out), size, flags (SPLICE_F_*)
  // Issue 20:
  kGetsockname,  // getsockname: FD  (expect: {addr: ENDPOINT})
  kGetpeername,  // getpeername: FD  (expect: {addr: ENDPOINT})
  // Not a step of the case: the runner's join of a background command (for
  // `await` and the end of the case). Never parsed; OpName "wait".
  kWaitCommand,
};
const char* OpName(Op op);  // the YAML key: "connect", "setsockopt", ...

// Socket options a case can name. Level and optname are derived from it.
enum class SockOpt {
  kSoReuseaddr,
  kSoReuseport,
  kSoLinger,
  kSoRcvbuf,
  kSoSndbuf,
  kSoKeepalive,
  kSoError,
  kTcpNodelay,
  kTcpCork,
  kTcpUserTimeout,
  kTcpKeepidle,
  kTcpKeepintvl,
  kTcpKeepcnt,
  kTcpMaxseg,
  kTcpCongestion,
  // Issue 16:
  kTcpNotsentLowat,
  kTcpSyncnt,
  kTcpInq,
  kTcpFastopen,
  kTcpFastopenConnect,
  kIpTos,       // IPv4 IP_TOS / IPv6 IPV6_TCLASS by the socket's family
  kSoSndtimeo,  // value in microseconds (struct timeval)
  kSoRcvtimeo,
  kIpFreebind,      // IP_FREEBIND (int; also on an IPv6 socket)
  kSoZerocopy,      // SO_ZEROCOPY (int)
  kSoTimestamping,  // SO_TIMESTAMPING (int: SOF_TIMESTAMPING_* bits)
  kSoMark,          // SO_MARK (int)
  kSoOobinline,     // SO_OOBINLINE (int; issue 20)
};
const char* SockOptName(SockOpt opt);  // "SO_REUSEADDR", ...
// The option a name ("SO_REUSEADDR", ...) names; nullopt for any other
// name. The one table of names, for the YAML loader and the packetdrill
// translator alike.
std::optional<SockOpt> SockOptFromName(std::string_view name);
// Every option's name, in the enum's order (for messages and format keys).
const std::vector<std::string>& SockOptNames();

// A real program that a `run` step starts in its host's namespace
// (docs/cases.md, "Commands"). Strings may hold ${...} lab variables.
struct Command {
  std::vector<std::string> argv;  // at least one; argv[0] is looked up in PATH
  std::vector<std::pair<std::string, std::string>> env;  // added to the environment, in order
  std::optional<std::string> stdin_data;  // written to its stdin, then closed; unset: /dev/null
  // Started and left running beside the later steps; ended at the end of
  // the case (or by `stop`), joined by `await`.
  bool background = false;
  // Background only: the next step waits until a TCP socket of the host
  // listens on this port (sock_diag), at most `ready_within`.
  std::optional<uint16_t> ready_port;
  Duration ready_within = std::chrono::seconds(10);
  // Background only, instead of ready_port (one kind per `ready`):
  // `ready: {udp: PORT}`: until a UDP socket of the host is bound to this
  // port (either family, sock_diag).
  std::optional<uint16_t> ready_udp_port;
  // `ready: {stdout: TEXT}` / `{stderr: ...}`: until a line of that stream
  // meets `ready_line` (kEquals: the whole line; harness/common/line_matcher.h).
  enum class Stream { kStdout = 1, kStderr = 2 };
  std::optional<Stream> ready_stream;
  TextExpect ready_line;
};

struct SocketCall {
  Op op = Op::kSocket;
  std::string fd;  // the socket the call is on; empty for new sockets
  std::string as;  // name given to the fd the call creates (socket, accept, dup, ...)

  // socket / listen PORT / connect ENDPOINT
  enum class Proto { kTcp, kUdp } proto = Proto::kTcp;
  bool nonblock = false;

  std::optional<Endpoint> endpoint;  // bind addr, connect/sendto to, listen PORT
  int backlog = 128;

  // send/write/sendto/sendfile: either data (exact bytes) or size (that many
  // bytes of a fixed pattern); recv/read/recvfrom: size is the buffer size.
  std::optional<std::string> data;
  int64_t size = 0;
  std::vector<std::string> flags;    // MSG_* names: MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_MORE
  std::optional<std::string> until;  // recv: read until this delimiter (or EOF / size)

  int how = 0;  // shutdown: SHUT_RD / SHUT_WR / SHUT_RDWR

  std::optional<SockOpt> opt;
  int64_t opt_value = 0;   // int options; SO_LINGER: l_linger
  bool linger_on = false;  // SO_LINGER: l_onoff
  std::string opt_text;    // TCP_CONGESTION: algorithm name

  std::vector<std::string> events;  // poll: "in", "out", "pri", "rdhup"
  Duration timeout{0};              // poll timeout; sleep duration

  Command command;  // run (`as` names it; stop: `fd` names it)

  // Issue 16: writev/readv sizes; fcntl command; ioctl request;
  // epoll_ctl op and target; epoll_wait max events.
  std::vector<int64_t> iov;
  std::string fcntl_cmd;                 // "getfl" | "setfl"
  std::vector<std::string> fcntl_flags;  // setfl: "nonblock" (others kept as read)
  std::string ioctl_request;             // "SIOCINQ" | "SIOCOUTQ" | "FIONREAD"
  std::string epoll_op;                  // "add" | "mod" | "del"
  std::string epoll_target;              // the fd name epoll_ctl adds/changes/removes
  int epoll_max = 1;                     // epoll_wait maxevents
  // send/write/sendto/recv/read/recvfrom (`buffer: invalid`): the buffer is
  // a pointer the peer knows to be unmapped, so the kernel returns EFAULT.
  bool bad_buffer = false;
  // sendto (`to: unspec`): the address is a sockaddr of family AF_UNSPEC.
  bool to_unspec = false;
  // Issue 16 part E. open: the file's name in the variant's workdir (one
  // path component; the peer opens it with openat in the workdir, never
  // following a symlink) and its O_* flags ("rdonly", "creat", ...).
  std::string path;
  std::vector<std::string> open_flags;
  std::string as_write;  // pipe: the write end's name (`as` is the read end)
  // sendfile: the input fd (empty: pattern bytes); splice: the output fd.
  std::string other_fd;
  std::optional<int64_t> offset;  // sendfile: the input offset (unset: NULL)
  // `fd` was closed by an earlier step (the step expects EBADF): the peer
  // passes a number no process can have open (peer::kNeverOpenFd), never
  // the closed number, which the kernel may have given to a newer socket.
  bool fd_closed = false;
};

// A packet step of a scripted host: the case sends a packet (`send:`) or
// expects the next packet the stack sends to this host (`expect:`).
struct PacketStep {
  std::string host;  // the scripted host
  enum class Dir { kSend, kExpect } dir = Dir::kSend;
  PacketFields packet;
  // The connection (`conn:`); "" is the host's default connection. Its first
  // step says where it goes: send: `to:` (ENDPOINT of a real host) and
  // `port:` (this host's port, default 40000); expect: `port:` (the port the
  // stack connects to on this host) and optionally `from:` (the real host).
  std::string conn;
  std::optional<Endpoint> to;
  std::optional<uint16_t> port;
  std::string from;
  // The scripted host's ISN on this connection (`isn:`, absolute; first step
  // of a connection only; default 0): what relative seq 0 is for its packets.
  std::optional<uint32_t> isn;
  // Timing. send: sent `after` (one value) past the anchor event; expect:
  // arrives `after` past it: a single value V means [V - tolerance,
  // V + tolerance] (not clamped at 0: a packet a call causes, the FIN after
  // `close`, can reach the wire before the call's return stamp, so a
  // negative offset is allowed), a range is used as it is.
  // Unset: send at once / expect at any time before the case's deadline.
  // The anchor is the previous step's event, or the step labelled `since`.
  std::optional<DurationRange> after;
  bool after_is_range = false;        // `after` was written as a range
  std::string since;                  // a step label
  std::optional<Duration> tolerance;  // overrides Case::tolerance
  // expect: TS val windows anchored like the packet's time (the packetdrill
  // translation's; not a YAML key). `ts_tick` is the stack's TS clock tick,
  // `ts_script_anchor` the script's time from the connection's first
  // expected TS packet to this step's anchor. The TS val range is shifted
  // by the drift between that and the same span on the wire (the anchor's
  // actual time), in ticks: the TS val is checked against the event it is
  // anchored to, as the packet's time is.
  std::optional<Duration> ts_tick;
  Duration ts_script_anchor{0};
  // expect (.pkt scripts; packetdrill's aggregation of TSO/GSO
  // super-packets, unless --strict_segments): a TCP packet shorter than
  // `length` is joined by the connection's next segments, each continuing
  // the previous one's seq and, but the last, as long as the first, until
  // they reach it; checked as one packet (seq and CWR of the first, the
  // rest of the headers and the time of the last, every payload).
  bool gather = false;
};

// A `wire:` step (docs/cases.md, "Crafted packets in live connections"):
// the wire crafts a packet that claims to come from one real host and sends
// it to another, inside their latest TCP connection the wire has seen
// (optionally the one on `port:` of `toward`). seq/ack are relative to the
// ISNs the wire learned; `seq-next:` / `ack-next:` are offsets from the next
// sequence number the claimed sender / the receiver would send (0: exactly
// in order; negative: old data; large: beyond the window).
struct WireSendStep {
  std::string from;              // the host the packet claims to come from
  std::string toward;            // the host it is sent to
  std::optional<uint16_t> port;  // of `toward`, to pick the connection
  PacketFields packet;
  std::optional<int64_t> seq_next, ack_next;
};

struct FaultAction;  // below, with the faults

// A `- fault: NAME` step (docs/faults.md, "Switching faults"): the wire
// switches the named fault on or off (`enable:`) or gives its action new
// params (`set:`) before the next step starts.
struct FaultStep {
  std::string name;
  int fault_index = 0;  // Fault::index of the named fault (resolved by the loader)
  std::optional<bool> enable;
  // `set:`: the fault's whole action with the new params in place (read by
  // the same code as `faults:`), and the params as written, for Describe.
  std::shared_ptr<const FaultAction> action;
  std::vector<std::pair<std::string, std::string>> set;
  // "fault slow: set delay=300ms" / "fault blackhole: enable"
  std::string Describe() const;
};

// A step of the timeline. Exactly one of the alternatives.
struct CallStep {
  std::string host;  // which peer runs it
  SocketCall call;
  bool async = false;  // start and go on; `await` joins it
  std::string id;      // name for `await` (defaults to `as`)
  Expect expect;
  bool has_expect = false;
};
struct AwaitStep {
  std::string id;
};

struct Step {
  SourceLoc loc;
  int index = 0;      // 1-based position in `steps:`
  std::string label;  // optional `label:`; fault `hold ... until: {step: LABEL}`
  std::variant<CallStep, AwaitStep, ObserveStep, PacketStep, WireSendStep, FaultStep>
      body;  // ObserveStep: harness/model/observe.h
  // The event's time in the script, from the case's start (the packetdrill
  // translation's; not a YAML key): a packet's, a call's, a sleep's end, a
  // blocking call's return (its await step). Unset on an async call step
  // (its event is its return, the await's). Used by Case::keep_early_packets.
  std::optional<Duration> script_at;
  // `when:`: the variants the step runs in (unset: all). VariantCase sets
  // `not_in_variant` on a copy for the variants where it does not hold; the
  // runner then records the step as "not in this variant" and skips it.
  std::optional<When> when;
  bool not_in_variant = false;
  // One line for logs: "client: connect c to server:8080".
  std::string Describe() const;
};

// ---------------------------------------------------------------- faults --

enum class Proto { kAny, kTcp, kUdp, kIcmp };

// TCP segment classes a match can name (all listed ones must hold):
//   SYN      SYN set, ACK clear          SYN-ACK  SYN and ACK set
//   ACK      pure ACK: ACK set, no SYN/FIN/RST, no payload
//   FIN      FIN set                      RST      RST set
//   PSH      PSH set                      DATA     payload length > 0
enum class TcpClass { kSyn, kSynAck, kAck, kFin, kRst, kPsh, kData };
const char* TcpClassName(TcpClass c);  // "SYN", "SYN-ACK", ...

struct FaultMatch {
  std::string from;  // host name the packet comes from; empty: any
  std::string to;    // host name the packet goes to; empty: any
  Proto proto = Proto::kAny;
  std::vector<TcpClass> tcp;       // implies proto tcp
  std::optional<IntRange> length;  // transport payload bytes
  std::optional<IntRange> seq;     // relative to the sender's ISN
  std::optional<IntRange> ack;     // relative to the receiver's ISN
  std::optional<IntRange> win;     // TCP window field as sent (unscaled), 0..65535
  // TCP only: the segment re-sends only sequence space its sender already
  // sent (true) or extends it (false); ConnTable::IsRetransmission.
  std::optional<bool> retransmission;
  // Occurrence among the packets that match everything above, counted per
  // connection and direction (UDP: per 4-tuple and direction), 1-based.
  std::optional<int64_t> nth;           // only the Nth
  std::optional<int64_t> first;         // the first N
  std::optional<int64_t> every;         // every Nth (N, 2N, ...)
  std::optional<int64_t> after;         // every one after the Kth
  std::optional<DurationRange> window;  // time since the case started
  std::optional<double> probability;    // (0, 1]; drawn from the case seed
  // [0, 1]; with probability only: netem's correlated draw (next = (1 - c) *
  // U + c * previous), one state per fault and direction (from -> to host).
  std::optional<double> correlation;
  // The rest of the packet vocabulary (flags, raw seq/ack, options, IP and
  // ICMP fields, data); its seq/ack/win/length stay unset here (the fields
  // above say them).
  PacketFields fields;
};

enum class ActionKind {
  kDrop,        // the packet never arrives
  kDelay,       // released after `delay`, other packets keep flowing
  kReorder,     // hold `count` matching packets, release in `order`
  kSwap,        // hold one, release it right after the next packet (same direction)
  kDuplicate,   // deliver the packet and `copies` extra copies
  kHold,        // hold until an event, then release or drop
  kCorrupt,     // flip a payload byte (checksum left wrong): the receiver drops it
  kInjectRst,   // drop the packet and send a valid RST to `toward` instead
  kRateLimit,   // at most `rate` packets per `per`; the excess is dropped
  kBottleneck,  // a serialising link of `rate_bps` with a queue (tail drop)
  kSlots,       // released at slot boundaries, a budget per slot (netem slot)
};
const char* ActionName(ActionKind k);  // "drop", "delay", ...

// netem's delay distributions (injectors/netem_models.h says how).
enum class DelayDistribution { kUniform, kNormal, kPareto, kParetoNormal };
const char* DelayDistributionName(DelayDistribution d);  // "uniform", ...

// kDelay's `reorder:` (netem `reorder P C` with `gap N`): the packets the
// draw picks, and with gap N only after N-1 delayed ones, go at once.
struct DelayReorder {
  double probability = 0;  // (0, 1]
  double correlation = 0;  // [0, 1]
  int gap = 1;
};

// kDrop's `loss:` model (netem `loss random|gemodel|state`); all values
// are probabilities in [0, 1], defaults as netem's.
struct LossModel {
  enum class Kind { kRandom, kGemodel, kState } kind = Kind::kRandom;
  double random = 0, correlation = 0;                  // kRandom
  double p = 0, r = 1, one_h = 1, one_k = 0;           // kGemodel
  double p13 = 0, p31 = 1, p32 = 0, p23 = 1, p14 = 0;  // kState
};

struct FaultAction {
  ActionKind kind = ActionKind::kDrop;
  Duration delay{0};  // kDelay
  // kDelay, netem's `delay D J C distribution NAME`: jitter 0 = none.
  Duration jitter{0};
  DelayDistribution distribution = DelayDistribution::kUniform;
  double delay_correlation = 0;  // [0, 1]
  std::optional<DelayReorder> reorder;
  std::optional<LossModel> loss;  // kDrop: drops what the model says
  int count = 0;                  // kReorder: how many packets to hold
  std::vector<int> order;         // kReorder: 1-based release order, a permutation
  int copies = 1;                 // kDuplicate
  // kHold: release (or drop) when the step with this label starts, or after
  // `hold_for` since the packet was held, whichever is set.
  std::string until_step;
  std::optional<Duration> hold_for;
  bool then_drop = false;
  std::string toward;  // kInjectRst: host name
  int rate = 0;        // kRateLimit
  Duration per{0};
  // kBottleneck: bits per second, bytes added per packet; `delay` (above) is
  // its propagation delay (0: none). kBottleneck and kSlots: the queue limit,
  // in packets, or in bytes when queue_bytes > 0.
  int64_t rate_bps = 0;
  int overhead = 0;
  int64_t queue_packets = 1000;
  int64_t queue_bytes = 0;
  // kSlots: each slot's length in [slot_lo, slot_hi]; at most slot_packets
  // packets and slot_bytes bytes a slot (0: no limit of that kind).
  Duration slot_lo{0}, slot_hi{0};
  int64_t slot_packets = 0;
  int64_t slot_bytes = 0;
};

// One end of a fault's `active:` window: when the step labelled `step`
// starts, or `after` since the variant started (exactly one is set).
struct FaultEvent {
  std::string step;
  std::optional<Duration> after;
  std::string Describe() const;  // "step go" / "2s"
};

struct Fault {
  SourceLoc loc;
  int index = 0;  // 1-based position in `faults:`; packet logs name it "fault N"
  FaultMatch match;
  FaultAction action;
  std::string name;     // `name:` (an identifier, unique in the case); "" unnamed
  bool enabled = true;  // `enabled:`; `- fault: NAME` steps switch it
  // `active: {from:, until:}`: the fault acts (and counts) only from `from`
  // (inclusive) until `until` (exclusive); an unset end is open.
  std::optional<FaultEvent> active_from, active_until;
  std::string Describe() const;  // "drop client->any tcp SYN nth 1"
};

// ---------------------------------------------------------------- matrix --

// One dimension of `matrix: {sysctl: ...}`: a sysctl of one host that takes
// each listed value in turn. Variants are families x every dimension's values.
struct MatrixSysctl {
  SourceLoc loc;                    // of the key
  std::string host;                 // a declared host
  std::string key;                  // dotted, net.*
  std::vector<std::string> values;  // at least one, distinct, in file order
};

// The dimensions' names as variant names show them: the sysctl's last
// dotted part, or "HOST.part" when two dimensions would share it.
std::vector<std::string> MatrixDimensionNames(const std::vector<MatrixSysctl>& matrix);

// One variant of a case, as its values: a family and one value of every
// matrix dimension (in matrix order), and its name ("ipv4,somaxconn=4").
struct VariantValues {
  Family family = Family::kIPv4;
  std::vector<std::string> values;
  std::string name;
};

// --------------------------------------------------------------- packets --

// One `packets:` expectation, checked against the case's capture after the
// last step (docs/cases.md, "Packets"). Either a match with count/gaps, or an
// order of first occurrences. The matches use the fault vocabulary without
// occurrence and probability keys.
struct PacketExpect {
  SourceLoc loc;
  int index = 0;  // 1-based position in `packets:`
  enum class At { kSent, kReceived };
  At at = At::kSent;  // sent: seen on the sender's side of the wire; received: delivered
  FaultMatch match;   // when order is empty
  std::optional<IntRange> count;    // how many match; {0, 0}: none
  std::vector<DurationRange> gaps;  // between consecutive matches, in order
  std::vector<FaultMatch> order;    // first occurrences of each, in this order
  std::string Describe() const;     // "client > server tcp SYN, sent"
};

// ---------------------------------------------------------------- timing --

// One end of a `timing:` interval (docs/cases.md, "Timing between events").
// A small variant: each kind says how to find its time in the case's
// records after the last step.
// {step: LABEL, at: start|return}: the labelled step's start stamp, or its
// return stamp (calls: the peer's end of the call).
struct TimingStepEvent {
  std::string label;
  int step_index = 0;  // Step::index of the labelled step (resolved by the loader)
  enum class At { kStart, kReturn };
  At at = At::kStart;
};
// {packet: MATCH, nth: N, at: sent|received}: the Nth captured packet
// matching MATCH on that side of the wire (as `packets:` counts them).
struct TimingPacketEvent {
  FaultMatch match;  // without occurrence or probability keys
  int64_t nth = 1;
  PacketExpect::At at = PacketExpect::At::kSent;
};
// {state: NAME, host: HOST, port: P, nth: N}: the kernel time of the Nth
// recorded transition INTO state NAME of a socket of HOST (with `port`: one
// whose local or remote port is P), in time order (the socket state history).
struct TimingStateEvent {
  std::string state;  // "TIME_WAIT" (a TCP state name, not "gone")
  std::string host;
  int port = 0;  // 0: any socket of the host
  int64_t nth = 1;
};
struct TimingEvent {
  using Step = TimingStepEvent;
  using Packet = TimingPacketEvent;
  using State = TimingStateEvent;
  SourceLoc loc;
  std::variant<Step, Packet, State> what;
  // "step 'connect' start", "the 2nd server > client tcp SYN-ACK (sent)".
  std::string Describe() const;
};

// One `timing:` item: the time from `from` to `to` is within `took`.
// Checked after the last step, beside `packets:`.
struct TimingExpect {
  SourceLoc loc;
  int index = 0;  // 1-based position in `timing:`
  TimingEvent from, to;
  DurationRange took;
  std::optional<When> when;  // `when:`; VariantCase drops it where it does not hold
  // "from step 'connect' start to the 2nd server > client tcp SYN-ACK (sent)".
  std::string Describe() const;
};

// ------------------------------------------------------------------ case --

struct Case {
  SourceLoc loc;  // file, line 1
  std::string name;
  std::string description;
  std::vector<std::string> tags;
  std::vector<Family> families = {Family::kIPv4, Family::kIPv6};
  Duration timeout = std::chrono::seconds(20);
  std::optional<uint64_t> seed;  // for probability matches; chosen and recorded if unset
  std::vector<HostSpec> hosts;   // default: client and server
  std::vector<Fault> faults;
  std::vector<Step> steps;
  std::vector<CounterExpect> counters;       // `counters:` (harness/model/observe.h)
  std::optional<Requirements> requirements;  // `requires:`
  std::optional<ExpectedFailure> xfail;      // `xfail:`
  std::vector<PacketExpect> packets;         // `packets:`; checked after the steps
  std::vector<TimingExpect> timing;          // `timing:`; checked with `packets:`
  // `capture: {full: true}`: the pcaps hold whole packets, not only the
  // first PcapWriter::kHeadersSnaplen (256) bytes of each.
  bool capture_full = false;
  std::vector<MatrixSysctl> matrix;  // `matrix: {sysctl: ...}`; empty: one variant per family
  // Scripted hosts: how far a packet expected `after: V` may be from V
  // (`tolerance:`; a step's own `tolerance:` overrides it).
  Duration tolerance = std::chrono::milliseconds(50);
  // packetdrill's event semantics (.pkt scripts: the translation sets both;
  // not YAML keys; docs/packetdrill.md, "What differs").
  // After the last step, a packet still on its way to a scripted host fails
  // the case (YAML). false: the check ends with the last step, as
  // packetdrill stops at its last event.
  bool check_after_last_step = true;
  // A packet toward a scripted host that arrives while a `send` (or a call
  // before it) is still due is kept for that host's next expect, and timed
  // there from the latest event that happened before it (Step::script_at),
  // as packetdrill checks an outbound packet only when the script reaches
  // it. false (YAML): it fails the send as unexpected.
  bool keep_early_packets = false;
  // A run of consecutive call steps of one host goes to its peer as one
  // request, which runs them back to back (peer::Request::batch): no round
  // trip of the runner's between calls the script makes at the same time.
  // .pkt scripts only (not a YAML key; docs/design.md, "Runs of calls").
  bool batch_calls = false;

  const HostSpec* FindHost(const std::string& name) const;
  // Any step, timing entry or counter has a `when:`.
  bool HasWhen() const;
  // Every variant: families in order, then matrix values in file order, the
  // last dimension varying fastest (the runner's ExpandVariants).
  std::vector<VariantValues> Variants() const;
};

}  // namespace faultline
