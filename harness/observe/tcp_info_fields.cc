#include "harness/observe/tcp_info_fields.h"

#include <linux/tcp.h>

#include <cstddef>
#include <cstring>

namespace faultline {
namespace {

// One field: its byte offset and size; bit fields: a shift and width
// within that byte (little-endian bit order, as gcc lays them out).
struct Field {
  const char* name;
  uint16_t offset;
  uint8_t size;
  uint8_t shift = 0, bits = 0;
};

// The uapi layout of struct tcp_info (linux/tcp.h). Checked against this
// system's header below where it has the field.
constexpr Field kFields[] = {
    {"tcpi_state", 0, 1},
    {"tcpi_ca_state", 1, 1},
    {"tcpi_retransmits", 2, 1},
    {"tcpi_probes", 3, 1},
    {"tcpi_backoff", 4, 1},
    {"tcpi_options", 5, 1},
    {"tcpi_snd_wscale", 6, 1, 0, 4},
    {"tcpi_rcv_wscale", 6, 1, 4, 4},
    {"tcpi_delivery_rate_app_limited", 7, 1, 0, 1},
    {"tcpi_fastopen_client_fail", 7, 1, 1, 2},
    {"tcpi_rto", 8, 4},
    {"tcpi_ato", 12, 4},
    {"tcpi_snd_mss", 16, 4},
    {"tcpi_rcv_mss", 20, 4},
    {"tcpi_unacked", 24, 4},
    {"tcpi_sacked", 28, 4},
    {"tcpi_lost", 32, 4},
    {"tcpi_retrans", 36, 4},
    {"tcpi_fackets", 40, 4},
    {"tcpi_last_data_sent", 44, 4},
    {"tcpi_last_ack_sent", 48, 4},
    {"tcpi_last_data_recv", 52, 4},
    {"tcpi_last_ack_recv", 56, 4},
    {"tcpi_pmtu", 60, 4},
    {"tcpi_rcv_ssthresh", 64, 4},
    {"tcpi_rtt", 68, 4},
    {"tcpi_rttvar", 72, 4},
    {"tcpi_snd_ssthresh", 76, 4},
    {"tcpi_snd_cwnd", 80, 4},
    {"tcpi_advmss", 84, 4},
    {"tcpi_reordering", 88, 4},
    {"tcpi_rcv_rtt", 92, 4},
    {"tcpi_rcv_space", 96, 4},
    {"tcpi_total_retrans", 100, 4},
    {"tcpi_pacing_rate", 104, 8},
    {"tcpi_max_pacing_rate", 112, 8},
    {"tcpi_bytes_acked", 120, 8},
    {"tcpi_bytes_received", 128, 8},
    {"tcpi_segs_out", 136, 4},
    {"tcpi_segs_in", 140, 4},
    {"tcpi_notsent_bytes", 144, 4},
    {"tcpi_min_rtt", 148, 4},
    {"tcpi_data_segs_in", 152, 4},
    {"tcpi_data_segs_out", 156, 4},
    {"tcpi_delivery_rate", 160, 8},
    {"tcpi_busy_time", 168, 8},
    {"tcpi_rwnd_limited", 176, 8},
    {"tcpi_sndbuf_limited", 184, 8},
    {"tcpi_delivered", 192, 4},
    {"tcpi_delivered_ce", 196, 4},
    {"tcpi_bytes_sent", 200, 8},
    {"tcpi_bytes_retrans", 208, 8},
    {"tcpi_dsack_dups", 216, 4},
    {"tcpi_reord_seen", 220, 4},
    {"tcpi_rcv_ooopack", 224, 4},
    {"tcpi_snd_wnd", 228, 4},
    {"tcpi_rcv_wnd", 232, 4},
    {"tcpi_rehash", 236, 4},
    {"tcpi_total_rto", 240, 2},
    {"tcpi_total_rto_recoveries", 242, 2},
    {"tcpi_total_rto_time", 244, 4},
};

static_assert(offsetof(tcp_info, tcpi_options) == 5);
static_assert(offsetof(tcp_info, tcpi_rto) == 8);
static_assert(offsetof(tcp_info, tcpi_advmss) == 84);
static_assert(offsetof(tcp_info, tcpi_total_retrans) == 100);
static_assert(offsetof(tcp_info, tcpi_pacing_rate) == 104);
static_assert(offsetof(tcp_info, tcpi_delivery_rate) == 160);
static_assert(offsetof(tcp_info, tcpi_rwnd_limited) == 176);
static_assert(offsetof(tcp_info, tcpi_delivered) == 192);
static_assert(offsetof(tcp_info, tcpi_bytes_sent) == 200);
static_assert(offsetof(tcp_info, tcpi_rcv_ooopack) == 224);
static_assert(offsetof(tcp_info, tcpi_snd_wnd) == 228);

uint64_t Read(std::string_view raw, const Field& f) {
  uint64_t v = 0;
  std::memcpy(&v, raw.data() + f.offset, f.size);  // little-endian host
  if (f.bits != 0) v = (v >> f.shift) & ((1U << f.bits) - 1);
  return v;
}

}  // namespace

std::vector<TcpInfoValue> TcpInfoFields(std::string_view raw) {
  std::vector<TcpInfoValue> out;
  for (const Field& f : kFields) {
    if (static_cast<size_t>(f.offset) + f.size > raw.size()) break;
    out.push_back(TcpInfoValue{f.name, Read(raw, f)});
  }
  return out;
}

const std::vector<std::string>& TcpInfoFieldNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Field& f : kFields) v.emplace_back(f.name);
    return v;
  }();
  return names;
}

const std::vector<std::pair<std::string, int64_t>>& TcpInfoConstants() {
  // Kernel values (include/net/tcp_states.h, uapi linux/tcp.h).
  static const std::vector<std::pair<std::string, int64_t>> constants = {
      {"TCP_ESTABLISHED", 1},    {"TCP_SYN_SENT", 2},        {"TCP_SYN_RECV", 3},
      {"TCP_FIN_WAIT1", 4},      {"TCP_FIN_WAIT2", 5},       {"TCP_TIME_WAIT", 6},
      {"TCP_CLOSE", 7},          {"TCP_CLOSE_WAIT", 8},      {"TCP_LAST_ACK", 9},
      {"TCP_LISTEN", 10},        {"TCP_CLOSING", 11},        {"TCP_CA_Open", 0},
      {"TCP_CA_Disorder", 1},    {"TCP_CA_CWR", 2},          {"TCP_CA_Recovery", 3},
      {"TCP_CA_Loss", 4},        {"TCPI_OPT_TIMESTAMPS", 1}, {"TCPI_OPT_SACK", 2},
      {"TCPI_OPT_WSCALE", 4},    {"TCPI_OPT_ECN", 8},        {"TCPI_OPT_ECN_SEEN", 16},
      {"TCPI_OPT_SYN_DATA", 32}, {"TCPI_OPT_USEC_TS", 64},   {"TCPI_OPT_TFO_CHILD", 128},
  };
  return constants;
}

}  // namespace faultline
