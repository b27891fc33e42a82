// A synthetic bulk-transfer case result with realistic records, for the
// reports' tests and bench/report_bench (header-only, tests and benches).
#pragma once

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "harness/model/result.h"

namespace faultline::testing {

// One case (outcome `outcome`) of a bulk TCP transfer: `packets` records
// (data segments client -> server with timestamps, an ACK back for every
// second one; every 997th dropped by fault 1 and every 1009th delayed by
// fault 2), a handful of steps, one of them a recv with `recv_data` bytes of
// received text, and the socket states of the connection.
inline CaseResult BulkCase(size_t packets, Outcome outcome, size_t recv_data = 65536) {
  CaseResult c;
  c.name = "bulk";
  c.variant = "ipv4";
  c.file = "cases/perf/bulk.yaml";
  c.description = "100 MiB client -> server, offloads off";
  c.tags = {"tcp", "perf"};
  c.outcome = outcome;
  c.start_unix_ms = 1'790'000'000'123;
  c.duration_ns = 3'000'000'000;
  c.seed = 7;
  c.start_mono_ns = 1'000'000;
  c.pcaps = {{"client", "out/pcap/bulk-ipv4/client.pcap"},
             {"server", "out/pcap/bulk-ipv4/server.pcap"}};
  c.faults = {"drop client->any tcp every 997", "delay 5ms client->any tcp every 1009"};
  const char* descs[] = {"server: listen 8080", "client: connect c to server:8080",
                         "server: accept ls as s", "client: send c 104857600 bytes",
                         "server: recv s 65536"};
  for (int i = 0; i < 5; ++i) {
    StepRecord s;
    s.step_index = i + 1;
    s.loc = {c.file, 5 + i, 5};
    s.description = descs[i];
    s.host = s.description.substr(0, s.description.find(':'));
    s.ran = s.finished = true;
    s.start_offset_ns = i * 1'000'000;
    s.took_ns = 120'000;
    s.actual = "ret 0, took 120us";
    c.steps.push_back(s);
  }
  StepRecord& recv = c.steps.back();
  recv.ret = recv.bytes = static_cast<int64_t>(recv_data);
  recv.actual = fmt::format("ret {}, took 120us", recv_data);
  for (size_t i = 0; i < recv_data; ++i) recv.data += static_cast<char>('a' + i % 26);
  if (outcome == Outcome::kFail) {
    recv.ok = false;
    recv.expected = "ret 65536, took <= 100us";
    recv.failure = "expected took <= 100us vs actual took 120us";
    c.message_loc = recv.loc;
    c.message = "cases/perf/bulk.yaml:9:5: step 5 (server: recv s 65536): " + recv.failure;
  }
  const uint8_t ts_opts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  uint32_t sent = 0;
  for (size_t n = 1; n <= packets; ++n) {
    PacketRecord p;
    const bool data = n % 3 != 0;
    p.seq_no = n;
    p.arrival_ns = c.start_mono_ns + 5'000'000 + static_cast<int64_t>(n) * 20'000;
    p.release_ns = p.arrival_ns;
    p.from = data ? "client" : "server";
    p.to = data ? "server" : "client";
    p.proto = "tcp";
    p.flags = data && n % 7 == 0 ? "P." : ".";
    p.sport = data ? 40000 : 8080;
    p.dport = data ? 8080 : 40000;
    p.rel_seq = data ? 1 + sent : 1;
    p.rel_ack = data ? 1 : 1 + sent;
    p.seq = 1'000'000 + p.rel_seq;
    p.ack = 2'000'000 + p.rel_ack;
    p.has_rel = true;
    p.window = 501;
    std::copy(std::begin(ts_opts), std::end(ts_opts), p.tcp_options.begin());
    p.tcp_options_len = sizeof ts_opts;
    p.payload_len = data ? 1448 : 0;
    p.wire_len = 52 + p.payload_len;
    p.action = "pass";
    if (data) sent += 1448;
    if (data && n % 997 == 0) {
      p.fault = 1, p.fate = PacketFate::kDrop, p.action = "drop", p.release_ns = 0;
    } else if (data && n % 1009 == 0) {
      p.fault = 2, p.fate = PacketFate::kDelay, p.action = "delay 5ms";
      p.release_ns = p.arrival_ns + 5'000'000;
    }
    c.packets.push_back(std::move(p));
  }
  c.states = {{c.start_mono_ns + 1'000'000, "server", "ls", "LISTEN"},
              {c.start_mono_ns + 2'000'000, "client", "c", "SYN_SENT"},
              {c.start_mono_ns + 2'100'000, "client", "c", "ESTABLISHED"}};
  return c;
}

}  // namespace faultline::testing
