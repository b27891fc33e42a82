// The loader's own view of the case format: the key tables (and the value
// tables that are lists) that the parsers read from when they check a case
// file. Exported so that docs/schema.json can be compared against them in
// both directions (tests/schema/check_schema.py reads them from the hidden
// `faultline __format-keys`), see docs/design.md, "Case-file schema".
//
// Every table here is the very vector a parser checks keys against, or is
// built from it (no second list): adding a key to a parser adds it here.
#pragma once

#include <string>
#include <vector>

namespace faultline {

// A name and the keys that go with it: an operation and its params, an
// action and its params, an observation and its keys.
struct NamedKeys {
  std::string name;
  std::vector<std::string> keys;
};

struct FormatKeys {
  std::vector<std::string> case_keys;  // top level of a case
  std::vector<std::string> host_keys;  // hosts: NAME: {...}

  // steps: items. Besides one host name, a step has these keys.
  std::vector<std::string> step_keys;         // await, label
  std::vector<std::string> call_common_keys;  // as, async, id, expect (every operation)
  std::vector<NamedKeys> ops;                 // operation -> its params (besides the common ones)
  std::vector<std::string> expect_keys;       // expect: of a call
  std::vector<std::string> so_linger_keys;    // setsockopt SO_LINGER value: {...}
  std::vector<std::string> ready_keys;        // run ready: {...}
  std::vector<std::string> output_keys;       // expect: stdout/stderr: {...}
  std::vector<std::string> port_select_keys;  // state/queue/tcp_info: {port...: N}
  std::vector<NamedKeys> observe_ops;         // state/queue/tcp_info -> the other keys of the step
  std::vector<std::string> queue_fields;      // queue: expect: {...}
  std::vector<std::string> tcp_info_fields;   // tcp_info: expect: {...}

  std::vector<std::string> fault_keys;       // faults: items (match, do, every action's params)
  std::vector<std::string> match_keys;       // match: {...}
  std::vector<NamedKeys> actions;            // do: ACTION -> its params
  std::vector<std::string> hold_until_keys;  // hold's until: {...}

  std::vector<std::string> packets_keys;           // packets: items
  std::vector<std::string> packets_no_match_keys;  // match keys refused in packets:
  std::vector<std::string> timing_keys;            // timing: items
  std::vector<std::string> timing_event_keys;      // timing: from/to: {...}
  std::vector<std::string> requires_keys;          // requires: {...}
  std::vector<std::string> xfail_keys;             // xfail: {...}
  std::vector<std::string> matrix_keys;            // matrix: {...}
  std::vector<std::string> counter_keys;           // counters: HOST: {NAME: {value, when}}

  // The packet vocabulary (packet_fields_parser.h) and scripted hosts.
  std::vector<std::string> packet_keys;       // a PACKET map (send:, expect:, ignore: items)
  std::vector<std::string> icmp_keys;         // a PACKET's icmp: {...}
  std::vector<std::string> packet_step_keys;  // a scripted host's step: {send|expect, ...}
  std::vector<std::string> wire_step_keys;    // wire: {...}

  // Value tables.
  std::vector<std::string> tcp_classes;     // match: tcp:
  std::vector<std::string> socket_options;  // setsockopt/getsockopt opt:
  std::vector<std::string> send_flags;      // send flags:
  std::vector<std::string> recv_flags;      // recv flags:
  std::vector<std::string> poll_events;     // poll events:
  std::vector<std::string> revents;         // expect: revents:
  std::vector<std::string> tcp_states;      // state: is:
};

// All of the loader's tables.
FormatKeys LoaderFormatKeys();

// Each parser fills in its own part (defined beside its tables).
void AddCaseFormatKeys(FormatKeys* k);     // case_loader.cc
void AddStepFormatKeys(FormatKeys* k);     // step_parser.cc
void AddExpectFormatKeys(FormatKeys* k);   // expect_parser.cc
void AddObserveFormatKeys(FormatKeys* k);  // observe_parser.cc
void AddFaultFormatKeys(FormatKeys* k);    // fault_parser.cc
void AddPacketsFormatKeys(FormatKeys* k);  // packets_parser.cc
void AddTimingFormatKeys(FormatKeys* k);   // timing_parser.cc
void AddMatrixFormatKeys(FormatKeys* k);   // matrix_parser.cc
void AddPacketFormatKeys(FormatKeys* k);   // packet_fields_parser.cc, packet_step_parser.cc

}  // namespace faultline
