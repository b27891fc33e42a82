// Test helper (injectors' unit tests only): TCP segments of one connection
// between the tests' client (198.18.1.2 or 2001:2:0:1::2, port 40000 unless
// given) and server (198.18.2.2 or 2001:2:0:2::2, port 8080), with sequence
// numbers relative to fixed initial ones, built by BuildSegment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/packet/packet_craft.h"

namespace faultline {

inline constexpr uint32_t kCisn = 1000, kSisn = 5000;

struct TestSegmentOptions {
  bool v6 = false;
  uint16_t client_port = 40000;
  std::vector<TcpOption> options;
};

// REQUIRES: nothing; `rel_ack` is used only with kTcpAck in `flags`.
inline std::vector<uint8_t> TestSegment(bool from_client, uint8_t flags, uint32_t rel_seq,
                                        uint32_t rel_ack, const std::string& payload = "",
                                        const TestSegmentOptions& o = {}) {
  IpAddr client, server;
  IpAddr::Parse(o.v6 ? "2001:2:0:1::2" : "198.18.1.2", &client);
  IpAddr::Parse(o.v6 ? "2001:2:0:2::2" : "198.18.2.2", &server);
  SegmentSpec s;
  s.src = from_client ? client : server;
  s.dst = from_client ? server : client;
  s.sport = from_client ? o.client_port : 8080;
  s.dport = from_client ? 8080 : o.client_port;
  s.seq = (from_client ? kCisn : kSisn) + rel_seq;
  s.ack = (flags & kTcpAck) ? (from_client ? kSisn : kCisn) + rel_ack : 0;
  s.flags = flags;
  s.options = o.options;
  s.payload = payload;
  return BuildSegment(s);
}

}  // namespace faultline
