#include "harness/common/cmsg.h"

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "harness/common/errno_names.h"

namespace faultline {
namespace {

constexpr int kScmTimestamping = SCM_TIMESTAMPING;

struct Named {
  const char* name;
  int64_t value;
};

constexpr Named kConstants[] = {
    {"SO_EE_ORIGIN_NONE", SO_EE_ORIGIN_NONE},
    {"SO_EE_ORIGIN_LOCAL", SO_EE_ORIGIN_LOCAL},
    {"SO_EE_ORIGIN_ICMP", SO_EE_ORIGIN_ICMP},
    {"SO_EE_ORIGIN_ICMP6", SO_EE_ORIGIN_ICMP6},
    {"SO_EE_ORIGIN_TXSTATUS", SO_EE_ORIGIN_TXSTATUS},
    {"SO_EE_ORIGIN_TIMESTAMPING", SO_EE_ORIGIN_TIMESTAMPING},
    {"SO_EE_ORIGIN_ZEROCOPY", SO_EE_ORIGIN_ZEROCOPY},
    {"SO_EE_ORIGIN_TXTIME", SO_EE_ORIGIN_TXTIME},
    {"SO_EE_CODE_ZEROCOPY_COPIED", SO_EE_CODE_ZEROCOPY_COPIED},
    {"SCM_TSTAMP_SND", SCM_TSTAMP_SND},
    {"SCM_TSTAMP_SCHED", SCM_TSTAMP_SCHED},
    {"SCM_TSTAMP_ACK", SCM_TSTAMP_ACK},
};

constexpr Named kTimestampingFlags[] = {
    {"SOF_TIMESTAMPING_TX_HARDWARE", SOF_TIMESTAMPING_TX_HARDWARE},
    {"SOF_TIMESTAMPING_TX_SOFTWARE", SOF_TIMESTAMPING_TX_SOFTWARE},
    {"SOF_TIMESTAMPING_RX_HARDWARE", SOF_TIMESTAMPING_RX_HARDWARE},
    {"SOF_TIMESTAMPING_RX_SOFTWARE", SOF_TIMESTAMPING_RX_SOFTWARE},
    {"SOF_TIMESTAMPING_SOFTWARE", SOF_TIMESTAMPING_SOFTWARE},
    {"SOF_TIMESTAMPING_SYS_HARDWARE", SOF_TIMESTAMPING_SYS_HARDWARE},
    {"SOF_TIMESTAMPING_RAW_HARDWARE", SOF_TIMESTAMPING_RAW_HARDWARE},
    {"SOF_TIMESTAMPING_OPT_ID", SOF_TIMESTAMPING_OPT_ID},
    {"SOF_TIMESTAMPING_TX_SCHED", SOF_TIMESTAMPING_TX_SCHED},
    {"SOF_TIMESTAMPING_TX_ACK", SOF_TIMESTAMPING_TX_ACK},
    {"SOF_TIMESTAMPING_OPT_CMSG", SOF_TIMESTAMPING_OPT_CMSG},
    {"SOF_TIMESTAMPING_OPT_TSONLY", SOF_TIMESTAMPING_OPT_TSONLY},
    {"SOF_TIMESTAMPING_OPT_STATS", SOF_TIMESTAMPING_OPT_STATS},
    {"SOF_TIMESTAMPING_OPT_PKTINFO", SOF_TIMESTAMPING_OPT_PKTINFO},
    {"SOF_TIMESTAMPING_OPT_TX_SWHW", SOF_TIMESTAMPING_OPT_TX_SWHW},
};

std::optional<int64_t> Lookup(const Named* table, size_t n, std::string_view name) {
  for (size_t i = 0; i < n; ++i) {
    if (name == table[i].name) return table[i].value;
  }
  return std::nullopt;
}

template <typename T>
bool Read(const RawCmsg& c, T* out) {
  if (c.data.size() < sizeof(T)) return false;
  memcpy(out, c.data.data(), sizeof(T));
  return true;
}

void DecodeRecverr(const RawCmsg& c, CmsgFields* f) {
  sock_extended_err ee{};
  if (!Read(c, &ee)) return;
  f->fields = {{"ee_errno", ee.ee_errno}, {"ee_origin", ee.ee_origin}, {"ee_type", ee.ee_type},
               {"ee_code", ee.ee_code},   {"ee_info", ee.ee_info},     {"ee_data", ee.ee_data}};
}

void DecodeTimestamping(const RawCmsg& c, CmsgFields* f) {
  timespec ts[3] = {};
  if (c.data.size() < sizeof ts) return;
  memcpy(ts, c.data.data(), sizeof ts);
  f->fields = {{"sec", ts[0].tv_sec}, {"nsec", ts[0].tv_nsec}};
}

}  // namespace

const int64_t* CmsgFields::Field(std::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string CmsgFields::ToString() const {
  if (fields.empty()) return kind;
  std::string s = kind + " {";
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& [name, value] = fields[i];
    s += fmt::format("{}{}=", i ? ", " : "", name);
    if (name == "ee_errno" && value != 0) {
      s += ErrnoName(static_cast<int>(value));
    } else {
      s += std::to_string(value);
    }
  }
  return s + "}";
}

std::vector<RawCmsg> ParseControl(const void* control, size_t len) {
  std::vector<RawCmsg> out;
  msghdr m{};
  m.msg_control = const_cast<void*>(control);
  m.msg_controllen = len;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    const size_t header = CMSG_LEN(0);
    const size_t offset = static_cast<size_t>(reinterpret_cast<const uint8_t*>(c) -
                                              static_cast<const uint8_t*>(control));
    if (c->cmsg_len < header || c->cmsg_len > len - offset) break;
    RawCmsg r;
    r.level = c->cmsg_level;
    r.type = c->cmsg_type;
    r.data.assign(CMSG_DATA(c), CMSG_DATA(c) + (c->cmsg_len - header));
    out.push_back(std::move(r));
  }
  return out;
}

CmsgFields DecodeCmsg(const RawCmsg& c) {
  CmsgFields f;
  if ((c.level == SOL_IP && c.type == IP_RECVERR) ||
      (c.level == SOL_IPV6 && c.type == IPV6_RECVERR)) {
    f.kind = "recverr";
    DecodeRecverr(c, &f);
  } else if (c.level == SOL_SOCKET && c.type == kScmTimestamping) {
    f.kind = "timestamping";
    DecodeTimestamping(c, &f);
  } else if (c.level == SOL_TCP && c.type == TCP_CM_INQ) {
    f.kind = "inq";
    int v = 0;
    if (Read(c, &v)) f.fields = {{"value", v}};
  } else {
    f.kind = fmt::format("level {} type {}", c.level, c.type);
  }
  return f;
}

const std::vector<std::string>& CmsgKinds() {
  static const std::vector<std::string> kinds = {"recverr", "timestamping", "inq"};
  return kinds;
}

const std::vector<std::string>& CmsgKindFields(std::string_view kind) {
  static const std::vector<std::string> recverr = {"ee_errno", "ee_origin", "ee_type",
                                                   "ee_code",  "ee_info",   "ee_data"};
  static const std::vector<std::string> inq = {"value"};
  static const std::vector<std::string> none;
  if (kind == "recverr") return recverr;
  if (kind == "inq") return inq;
  return none;
}

bool CmsgHolds(const CmsgFields& want, const CmsgFields& got) {
  if (want.kind != got.kind) return false;
  if (want.kind == "timestamping") {
    const int64_t* sec = got.Field("sec");
    const int64_t* nsec = got.Field("nsec");
    if (sec == nullptr || nsec == nullptr || (*sec == 0 && *nsec == 0)) return false;
  }
  return std::all_of(want.fields.begin(), want.fields.end(), [&](const auto& f) {
    const int64_t* v = got.Field(f.first);
    return v != nullptr && *v == f.second;
  });
}

std::optional<int64_t> CmsgConstant(std::string_view name) {
  if (auto v = Lookup(kConstants, std::size(kConstants), name)) return v;
  if (auto e = ErrnoFromName(name)) return *e;
  return std::nullopt;
}

std::optional<int64_t> TimestampingFlag(std::string_view name) {
  return Lookup(kTimestampingFlags, std::size(kTimestampingFlags), name);
}

const std::vector<std::string>& TimestampingFlagNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Named& n : kTimestampingFlags) v.emplace_back(n.name);
    return v;
  }();
  return names;
}

}  // namespace faultline
