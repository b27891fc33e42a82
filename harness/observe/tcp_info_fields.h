// The fields of struct tcp_info (the kernel's uapi layout, linux/tcp.h) by
// packetdrill's names (tcpi_*), read off the bytes the kernel returned
// (INET_DIAG_INFO, the same bytes getsockopt(TCP_INFO) gives). A kernel
// returns as much of the struct as it knows: a field past the end is not
// there (older kernel), newer fields past our table are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline {

struct TcpInfoValue {
  std::string name;  // "tcpi_state", "tcpi_snd_wscale", ...
  uint64_t value = 0;
};

// Every field of the table that lies within `raw`, in struct order.
std::vector<TcpInfoValue> TcpInfoFields(std::string_view raw);

// Every field name of the table, in struct order.
const std::vector<std::string>& TcpInfoFieldNames();

// The names packetdrill's Python prelude defines besides the fields: TCP
// states (TCP_ESTABLISHED ...), TCP_CA_* and TCPI_OPT_* values.
const std::vector<std::pair<std::string, int64_t>>& TcpInfoConstants();

}  // namespace faultline
