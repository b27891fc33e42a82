// Every kind of error the loader reports, with its exact message (location
// included): the messages are the loader's user interface.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

struct BadCase {
  const char* name;
  const char* yaml;
  const char* message;  // the whole message, "a.yaml:LINE:COL: ..."
};

// Cases that are valid except for the one thing named.
const BadCase kBadCases[] = {
    {"malformed_yaml", "name: a\nsteps: [\n",
     "a.yaml:3:1: malformed YAML: end of sequence flow not found"},
    {"malformed_tab", "name: a\nsteps:\n\t- client: sleep 1s\n",
     "a.yaml:3:2: malformed YAML: illegal block entry"},
    {"empty_file", "",
     "a.yaml:1:1: the file holds no case (expected a map with keys such as name: and steps:)"},
    {"only_comment", "# nothing\n",
     "a.yaml:1:1: the file holds no case (expected a map with keys such as name: and steps:)"},
    {"top_level_list", "- name: a\n",
     "a.yaml:1:1: a case must be a map with keys such as name: and steps:, not a list"},
    {"top_level_scalar", "hello\n",
     "a.yaml:1:1: a case must be a map with keys such as name: and steps:, not 'hello'"},
    {"two_documents", "name: a\nsteps: [{client: sleep 1s}]\n---\nname: b\n",
     "a.yaml:3:1: a case file holds one YAML document; this is a second one"},
    {"unknown_top_key", "name: a\nsteps:\n  - client: sleep 1s\ntimeot: 3s\n",
     "a.yaml:4:1: unknown key 'timeot' in case (did you mean 'timeout'?)"},
    {"unknown_top_key_far", "name: a\nsteps:\n  - client: sleep 1s\nbanana: 3\n",
     "a.yaml:4:1: unknown key 'banana' in case"},
    {"duplicate_top_key", "name: a\nsteps:\n  - client: sleep 1s\nname: b\n",
     "a.yaml:4:1: duplicate key 'name' (first at line 1)"},
    {"missing_name", "steps:\n  - client: sleep 1s\n",
     "a.yaml:1:1: missing required key 'name' in case"},
    {"missing_steps", "name: a\n", "a.yaml:1:1: missing required key 'steps' in case"},
    {"empty_name", "name: \"\"\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:1:7: 'name' must not be empty"},
    {"name_is_list", "name: [a]\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:1:7: 'name' must be a string, not a list"},
    {"empty_steps", "name: a\nsteps: []\n", "a.yaml:2:8: 'steps' must list at least one step"},
    {"steps_not_list", "name: a\nsteps: {client: sleep 1s}\n",
     "a.yaml:2:8: 'steps' must be a list, not a map"},
    {"bad_tag", "name: a\ntags: [Fast]\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:8: tag 'Fast' must contain only a-z, 0-9 and '-'"},
    {"bad_family", "name: a\nfamily: ipv5\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:9: 'family' must be ipv4, ipv6 or [ipv4, ipv6], not 'ipv5' (did you mean 'ipv4'?)"},
    {"family_twice", "name: a\nfamily: [ipv4, ipv4]\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:16: 'family' lists ipv4 twice"},
    {"timeout_not_duration", "name: a\ntimeout: ten\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:10: 'timeout' must be a duration such as 10s or 500ms, not 'ten'"},
    {"timeout_no_unit", "name: a\ntimeout: 10\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:10: 'timeout' must be a duration such as 10s or 500ms, not '10' (a unit is "
     "required)"},
    {"timeout_too_long", "name: a\ntimeout: 11m\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:10: 'timeout' must be longer than 0s and at most 10m, not '11m'"},
    {"timeout_null", "name: a\ntimeout:\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:1: 'timeout' must be a duration such as 10s or 500ms, not empty"},
    {"seed_negative", "name: a\nseed: -1\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:7: 'seed' must be a non-negative integer, not -1"},
    {"seed_huge", "name: a\nseed: 123456789012345678901234567890\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:7: 'seed' must be a non-negative integer, not 123456789012345678901234567890"},
    {"seed_quoted", "name: a\nseed: \"7\"\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:7: 'seed' must be a non-negative integer, not '7' (a quoted string: remove the "
     "quotes)"},
    {"hosts_empty", "name: a\nhosts: {}\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:8: 'hosts' must declare at least one host"},
    {"host_reserved", "name: a\nhosts:\n  wire: {}\nsteps:\n  - wire: sleep 1s\n",
     "a.yaml:3:3: host name 'wire' is reserved (any and wire cannot be hosts)"},
    {"host_bad_name", "name: a\nhosts:\n  Client: {}\nsteps:\n  - Client: sleep 1s\n",
     "a.yaml:3:3: host name 'Client' must match [a-z][a-z0-9_-]* and be at most 12 characters"},
    {"host_name_too_long",
     "name: a\nhosts:\n  averylonghostname: {}\nsteps:\n  - averylonghostname: sleep 1s\n",
     "a.yaml:3:3: host name 'averylonghostname' must match [a-z][a-z0-9_-]* and be at most 12 "
     "characters"},
    {"host_unknown_key", "name: a\nhosts:\n  server: {mut: 1400}\nsteps:\n  - server: sleep 1s\n",
     "a.yaml:3:12: host 'server': unknown key 'mut' (did you mean 'mtu'?)"},
    {"host_not_map", "name: a\nhosts:\n  server: [1]\nsteps:\n  - server: sleep 1s\n",
     "a.yaml:3:11: host 'server': a host must be a map with sysctl: and mtu: (or empty), not a "
     "list"},
    {"mtu_range", "name: a\nhosts:\n  server: {mtu: 100}\nsteps:\n  - server: sleep 1s\n",
     "a.yaml:3:17: host 'server': 'mtu' must be an integer between 576 and 9000, not 100"},
    {"mtu_ipv6", "name: a\nhosts:\n  server: {mtu: 1000}\nsteps:\n  - server: sleep 1s\n",
     "a.yaml:3:17: host 'server': 'mtu' must be at least 1280 when the case runs on ipv6, not 1000 "
     "(or set family: ipv4)"},
    {"mtu_string", "name: a\nhosts:\n  server: {mtu: abc}\nsteps:\n  - server: sleep 1s\n",
     "a.yaml:3:17: host 'server': 'mtu' must be an integer between 576 and 9000, not 'abc'"},
    {"sysctl_bad_key",
     "name: a\nhosts:\n  server:\n    sysctl: {kernel.panic: 1}\nsteps:\n  - server: sleep 1s\n",
     "a.yaml:4:14: host 'server': sysctl key 'kernel.panic' must start with 'net.' and contain "
     "only a-z, 0-9, '_', '-' and single dots"},
    {"sysctl_double_dot",
     "name: a\nhosts:\n  server:\n    sysctl: {net..ipv4: 1}\nsteps:\n  - server: sleep 1s\n",
     "a.yaml:4:14: host 'server': sysctl key 'net..ipv4' must start with 'net.' and contain only "
     "a-z, 0-9, '_', '-' and single dots"},
    {"sysctl_map_value",
     "name: a\nhosts:\n  server:\n    sysctl: {net.ipv4.tcp_sack: {a: 1}}\nsteps:\n  - server: "
     "sleep 1s\n",
     "a.yaml:4:33: host 'server': sysctl 'net.ipv4.tcp_sack' must have a number or string value, "
     "not a map"},
    {"sysctl_duplicate",
     "name: a\nhosts:\n  server:\n    sysctl:\n      net.ipv4.tcp_sack: 0\n      "
     "net.ipv4.tcp_sack: 1\nsteps:\n  - server: sleep 1s\n",
     "a.yaml:6:7: host 'server': duplicate key 'net.ipv4.tcp_sack' (first at line 5)"},
    {"sysctl_misspelt",
     "name: a\nhosts:\n  server:\n    sysctl: {net.ipv4.tcp_syn_retrie: 1}\nsteps:\n  - server: "
     "sleep 1s\n",
     "a.yaml:4:14: host 'server': unknown sysctl 'net.ipv4.tcp_syn_retrie' (did you mean "
     "'net.ipv4.tcp_syn_retries'?)"},
    {"sysctl_misspelt_interface",
     "name: a\nhosts:\n  server:\n    sysctl: {net.ipv4.conf.eth0.rp_filtr: 1}\nsteps:\n  - "
     "server: sleep 1s\n",
     "a.yaml:4:14: host 'server': unknown sysctl 'net.ipv4.conf.eth0.rp_filtr' (did you mean "
     "'net.ipv4.conf.eth0.rp_filter'?)"},
    {"step_not_map", "name: a\nsteps:\n  - sleep 1s\n",
     "a.yaml:3:5: step 1: a step must be a map such as {client: ...} or {await: ID}, not 'sleep "
     "1s'"},
    {"step_unknown_host", "name: a\nsteps:\n  - clinet: sleep 1s\n",
     "a.yaml:3:5: step 1: 'clinet' is not a declared host (did you mean 'client'?)"},
    {"step_two_hosts", "name: a\nsteps:\n  - client: sleep 1s\n    server: sleep 1s\n",
     "a.yaml:4:5: step 1: a step runs on one host: 'client' and 'server' cannot be combined"},
    {"step_host_and_await", "name: a\nsteps:\n  - client: sleep 1s\n    await: x\n",
     "a.yaml:4:5: step 1: a step has either a host or 'await', not both"},
    {"step_only_label", "name: a\nsteps:\n  - label: x\n",
     "a.yaml:3:5: step 1: missing a host (client, server) or 'await'"},
    {"step_expect_beside_await",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, async: "
     "true, id: r}\n  - await: r\n    expect: {ret: 0}\n",
     "a.yaml:6:5: step 3: 'expect' must go inside a host's map, as in - client: {recv: s, expect: "
     "...} (for an async call: on the async step, not on its await)"},
    {"step_op_beside_host",
     "name: a\nsteps:\n  - client: {socket: tcp, as: c}\n  - client:\n    close: c\n",
     "a.yaml:5:5: step 2: 'close' must go inside a host's map, as in - client: {..., close: ...}"},
    {"step_value_list", "name: a\nsteps:\n  - client: [sleep, 1s]\n",
     "a.yaml:3:13: step 1: the value of 'client' must be a map {OP: ARG, ...} or a string \"OP ARG "
     "[as NAME]\", not a list"},
    {"unknown_op",
     "name: a\nsteps:\n  - server: listen 80\n  - client: {socket: tcp, as: c}\n  - client:\n      "
     "conect: c\n      to: \"server:80\"\n",
     "a.yaml:6:7: step 3: unknown operation 'conect' (did you mean 'connect'?)"},
    {"unknown_op_shorthand", "name: a\nsteps:\n  - client: conect server:80 as c\n",
     "a.yaml:3:13: step 1: unknown operation 'conect' (did you mean 'connect'?)"},
    {"two_ops", "name: a\nsteps:\n  - client: {socket: tcp, connect: \"server:80\", as: c}\n",
     "a.yaml:3:27: step 1: 'socket' and 'connect' cannot be combined in one step"},
    {"no_op", "name: a\nsteps:\n  - client: {as: c}\n",
     "a.yaml:3:13: step 1: missing operation (one of socket, bind, listen, accept, connect, send, "
     "write, recv, read, sendto, recvfrom, shutdown, close, dup, setsockopt, getsockopt, nonblock, "
     "poll, sleep, sendfile, run, stop, sendmsg, recvmsg, writev, readv, fcntl, ioctl, "
     "epoll_create, epoll_ctl, epoll_wait, getsockname, getpeername)"},
    {"bad_shorthand", "name: a\nsteps:\n  - client: close\n",
     "a.yaml:3:13: step 1: a step written as a string must be \"OP ARG\" or \"OP ARG as NAME\", "
     "not 'close'"},
    {"param_wrong_op", "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, backlog: 5}\n",
     "a.yaml:3:43: step 1: 'backlog' does not apply to 'connect'"},
    {"unknown_param", "name: a\nsteps:\n  - client: {listen: 80, bcklog: 5}\n",
     "a.yaml:3:26: step 1: unknown key 'bcklog' for 'listen' (did you mean 'backlog'?)"},
    {"label_inside_op", "name: a\nsteps:\n  - client: {listen: 80, label: x}\n",
     "a.yaml:3:26: step 1: 'label' belongs beside 'client' in the step, not inside its operation "
     "map"},
    {"undefined_fd",
     "name: a\nsteps:\n  - client: {socket: tcp, as: x}\n  - client: {socket: tcp, as: y}\n  - "
     "client: sleep 1s\n  - client: {send: c, data: \"hi\"}\n",
     "a.yaml:6:20: step 4: 'c' is not a socket defined by an earlier step on host 'client' (did "
     "you mean 'x'?)"},
    {"undefined_fd_other_host",
     "name: a\nsteps:\n  - server: listen 80\n  - client: {accept: ls, as: s}\n",
     "a.yaml:4:22: step 2: 'ls' is not a socket defined by an earlier step on host 'client'"},
    {"fd_closed",
     "name: a\nsteps:\n  - client: {socket: tcp, as: c}\n  - client: close c\n  - client: close "
     "c\n",
     "a.yaml:5:19: step 3: 'c' on host 'client' was closed by step 2 (a.yaml:4:5): a call on a "
     "closed name must expect errno: EBADF"},
    {"fd_redefined",
     "name: a\nsteps:\n  - client: {socket: tcp, as: c}\n  - client: {socket: udp, as: c}\n",
     "a.yaml:4:31: step 2: 'c' is already an open socket on host 'client' (close it first or "
     "choose another name)"},
    {"listen_default_name_taken", "name: a\nsteps:\n  - server: listen 80\n  - server: listen 81\n",
     "a.yaml:4:13: step 2: 'ls' is already an open socket on host 'server' (close it first or name "
     "this one with 'as')"},
    {"bad_fd_name", "name: a\nsteps:\n  - client: {close: 3c}\n",
     "a.yaml:3:21: step 1: '3c' is not a socket name (letters, digits and _, not starting with a "
     "digit)"},
    {"missing_as", "name: a\nsteps:\n  - client: {socket: tcp}\n",
     "a.yaml:3:13: step 1: missing required key 'as' for 'socket' (the name of the new socket)"},
    {"as_on_close",
     "name: a\nsteps:\n  - client: {socket: tcp, as: c}\n  - client: {close: c, as: d}\n",
     "a.yaml:4:24: step 2: 'as' does not apply to 'close' here: it names a socket that a step "
     "creates (use 'id' to name an async step)"},
    {"socket_proto", "name: a\nsteps:\n  - client: {socket: sctp, as: c}\n",
     "a.yaml:3:22: step 1: 'socket' must be tcp or udp, not 'sctp'"},
    {"listen_port_range", "name: a\nsteps:\n  - server: listen 70000\n",
     "a.yaml:3:20: step 1: 'listen' must be an integer between 0 and 65535, not 70000"},
    {"backlog_range", "name: a\nsteps:\n  - server: {listen: 80, backlog: -1}\n",
     "a.yaml:3:35: step 1: 'backlog' must be an integer between 0 and 65535, not -1"},
    {"connect_missing_to",
     "name: a\nsteps:\n  - client: {socket: tcp, as: c}\n  - client: {connect: c}\n",
     "a.yaml:4:13: step 2: missing required key 'to' for 'connect'"},
    {"connect_to_with_address",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", to: \"server:80\", as: c}\n",
     "a.yaml:3:36: step 1: 'to' does not apply to 'connect' with an address (write connect: "
     "SOCKET, to: ADDRESS, or connect: ADDRESS, as: NAME)"},
    {"send_data_and_size",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {send: c, data: x, "
     "size: 3}\n",
     "a.yaml:4:32: step 2: 'data' and 'size' cannot be combined"},
    {"send_neither",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {send: c}\n",
     "a.yaml:4:13: step 2: 'send' needs 'data' or 'size'"},
    {"send_size_range",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {send: c, size: "
     "0}\n",
     "a.yaml:4:29: step 2: 'size' must be an integer between 1 and 67108864, not 0"},
    {"size_huge",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, size: "
     "99999999999999999999}\n",
     "a.yaml:4:29: step 2: 'size' must be an integer between 1 and 16777216, not "
     "99999999999999999999"},
    {"size_quoted",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, size: "
     "\"100\"}\n",
     "a.yaml:4:29: step 2: 'size' must be an integer between 1 and 16777216, not '100' (a quoted "
     "string: remove the quotes)"},
    {"size_list",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, size: "
     "[1, 2]}\n",
     "a.yaml:4:29: step 2: 'size' must be an integer between 1 and 16777216, not a list"},
    {"size_null",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, size: "
     "}\n",
     "a.yaml:4:23: step 2: 'size' must be an integer between 1 and 16777216, not empty"},
    {"flag_wrong_op",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, flags: "
     "[MSG_MORE]}\n",
     "a.yaml:4:31: step 2: flag 'MSG_MORE' does not apply to 'recv' (it takes MSG_PEEK, "
     "MSG_DONTWAIT, MSG_WAITALL, MSG_ERRQUEUE, MSG_OOB)"},
    {"flag_unknown",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, flags: "
     "[MSG_PEKK]}\n",
     "a.yaml:4:31: step 2: unknown flag 'MSG_PEKK' for 'recv' (did you mean 'MSG_PEEK'?)"},
    {"until_empty",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, until: "
     "\"\"}\n",
     "a.yaml:4:30: step 2: 'until' must not be empty"},
    {"shutdown_how",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {shutdown: c, how: "
     "both}\n",
     "a.yaml:4:32: step 2: 'how' must be rd, wr or rdwr, not 'both'"},
    {"shutdown_missing_how",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {shutdown: c}\n",
     "a.yaml:4:13: step 2: missing required key 'how' for 'shutdown'"},
    {"sockopt_unknown",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {setsockopt: c, "
     "opt: SO_REUSEADR, value: 1}\n",
     "a.yaml:4:34: step 2: unknown socket option 'SO_REUSEADR' (did you mean 'SO_REUSEADDR'?)"},
    {"buffer_not_invalid",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {send: c, size: 1, "
     "buffer: nope}\n",
     "a.yaml:4:40: step 2: 'buffer' must be invalid, not 'nope'"},
    {"buffer_with_data",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {send: c, data: x, "
     "buffer: invalid}\n",
     "a.yaml:4:23: step 2: 'data' cannot be combined with 'buffer: invalid' (use 'size')"},
    {"buffer_with_until",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, until: "
     "x, "
     "buffer: invalid}\n",
     "a.yaml:4:23: step 2: 'until' cannot be combined with 'buffer: invalid'"},
    {"sockopt_unknown_zerocopy",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {setsockopt: c, "
     "opt: SO_ZEROCPY, value: 1}\n",
     "a.yaml:4:34: step 2: unknown socket option 'SO_ZEROCPY' (did you mean 'SO_ZEROCOPY'?)"},
    {"sockopt_so_error_set",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {setsockopt: c, "
     "opt: SO_ERROR, value: 1}\n",
     "a.yaml:4:34: step 2: SO_ERROR can only be read (use getsockopt)"},
    {"sockopt_congestion_get",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {getsockopt: c, "
     "opt: TCP_CONGESTION}\n",
     "a.yaml:4:34: step 2: getsockopt of TCP_CONGESTION is not supported"},
    {"sockopt_missing_value",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {setsockopt: c, "
     "opt: TCP_NODELAY}\n",
     "a.yaml:4:13: step 2: missing required key 'value' for 'setsockopt'"},
    {"sockopt_value_type",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {setsockopt: c, "
     "opt: TCP_NODELAY, value: yes please}\n",
     "a.yaml:4:54: step 2: 'value' of TCP_NODELAY must be an integer or true/false, not 'yes "
     "please'"},
    {"linger_not_map",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {setsockopt: c, "
     "opt: SO_LINGER, value: 0}\n",
     "a.yaml:4:52: step 2: 'value' of SO_LINGER must be a map {onoff: BOOL, linger: SECONDS}, not "
     "'0'"},
    {"linger_unknown_key",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {setsockopt: c, "
     "opt: SO_LINGER, value: {onof: true, linger: 0}}\n",
     "a.yaml:4:53: step 2: unknown key 'onof' in SO_LINGER value (did you mean 'onoff'?)"},
    {"user_timeout_fraction",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {setsockopt: c, "
     "opt: TCP_USER_TIMEOUT, value: 1500us}\n",
     "a.yaml:4:59: step 2: 'value' of TCP_USER_TIMEOUT must be whole milliseconds (at most "
     "2147483647ms), not '1500us'"},
    {"nonblock_value",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {nonblock: c, "
     "value: 1}\n",
     "a.yaml:4:34: step 2: 'value' must be true or false, not '1'"},
    {"poll_no_events",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {poll: c, events: "
     "[], timeout: 1s}\n",
     "a.yaml:4:31: step 2: 'events' must list at least one event"},
    {"poll_bad_event",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {poll: c, events: "
     "[inn], timeout: 1s}\n",
     "a.yaml:4:32: step 2: unknown poll event 'inn' (did you mean 'in'?)"},
    {"poll_missing_timeout",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {poll: c, events: "
     "[in]}\n",
     "a.yaml:4:13: step 2: missing required key 'timeout' for 'poll'"},
    {"sleep_zero", "name: a\nsteps:\n  - client: sleep 0s\n",
     "a.yaml:3:19: step 1: 'sleep' must be longer than 0s"},
    {"sleep_no_unit", "name: a\nsteps:\n  - client: {sleep: 5}\n",
     "a.yaml:3:21: step 1: 'sleep' must be a duration such as 10s or 500ms, not '5' (a unit is "
     "required)"},
    {"sendfile_no_size",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {sendfile: c}\n",
     "a.yaml:4:13: step 2: missing required key 'size' for 'sendfile'"},
    {"async_no_id",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, async: "
     "true}\n",
     "a.yaml:4:13: step 2: an async step needs an 'id' (or an 'as') for 'await' to name it"},
    {"async_not_bool", "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, async: yes}\n",
     "a.yaml:3:50: step 1: 'async' must be true or false, not 'yes'"},
    {"id_without_async",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, id: r}\n",
     "a.yaml:4:23: step 2: 'id' applies only to an async step (add async: true)"},
    {"async_id_pending",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, async: "
     "true, id: r}\n  - client: {recv: c, async: true, id: r}\n",
     "a.yaml:5:5: step 3: async id 'r' is already used by step 2, which is not awaited yet"},
    {"await_unknown",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, async: "
     "true, id: reader}\n  - await: raeder\n",
     "a.yaml:5:12: step 3: 'raeder' is not the id of an earlier async step (did you mean "
     "'reader'?)"},
    {"await_twice",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, async: "
     "true, id: r}\n  - await: r\n  - await: r\n",
     "a.yaml:6:12: step 4: 'r' was already awaited by step 3"},
    {"await_sync_step",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - await: c\n",
     "a.yaml:4:12: step 2: 'c' is not the id of an earlier async step"},
    {"label_duplicate",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: x\n  - client: sleep 1s\n    label: x\n",
     "a.yaml:6:12: step 2: label 'x' is already used by step 1"},
    {"label_bad", "name: a\nsteps:\n  - client: sleep 1s\n    label: my label\n",
     "a.yaml:4:12: step 1: 'label' must be a name (letters, digits and _, not starting with a "
     "digit), not 'my label'"},
    {"endpoint_garbage", "name: a\nsteps:\n  - client: {connect: \"server\", as: c}\n",
     "a.yaml:3:23: step 1: 'server' is a host, not a socket: an address needs a port, as in "
     "connect: \"server:8080\""},
    {"endpoint_unknown_host", "name: a\nsteps:\n  - client: {connect: \"sevrer:80\", as: c}\n",
     "a.yaml:3:23: step 1: 'sevrer' in 'sevrer:80' is not a declared host (did you mean "
     "'server'?)"},
    {"endpoint_bad_port", "name: a\nsteps:\n  - client: {connect: \"server:http\", as: c}\n",
     "a.yaml:3:23: step 1: port 'http' in 'server:http' must be an integer 0..65535"},
    {"endpoint_outside_lab", "name: a\nsteps:\n  - client: {connect: \"10.0.0.1:80\", as: c}\n",
     "a.yaml:3:23: step 1: address 10.0.0.1 is outside the lab ranges (198.18.0.0/15, 2001:2::/48, "
     "loopback)"},
    {"endpoint_v6_outside_lab",
     "name: a\nsteps:\n  - client: {connect: \"[2001:db8::1]:80\", as: c}\n",
     "a.yaml:3:23: step 1: address 2001:db8::1 is outside the lab ranges (198.18.0.0/15, "
     "2001:2::/48, loopback)"},
    {"endpoint_v4_in_v6_case",
     "name: a\nfamily: ipv6\nsteps:\n  - client: {connect: \"198.18.2.2:80\", as: c}\n",
     "a.yaml:4:23: step 1: IPv4 address 198.18.2.2 cannot be used in a case that runs on ipv6 only "
     "(see 'family')"},
    {"endpoint_v6_in_v4_case",
     "name: a\nfamily: ipv4\nsteps:\n  - client: {connect: \"[2001:2:0:2::2]:80\", as: c}\n",
     "a.yaml:4:23: step 1: IPv6 address 2001:2:0:2::2 cannot be used in a case that runs on ipv4 "
     "only (see 'family')"},
    {"endpoint_v6_no_brackets", "name: a\nsteps:\n  - client: {connect: \"2001:2::2:80\", as: c}\n",
     "a.yaml:3:23: step 1: '2001:2::2:80' is not an endpoint: an IPv6 address needs brackets, as "
     "in [2001:2:0:2::2]:80"},
    {"bind_missing_addr",
     "name: a\nsteps:\n  - client: {socket: tcp, as: c}\n  - client: {bind: c}\n",
     "a.yaml:4:13: step 2: missing required key 'addr' for 'bind'"},
    {"expect_unknown_key",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, expect: {rett: 0}}\n",
     "a.yaml:3:52: step 1: unknown key 'rett' in expect (did you mean 'ret'?)"},
    {"expect_not_map", "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, expect: ok}\n",
     "a.yaml:3:51: step 1: 'expect' must be a map, not 'ok'"},
    {"expect_ret_bad",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, expect: {ret: fine}}\n",
     "a.yaml:3:57: step 1: 'ret' must be an integer, ok or error, not 'fine'"},
    {"expect_errno_unknown",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, expect: {errno: ECONNREFUSD}}\n",
     "a.yaml:3:59: step 1: unknown errno 'ECONNREFUSD' (did you mean 'ECONNREFUSED'?)"},
    {"expect_errno_with_ok",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, expect: {ret: ok, errno: "
     "ECONNREFUSED}}\n",
     "a.yaml:3:61: step 1: 'errno' cannot be combined with 'ret: ok' (an errno means the call "
     "failed)"},
    {"expect_errno_with_zero",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, expect: {errno: [ECONNREFUSED], "
     "ret: 0}}\n",
     "a.yaml:3:52: step 1: 'errno' cannot be combined with 'ret: 0' (an errno means the call "
     "failed)"},
    {"expect_bytes_reversed",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, expect: "
     "{bytes: [10, 1]}}\n",
     "a.yaml:4:39: step 2: 'bytes' range [10, 1] has its low end above its high end"},
    {"expect_took_bad",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, expect: {took: \"about 1s\"}}\n",
     "a.yaml:3:58: step 1: 'took' must be [lo, hi] durations or a bound such as \"<= 50ms\", not "
     "'about 1s'"},
    {"expect_took_reversed",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c, expect: {took: [2s, 1s]}}\n",
     "a.yaml:3:58: step 1: 'took' range [2s, 1s] has its low end above its high end"},
    {"expect_data_on_send",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {send: c, data: x, "
     "expect: {data: x}}\n",
     "a.yaml:4:41: step 2: 'data' in expect does not apply to 'send' (only to recv, read, "
     "recvfrom, recvmsg and readv)"},
    // Issue 16: packetdrill's other system calls.
    {"epoll_ctl_bad_event",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {epoll_create: 1, as: ep}\n"
     "  - client: {epoll_ctl: ep, op: add, target: c, events: [in, edge]}\n",
     "a.yaml:5:62: step 3: unknown epoll event 'edge' (one of in, out, pri, rdhup, err, hup, et, "
     "oneshot)"},
    {"epoll_ctl_del_with_events",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {epoll_create: 1, as: ep}\n"
     "  - client: {epoll_ctl: ep, op: del, target: c, events: [in]}\n",
     "a.yaml:5:49: step 3: 'events' does not apply to epoll_ctl op: del"},
    {"epoll_ctl_bad_op",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {epoll_create: 1, as: ep}\n"
     "  - client: {epoll_ctl: ep, op: ad, target: c, events: [in]}\n",
     "a.yaml:5:33: step 3: 'op' must be one of add, mod, del, not 'ad' (did you mean 'add'?)"},
    {"epoll_ctl_unknown_target",
     "name: a\nsteps:\n  - client: {epoll_create: 1, as: ep}\n"
     "  - client: {epoll_ctl: ep, op: add, target: c, events: [in]}\n",
     "a.yaml:4:46: step 2: 'c' is not a socket defined by an earlier step on host 'client' (did "
     "you mean 'ep'?)"},
    {"epoll_create_needs_as", "name: a\nsteps:\n  - client: {epoll_create: 1}\n",
     "a.yaml:3:13: step 1: missing required key 'as' for 'epoll_create' (the name of the new "
     "socket)"},
    {"expect_epoll_on_poll",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {poll: c, events: [in], timeout: 1s, expect: {epoll: []}}\n",
     "a.yaml:4:59: step 2: 'epoll' in expect does not apply to 'poll' (only to epoll_wait)"},
    {"expect_epoll_bad_event",
     "name: a\nsteps:\n  - client: {epoll_create: 1, as: ep}\n"
     "  - client: {epoll_wait: ep, timeout: 1s, expect: {epoll: [{fd: c, events: [et]}]}}\n",
     "a.yaml:4:77: step 2: epoll event 'et' is a request flag of epoll_ctl, never in the ready "
     "list (one of in, out, pri, err, hup, rdhup)"},
    {"expect_epoll_item_keys",
     "name: a\nsteps:\n  - client: {epoll_create: 1, as: ep}\n"
     "  - client: {epoll_wait: ep, timeout: 1s, expect: {epoll: [{fd: c}]}}\n",
     "a.yaml:4:60: step 2: missing required key 'events' in an epoll entry"},
    {"expect_cmsgs_on_recv",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {recv: c, expect: {cmsgs: []}}\n",
     "a.yaml:4:32: step 2: 'cmsgs' in expect does not apply to 'recv' (only to recvmsg)"},
    {"expect_cmsgs_bad_kind",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {recvmsg: c, expect: {cmsgs: [{kind: recverror}]}}\n",
     "a.yaml:4:50: step 2: unknown control message kind 'recverror' (did you mean 'recverr'?)"},
    {"expect_cmsgs_field_of_other_kind",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {recvmsg: c, expect: {cmsgs: [{kind: inq, ee_data: 1}]}}\n",
     "a.yaml:4:55: step 2: unknown key 'ee_data' in a inq cmsg"},
    {"expect_cmsgs_bad_value",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {recvmsg: c, expect: {cmsgs: [{kind: recverr, ee_origin: ZEROCOPY}]}}\n",
     "a.yaml:4:70: step 2: 'ee_origin' must be an integer or a constant such as "
     "SO_EE_ORIGIN_ZEROCOPY or ENOMSG, not 'ZEROCOPY'"},
    {"timestamping_bad_flag",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {setsockopt: c, opt: SO_TIMESTAMPING, value: [SOF_TIMESTAMPING_OPT_IDD]}\n",
     "a.yaml:4:59: step 2: unknown SO_TIMESTAMPING flag 'SOF_TIMESTAMPING_OPT_IDD' (did you mean "
     "'SOF_TIMESTAMPING_OPT_ID'?)"},
    {"writev_iov_vs_data",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {writev: c, iov: [1, 2], data: abcd}\n",
     "a.yaml:4:30: step 2: the 'iov' sizes add up to 3 but 'data' has 4 bytes"},
    {"writev_needs_iov_or_data",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {writev: c}\n",
     "a.yaml:4:13: step 2: 'writev' needs 'iov' or 'data'"},
    {"readv_empty_iov",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {readv: c, iov: []}\n",
     "a.yaml:4:29: step 2: 'iov' must list 1 to 1024 buffer sizes, not 0"},
    {"fcntl_setfl_needs_flags",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {fcntl: c, cmd: setfl}\n",
     "a.yaml:4:13: step 2: missing required key 'flags' for fcntl cmd: setfl ([nonblock] or [])"},
    {"fcntl_getfl_with_flags",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {fcntl: c, cmd: getfl, flags: [nonblock]}\n",
     "a.yaml:4:36: step 2: 'flags' applies only to fcntl cmd: setfl"},
    {"fcntl_bad_flag",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {fcntl: c, cmd: setfl, flags: [append]}\n",
     "a.yaml:4:44: step 2: unknown fcntl flag 'append' (one of nonblock)"},
    {"ioctl_bad_request",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {ioctl: c, request: SIOCINQQ}\n",
     "a.yaml:4:33: step 2: 'request' must be one of SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONREAD, not "
     "'SIOCINQQ' (did you mean 'SIOCINQ'?)"},
    {"expect_value_on_send",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {send: c, data: x, expect: {value: 1}}\n",
     "a.yaml:4:41: step 2: 'value' in expect does not apply to 'send' (only to getsockopt, fcntl "
     "and ioctl)"},
    {"rcvtimeo_not_a_duration",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
     "  - client: {setsockopt: c, opt: SO_RCVTIMEO, value: soon}\n",
     "a.yaml:4:54: step 2: 'value' of SO_RCVTIMEO must be a duration such as 250ms or an integer "
     "of microseconds, not 'soon'"},
    {"expect_revents_on_recv",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {recv: c, expect: "
     "{revents: [in]}}\n",
     "a.yaml:4:32: step 2: 'revents' in expect does not apply to 'recv' (only to poll)"},
    {"expect_revents_unknown",
     "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n  - client: {poll: c, events: "
     "[in], timeout: 1s, expect: {revents: [hupp]}}\n",
     "a.yaml:4:69: step 2: unknown poll event 'hupp' (did you mean 'hup'?)"},
    {"expect_duplicate_key",
     "name: a\nsteps:\n  - client:\n      connect: \"server:80\"\n      as: c\n      expect:\n     "
     "   ret: 0\n        ret: 1\n",
     "a.yaml:8:9: step 1: duplicate key 'ret' (first at line 7)"},
    {"faults_not_list", "name: a\nsteps:\n  - client: sleep 1s\nfaults: {match: {}}\n",
     "a.yaml:4:9: 'faults' must be a list, not a map"},
    {"fault_not_map", "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - drop\n",
     "a.yaml:5:5: fault 1: a fault must be a map with 'match' and 'do', not 'drop'"},
    {"fault_missing_match", "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - do: drop\n",
     "a.yaml:5:5: fault 1: missing required key 'match' in fault"},
    {"fault_missing_do", "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n",
     "a.yaml:5:5: fault 1: missing required key 'do' in fault"},
    {"fault_unknown_key",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: delay\n    dely: 1s\n",
     "a.yaml:7:5: fault 1: unknown key 'dely' (did you mean 'delay'?)"},
    {"fault_unknown_match_key",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {form: client}\n    do: drop\n",
     "a.yaml:5:13: fault 1: unknown key 'form' in match (did you mean 'from'?)"},
    {"fault_unknown_action",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: dorp\n",
     "a.yaml:6:9: fault 1: unknown action 'dorp' (did you mean 'drop'?)"},
    {"fault_param_wrong_action",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: drop\n    copies: 2\n",
     "a.yaml:7:5: fault 1: 'copies' does not apply to 'drop'"},
    {"fault_nth_and_first",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {nth: 1, first: 2}\n    do: "
     "drop\n",
     "a.yaml:5:21: fault 1: 'nth' and 'first' cannot be combined"},
    {"fault_nth_zero",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {nth: 0}\n    do: drop\n",
     "a.yaml:5:18: fault 1: 'nth' must be a positive integer, not 0"},
    {"fault_from_unknown",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {from: clinet}\n    do: drop\n",
     "a.yaml:5:19: fault 1: 'clinet' in 'from' is not a declared host (did you mean 'client'?)"},
    {"fault_from_equals_to",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {from: server, to: server}\n    "
     "do: drop\n",
     "a.yaml:5:31: fault 1: 'from' and 'to' are both 'server'"},
    {"fault_tcp_lowercase",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {tcp: fin}\n    do: drop\n",
     "a.yaml:5:18: fault 1: unknown TCP segment class 'fin' (did you mean 'FIN'? classes are upper "
     "case)"},
    {"fault_tcp_syn_and_ack",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {tcp: [SYN, ACK]}\n    do: "
     "drop\n",
     "a.yaml:5:18: fault 1: 'tcp: [SYN, ACK]' can never match: a segment must be of every class "
     "listed, and SYN has ACK clear and ACK (a pure ACK) has ACK set and SYN clear; for a segment "
     "with both flags write 'tcp: SYN-ACK'"},
    {"fault_tcp_syn_and_syn_ack",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {tcp: [SYN-ACK, SYN]}\n    do: "
     "drop\n",
     "a.yaml:5:18: fault 1: 'tcp: [SYN-ACK, SYN]' can never match: a segment must be of every "
     "class listed, and SYN has ACK clear and SYN-ACK has it set; write one of them, or one fault "
     "for each"},
    {"fault_tcp_ack_and_fin",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {tcp: [FIN, ACK]}\n    do: "
     "drop\n",
     "a.yaml:5:18: fault 1: 'tcp: [FIN, ACK]' can never match: a segment must be of every class "
     "listed, and ACK is a pure ACK, without FIN; write 'tcp: FIN' (it matches FINs with or "
     "without ACK)"},
    {"fault_tcp_ack_with_length",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {tcp: ACK, length: [1, 100]}\n"
     "    do: drop\n",
     "a.yaml:5:31: fault 1: 'length: [1, 100]' can never match 'tcp: ACK': ACK is a pure ACK, "
     "without "
     "payload; for data segments write 'tcp: DATA'"},
    {"fault_tcp_data_with_length_0",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {tcp: DATA, length: 0}\n    "
     "do: drop\n",
     "a.yaml:5:32: fault 1: 'length: 0' can never match 'tcp: DATA': DATA segments carry payload; "
     "for segments without payload drop DATA (or write 'tcp: ACK' for pure ACKs)"},
    {"fault_tcp_with_udp",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {proto: udp, tcp: FIN}\n    do: "
     "drop\n",
     "a.yaml:5:25: fault 1: 'tcp' cannot be combined with 'proto: udp'"},
    {"fault_proto_bad",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {proto: sctp}\n    do: drop\n",
     "a.yaml:5:20: fault 1: 'proto' must be tcp, udp or icmp, not 'sctp'"},
    {"fault_length_negative",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {length: -1}\n    do: drop\n",
     "a.yaml:5:21: fault 1: 'length' must be a non-negative integer, not -1"},
    {"fault_window_bound",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {window: \"<= 1s\"}\n    do: "
     "drop\n",
     "a.yaml:5:21: fault 1: 'window' must be [lo, hi] durations, not '<= 1s'"},
    {"fault_win_negative",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {win: -1}\n    do: drop\n",
     "a.yaml:5:18: fault 1: 'win' must be a non-negative integer, not -1"},
    {"fault_win_too_large",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {win: 65536}\n    do: drop\n",
     "a.yaml:5:18: fault 1: 'win' is the 16-bit TCP window field: values must be 0..65535, not "
     "65536"},
    {"fault_win_reversed",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {win: [9, 1]}\n    do: drop\n",
     "a.yaml:5:18: fault 1: 'win' range [9, 1] has its low end above its high end"},
    {"fault_win_with_udp",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {proto: udp, win: 0}\n    do: "
     "drop\n",
     "a.yaml:5:25: fault 1: 'win' (the TCP window field) cannot be combined with 'proto: udp'"},
    {"fault_window_given_bytes",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {window: [0, 100]}\n    do: "
     "drop\n",
     "a.yaml:5:21: fault 1: 'window' must be [lo, hi] durations (time since the case started), "
     "not a list; the TCP window field is 'win'"},
    {"fault_probability_range",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {probability: 0}\n    do: drop\n",
     "a.yaml:5:26: fault 1: 'probability' must be a number in (0, 1] or a percent such as \"10%\", "
     "not '0'"},
    {"fault_delay_missing",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: delay\n",
     "a.yaml:5:5: fault 1: missing required key 'delay' for 'delay'"},
    {"fault_delay_too_long",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: delay\n    delay: "
     "2m\n",
     "a.yaml:7:12: fault 1: 'delay' must be longer than 0s and at most 60s, not '2m'"},
    {"fault_reorder_count",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: reorder\n    count: "
     "1\n",
     "a.yaml:7:12: fault 1: 'count' must be an integer between 2 and 64, not 1"},
    {"fault_reorder_order_short",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: reorder\n    count: "
     "3\n    order: [1, 2]\n",
     "a.yaml:8:12: fault 1: 'order' must list each of 1..3 once, not 2 numbers"},
    {"fault_reorder_order_dup",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: reorder\n    count: "
     "3\n    order: [1, 2, 2]\n",
     "a.yaml:8:19: fault 1: 'order' lists 2 twice (it must be a permutation of 1..3)"},
    {"fault_copies_range",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: duplicate\n    "
     "copies: 101\n",
     "a.yaml:7:13: fault 1: 'copies' must be an integer between 1 and 100, not 101"},
    {"fault_hold_unknown_label",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - match: {}\n    do: hold\n "
     "   until: {step: og}\n",
     "a.yaml:8:19: fault 1: no step has the label 'og' (did you mean 'go'?)"},
    {"fault_hold_both",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: hold\n    until: "
     "{step: x, after: 1s}\n",
     "a.yaml:7:12: fault 1: 'step' and 'after' cannot be combined in 'until'"},
    {"fault_hold_then",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: hold\n    until: "
     "{after: 1s}\n    then: keep\n",
     "a.yaml:8:11: fault 1: 'then' must be release or drop, not 'keep'"},
    {"fault_inject_rst_toward",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: inject-rst\n    "
     "toward: wire\n",
     "a.yaml:7:13: fault 1: 'wire' in 'toward' is not a declared host; the hosts are: client, "
     "server"},
    {"step_host_not_declared",
     "name: a\nhosts: {client: {}, server: {}, relay: {}}\nsteps:\n  - router: sleep 1s\n",
     "a.yaml:4:5: step 1: 'router' is not a declared host; the hosts are: client, server, relay"},
    {"counters_neutral_no_ipv6",
     "name: a\nsteps:\n  - client: sleep 1s\ncounters: {client: {Udp*.NoPorts: 0, "
     "UdpLite*.IgnoredMulti: 0}}\n",
     "a.yaml:4:38: counters: counter 'UdpLite*.IgnoredMulti' has no IPv6 counterpart (those of "
     "UdpLite* that have one: UdpLite*.InDatagrams, UdpLite*.NoPorts, UdpLite*.InErrors, "
     "UdpLite*.OutDatagrams, UdpLite*.RcvbufErrors, UdpLite*.SndbufErrors, "
     "UdpLite*.InCsumErrors, UdpLite*.MemErrors)"},
    {"counters_neutral_misspelt",
     "name: a\nsteps:\n  - client: sleep 1s\ncounters: {client: {Udp*.NoPort: 0}}\n",
     "a.yaml:4:21: counters: unknown counter 'Udp*.NoPort' (did you mean 'Udp*.NoPorts'?)"},
    {"counters_neutral_both_families",
     "name: a\nsteps:\n  - client: sleep 1s\ncounters: {client: {Tcp*.ActiveOpens: 0}}\n",
     "a.yaml:4:21: counters: counter 'Tcp*.ActiveOpens': only Ip*, Icmp*, Udp* and UdpLite* name "
     "a counter of each family ('Tcp.ActiveOpens' counts both families)"},
    {"counters_neutral_no_group",
     "name: a\nsteps:\n  - client: sleep 1s\ncounters: {client: {Foo*.Bar: 0}}\n",
     "a.yaml:4:21: counters: counter 'Foo*.Bar': only Ip*, Icmp*, Udp* and UdpLite* name a "
     "counter of each family"},
    {"counters_star_not_before_dot",
     "name: a\nsteps:\n  - client: sleep 1s\ncounters: {client: {Udp*NoPorts: 0}}\n",
     "a.yaml:4:21: counters: 'Udp*NoPorts' is not a counter name such as ListenOverflows or "
     "Udp.InErrors"},
    {"counters_step_misspelt", "name: a\nsteps:\n  - server: {counters: {ListenOverflow: 1}}\n",
     "a.yaml:3:25: step 1: unknown counter 'ListenOverflow' (did you mean 'ListenOverflows'?)"},
    {"counters_step_no_ipv6", "name: a\nsteps:\n  - server: {counters: {Icmp*.InSrcQuenchs: 0}}\n",
     "a.yaml:3:25: step 1: counter 'Icmp*.InSrcQuenchs' has no IPv6 counterpart (those of Icmp* "
     "that have one: Icmp*.InMsgs, Icmp*.InErrors, Icmp*.InCsumErrors, Icmp*.InDestUnreachs, "
     "Icmp*.InTimeExcds, Icmp*.InParmProbs, Icmp*.InRedirects, Icmp*.InEchos, "
     "Icmp*.InEchoReps, Icmp*.OutMsgs, Icmp*.OutErrors, Icmp*.OutRateLimitHost, "
     "Icmp*.OutDestUnreachs, Icmp*.OutTimeExcds, Icmp*.OutParmProbs, Icmp*.OutRedirects, "
     "Icmp*.OutEchos, Icmp*.OutEchoReps)"},
    // The step's own when: decides: here it runs in the IPv6 variant only.
    {"counters_step_no_ipv6_under_when",
     "name: a\nsteps:\n  - server: {counters: {Icmp*.InSrcQuenchs: 0}}\n    when: {family: ipv6}\n",
     "a.yaml:3:25: step 1: counter 'Icmp*.InSrcQuenchs' has no IPv6 counterpart (those of Icmp* "
     "that have one: Icmp*.InMsgs, Icmp*.InErrors, Icmp*.InCsumErrors, Icmp*.InDestUnreachs, "
     "Icmp*.InTimeExcds, Icmp*.InParmProbs, Icmp*.InRedirects, Icmp*.InEchos, "
     "Icmp*.InEchoReps, Icmp*.OutMsgs, Icmp*.OutErrors, Icmp*.OutRateLimitHost, "
     "Icmp*.OutDestUnreachs, Icmp*.OutTimeExcds, Icmp*.OutParmProbs, Icmp*.OutRedirects, "
     "Icmp*.OutEchos, Icmp*.OutEchoReps)"},
    {"counters_step_empty", "name: a\nsteps:\n  - server: {counters: {}}\n",
     "a.yaml:3:24: step 1: 'counters' must check at least one counter"},
    {"counters_step_not_map", "name: a\nsteps:\n  - server: {counters: ListenOverflows}\n",
     "a.yaml:3:24: step 1: 'counters' must be a map, not 'ListenOverflows'"},
    {"counters_step_since_unknown",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - server: {counters: "
     "{ListenOverflows: 0}, since: og}\n",
     "a.yaml:5:53: step 2: no earlier step has the label 'og' (did you mean 'go'?)"},
    {"counters_step_expect",
     "name: a\nsteps:\n  - server: {counters: {ListenOverflows: 0}, expect: {queued: 1}}\n",
     "a.yaml:3:46: step 1: unknown key 'expect' for 'counters'"},
    {"counters_host_not_declared",
     "name: a\nsteps:\n  - client: sleep 1s\ncounters: {router: {ListenOverflows: 0}}\n",
     "a.yaml:4:12: counters: 'router' is not a declared host; the hosts are: client, server"},
    {"fault_rate_missing_per",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: rate-limit\n    rate: "
     "5\n",
     "a.yaml:5:5: fault 1: missing required key 'per' for 'rate-limit'"},
    {"fault_rate_zero",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: rate-limit\n    rate: "
     "0\n    per: 1s\n",
     "a.yaml:7:11: fault 1: 'rate' must be an integer between 1 and 1000000000, not 0"},
    {"fault_bottleneck_no_rate",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n",
     "a.yaml:5:5: fault 1: missing required key 'rate' for 'bottleneck'"},
    {"fault_bottleneck_bps",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n    rate: "
     "12500000bps\n",
     "a.yaml:7:11: fault 1: 'rate' must be a rate such as 10mbit, 100kbit, 1gbit or an integer "
     "(bits per second), not '12500000bps' (rates are written in bits: use bit, kbit, mbit or "
     "gbit, e.g. 100mbit)"},
    {"fault_bottleneck_rate_word",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n    rate: "
     "fast\n",
     "a.yaml:7:11: fault 1: 'rate' must be a rate such as 10mbit, 100kbit, 1gbit or an integer "
     "(bits per second), not 'fast'"},
    {"fault_bottleneck_rate_low",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n    rate: "
     "999bit\n",
     "a.yaml:7:11: fault 1: 'rate' must be between 1kbit and 100gbit, not '999bit'"},
    {"fault_bottleneck_overhead",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n    rate: "
     "10mbit\n    overhead: -65\n",
     "a.yaml:8:15: fault 1: 'overhead' must be an integer between -64 and 1000, not -65"},
    {"fault_bottleneck_queue_zero",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n    rate: "
     "10mbit\n    queue: 0\n",
     "a.yaml:8:12: fault 1: 'queue' must be an integer between 1 and 1000000, not 0"},
    {"fault_bottleneck_queue_word",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n    rate: "
     "10mbit\n    queue: big\n",
     "a.yaml:8:12: fault 1: 'queue' must be a number of packets (an integer) or a size in bytes "
     "such as \"150KB\", not 'big'"},
    {"fault_bottleneck_delay",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n    rate: "
     "10mbit\n    delay: 61s\n",
     "a.yaml:8:12: fault 1: 'delay' must be between 0s and 60s, not '61s'"},
    {"fault_bottleneck_key",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: bottleneck\n    rate: "
     "10mbit\n    per: 1s\n",
     "a.yaml:8:5: fault 1: 'per' does not apply to 'bottleneck'"},
    {"fault_slots_no_budget",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: slots\n    interval: "
     "10ms\n",
     "a.yaml:7:5: fault 1: 'slots' needs 'packets' or 'bytes' (a slot's budget), or both"},
    {"fault_slots_interval_zero",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: slots\n    interval: "
     "0s\n    packets: 1\n",
     "a.yaml:7:15: fault 1: 'interval' must be longer than 0s and at most 60s, not '0s'"},
    {"fault_slots_bytes_unit",
     "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {}\n    do: slots\n    interval: "
     "10ms\n    bytes: 10kbit\n",
     "a.yaml:8:12: fault 1: 'bytes' must be a size such as 1500, 64KB or 64KiB (bytes; KB, MB, GB "
     "are 1000-based, KiB, MiB, GiB 1024-based), not '10kbit'"},
    {"fault_step_unknown_name",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slwo\n    enable: "
     "false\nfaults:\n  - name: slow\n    match: {}\n    do: delay\n    delay: 100ms\n",
     "a.yaml:5:12: step 2: no fault is named 'slwo' (did you mean 'slow'?)"},
    {"fault_step_no_named_fault",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slow\n    enable: "
     "false\nfaults:\n  - match: {}\n    do: drop\n",
     "a.yaml:5:12: step 2: no fault is named 'slow' (no fault has a 'name:')"},
    {"fault_step_set_not_a_param",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slow\n    set: {rate: "
     "5}\nfaults:\n  - name: slow\n    match: {}\n    do: delay\n    delay: 100ms\n",
     "a.yaml:6:11: step 2: 'rate' is not a param of fault 'slow' ('delay' takes only delay, "
     "jitter, distribution, correlation, reorder)"},
    {"fault_step_set_bad_value",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slow\n    set: {delay: "
     "0s}\nfaults:\n  - name: slow\n    match: {}\n    do: delay\n    delay: 100ms\n",
     "a.yaml:6:18: step 2: 'delay' must be longer than 0s and at most 60s, not '0s'"},
    {"fault_step_enable_and_set",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slow\n    enable: true\n    "
     "set: {delay: 1s}\nfaults:\n  - name: slow\n    match: {}\n    do: delay\n    delay: 100ms\n",
     "a.yaml:7:5: step 2: 'enable' and 'set' cannot be combined in a fault step (use two steps)"},
    {"fault_step_neither",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slow\nfaults:\n  - name: "
     "slow\n    match: {}\n    do: delay\n    delay: 100ms\n",
     "a.yaml:5:5: step 2: fault step 'slow' needs 'enable: true|false' or 'set: {PARAM: VALUE, "
     "...}'"},
    {"fault_step_enable_not_bool",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slow\n    enable: yes "
     "please\nfaults:\n  - name: slow\n    match: {}\n    do: delay\n    delay: 100ms\n",
     "a.yaml:6:13: step 2: 'enable' must be true or false, not 'yes please'"},
    {"fault_step_unknown_key",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slow\n    enabled: "
     "true\nfaults:\n  - name: slow\n    match: {}\n    do: delay\n    delay: 100ms\n",
     "a.yaml:6:5: step 2: unknown key 'enabled' in a fault step (did you mean 'enable'?)"},
    {"fault_step_set_empty",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\n  - fault: slow\n    set: "
     "{}\nfaults:\n  - name: slow\n    match: {}\n    do: delay\n    delay: 100ms\n",
     "a.yaml:6:10: step 2: 'set' must name at least one param, as in {delay: 300ms}"},
    {"fault_name_not_identifier",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - name: 2slow\n    match: "
     "{}\n    do: drop\n",
     "a.yaml:6:11: fault 1: 'name' must be an identifier (letters, digits and _, not starting with "
     "a digit), not '2slow'"},
    {"fault_name_duplicate",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - name: x\n    match: {}\n  "
     "  do: drop\n  - name: x\n    match: {}\n    do: drop\n",
     "a.yaml:9:11: fault 2: fault name 'x' is already used by fault 1"},
    {"fault_active_unknown_label",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - match: {}\n    do: drop\n "
     "   active: {from: {step: og}}\n",
     "a.yaml:8:27: fault 1: no step has the label 'og' (in 'active: from') (did you mean 'go'?)"},
    {"fault_active_unknown_key",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - match: {}\n    do: drop\n "
     "   active: {form: 1s}\n",
     "a.yaml:8:14: fault 1: unknown key 'form' in active (did you mean 'from'?)"},
    {"fault_active_until_before_from",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - match: {}\n    do: drop\n "
     "   active: {from: 2s, until: 1s}\n",
     "a.yaml:8:31: fault 1: 'until' (1s) must be later than 'from' (2s)"},
    {"fault_active_bad_event",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - match: {}\n    do: drop\n "
     "   active: {until: [1s]}\n",
     "a.yaml:8:21: fault 1: 'until' must be {step: LABEL} or a duration since the case started, "
     "not a list"},
    {"fault_enabled_not_bool",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - match: {}\n    do: drop\n "
     "   enabled: off-ish\n",
     "a.yaml:8:14: fault 1: 'enabled' must be true or false, not 'off-ish'"},
    {"fault_retransmission_udp",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\nfaults:\n  - match: {proto: udp, "
     "retransmission: true}\n    do: drop\n",
     "a.yaml:6:25: fault 1: 'retransmission' (TCP only) cannot be combined with 'proto: udp'"},
    {"packets_retransmission",
     "name: a\nsteps:\n  - client: sleep 1s\n    label: go\npackets:\n  - match: {retransmission: "
     "true}\n    count: 0\n",
     "a.yaml:6:13: packets 1: 'retransmission' does not apply to packets: (a fault match key "
     "only: the wire tracks what each sender sent; a capture sees each packet twice)"},
    {"non_scalar_key", "name: a\nsteps:\n  - client: sleep 1s\n[x]: 1\n",
     "a.yaml:4:1: keys must be names, not a list"},
    {"capture_unknown_key", "name: a\ncapture: {ful: true}\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:11: capture: unknown key 'ful' (did you mean 'full'?)"},
    {"capture_not_bool", "name: a\ncapture: {full: yes}\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:17: capture: 'full' must be true or false, not 'yes'"},
    {"capture_not_map", "name: a\ncapture: full\nsteps:\n  - client: sleep 1s\n",
     "a.yaml:2:10: 'capture' must be a map, not 'full'"},
};

class BadCaseTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadCaseTest, FailsWithExactMessage) {
  const BadCase& b = GetParam();
  StatusOr<Case> c = LoadCaseText(b.yaml, "a.yaml");
  ASSERT_FALSE(c.ok()) << "loaded without error:\n" << b.yaml;
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message(), b.message) << b.yaml;
}

INSTANTIATE_TEST_SUITE_P(Errors, BadCaseTest, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(BadCaseTest, NulByteIsNotText) {
  const std::string text("name: a\0\nsteps: []\n", 19);
  StatusOr<Case> c = LoadCaseText(text, "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "a.yaml:1:8: not a text file (NUL byte)");
}

TEST(BadCaseTest, DeepNestingIsMalformed) {
  StatusOr<Case> c = LoadCaseText("name: a\nsteps: " + std::string(100000, '['), "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("a.yaml:", 0), 0u) << c.status().message();
  EXPECT_NE(c.status().message().find(": malformed YAML: "), std::string::npos)
      << c.status().message();
}

TEST(BadCaseTest, TooManyHosts) {
  std::string text = "name: a\nhosts:\n";
  for (int i = 0; i < 251; ++i) text += "  h" + std::to_string(i) + ":\n";
  text += "steps:\n  - h0: sleep 1s\n";
  StatusOr<Case> c = LoadCaseText(text, "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "a.yaml:3:3: 'hosts' declares 251 hosts; a lab has at most 250");
  text = "name: a\nhosts:\n";
  for (int i = 0; i < 250; ++i) text += "  h" + std::to_string(i) + ":\n";
  text += "steps:\n  - h249: sleep 1s\n";
  c = LoadCaseText(text, "a.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
}

// Independent mistakes of one file come in one load, in file order, each
// with its location.
TEST(BadCaseTest, EveryIndependentErrorOfAFileAtOnce) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\ntimeout: ten\nhosts:\n  server:\n    sysctl: {net.ipv4.tcp_syn_retrie: 1}\n"
      "  client:\nsteps:\n  - clinet: sleep 1s\nfaults:\n  - match: {tcp: [SYN, ACK]}\n    do: "
      "drop\ncounters: {server: {ListenOverflow: 1}}\n",
      "a.yaml");
  ASSERT_FALSE(c.ok());
  // hosts: failed, so steps: and what follows are not read (they would name
  // hosts the lab lacks); timeout: is independent.
  EXPECT_EQ(c.status().message(),
            "a.yaml:2:10: 'timeout' must be a duration such as 10s or 500ms, not 'ten'\n"
            "a.yaml:5:14: host 'server': unknown sysctl 'net.ipv4.tcp_syn_retrie' (did you mean "
            "'net.ipv4.tcp_syn_retries'?)");
  c = LoadCaseText(
      "name: a\ntimeout: ten\nsteps:\n  - clinet: sleep 1s\nfaults:\n  - match: {tcp: [SYN, "
      "ACK]}\n    do: drop\ncounters: {server: {ListenOverflow: 1}}\n",
      "a.yaml");
  ASSERT_FALSE(c.ok());
  // steps: failed, so faults: (which may name steps) is not read.
  EXPECT_EQ(c.status().message(),
            "a.yaml:2:10: 'timeout' must be a duration such as 10s or 500ms, not 'ten'\n"
            "a.yaml:4:5: step 1: 'clinet' is not a declared host (did you mean 'client'?)\n"
            "a.yaml:8:21: counters: unknown counter 'ListenOverflow' (did you mean "
            "'ListenOverflows'?)");
  c = LoadCaseText(
      "name: a\nsteps:\n  - client: sleep 1s\nfaults:\n  - match: {tcp: [SYN, ACK]}\n    do: "
      "drop\ncounters: {server: {ListenOverflow: 1}}\n",
      "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "a.yaml:5:18: fault 1: 'tcp: [SYN, ACK]' can never match: a segment must be of every "
            "class listed, and SYN has ACK clear and ACK (a pure ACK) has ACK set and SYN clear; "
            "for a segment with both flags write 'tcp: SYN-ACK'\n"
            "a.yaml:7:21: counters: unknown counter 'ListenOverflow' (did you mean "
            "'ListenOverflows'?)");
}

TEST(BadCaseTest, AtMostTenErrorsOfAFile) {
  StatusOr<Case> c = LoadCaseText(
      "name: \"\"\ndescription: [x]\ntags: [Fast]\nfamily: ipv5\ntimeout: ten\nseed: -1\n"
      "tolerance: 0s\nsteps: []\npackets: 1\ncounters: []\nrequires: 1\nxfail: 1\n",
      "a.yaml");
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().message();
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 10) << m;
  EXPECT_EQ(m.rfind("a.yaml:1:7: 'name' must not be empty\n", 0), 0u) << m;
  EXPECT_EQ(m.substr(m.rfind('\n') + 1), "(and 2 more errors)") << m;
}

TEST(BadCaseTest, FileNameIsUsedInLocations) {
  StatusOr<Case> c = LoadCaseText("name: a\n", "cases/x/y.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "cases/x/y.yaml:1:1: missing required key 'steps' in case");
}

}  // namespace
}  // namespace faultline
