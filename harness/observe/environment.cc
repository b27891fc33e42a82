#include "harness/observe/environment.h"

#include <sys/utsname.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "harness/lab/lab.h"
#include "harness/lab/sysctl.h"

namespace faultline {
namespace {

std::vector<long> VersionParts(const std::string& v) {
  std::vector<long> parts;
  size_t i = 0;
  while (parts.size() < 3 && i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
    long x = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
      x = x * 10 + (v[i] - '0');
      if (x > 1'000'000) x = 1'000'000;
      ++i;
    }
    parts.push_back(x);
    if (i < v.size() && v[i] == '.')
      ++i;
    else
      break;
  }
  parts.resize(3, 0);
  return parts;
}

std::string Split(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

std::string RunningKernel() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return u.release;
}

int CompareKernelVersions(const std::string& a, const std::string& b) {
  std::vector<long> x = VersionParts(a), y = VersionParts(b);
  for (size_t i = 0; i < 3; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

const std::vector<std::string>& InterestingSysctls() {
  static const std::vector<std::string> keys = {
      "net.core.somaxconn",
      "net.ipv4.tcp_congestion_control",
      "net.ipv4.tcp_syn_retries",
      "net.ipv4.tcp_synack_retries",
      "net.ipv4.tcp_syncookies",
      "net.ipv4.tcp_max_syn_backlog",
      "net.ipv4.tcp_abort_on_overflow",
      "net.ipv4.tcp_fin_timeout",
      "net.ipv4.tcp_retries2",
      "net.ipv4.tcp_orphan_retries",
      "net.ipv4.tcp_tw_reuse",
      "net.ipv4.tcp_timestamps",
      "net.ipv4.tcp_sack",
      "net.ipv4.tcp_window_scaling",
      "net.ipv4.tcp_ecn",
      "net.ipv4.tcp_early_retrans",
      "net.ipv4.tcp_recovery",
      "net.ipv4.tcp_keepalive_time",
      "net.ipv4.tcp_rmem",
      "net.ipv4.tcp_wmem",
      "net.ipv4.ip_local_port_range",
  };
  return keys;
}

StatusOr<std::vector<std::pair<std::string, std::string>>> ReadNetnsSysctls(
    int netns_fd, const std::vector<std::string>& keys) {
  std::vector<std::pair<std::string, std::string>> out;
  Status st = InNetns(netns_fd, [&]() -> Status {
    for (const std::string& k : keys) {
      StatusOr<std::string> v = ReadSysctl(k);
      if (!v.ok()) continue;
      std::string t = *v;
      std::replace(t.begin(), t.end(), '\t', ' ');
      out.emplace_back(k, t);
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

std::string AvailableCongestion() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_congestion_control");
  std::string line;
  std::getline(in, line);
  return line;
}

std::optional<std::string> UnmetRequirement(
    const Requirements& req, const std::string& kernel, const std::string& congestion_available,
    const std::function<bool(const std::string&)>& sysctl_exists) {
  if (!req.unsupported.empty()) return req.unsupported;
  std::string why = req.reason.empty() ? "" : ": " + req.reason;
  if (!req.kernel.empty() && CompareKernelVersions(kernel, req.kernel) < 0) {
    return fmt::format("requires kernel >= {} (running {}){}", req.kernel, kernel, why);
  }
  std::vector<std::string> missing;
  for (const std::string& k : req.sysctls) {
    if (!sysctl_exists(k)) missing.push_back(k);
  }
  if (!missing.empty()) {
    return fmt::format("requires sysctl {} (missing on kernel {}){}", Split(missing), kernel, why);
  }
  std::istringstream in(congestion_available);
  std::vector<std::string> have;
  std::string w;
  while (in >> w) have.push_back(w);
  for (const std::string& c : req.congestion) {
    if (std::find(have.begin(), have.end(), c) == have.end()) missing.push_back(c);
  }
  if (!missing.empty()) {
    return fmt::format("requires congestion control {} (available: {}){}", Split(missing),
                       congestion_available.empty() ? "none" : congestion_available, why);
  }
  return std::nullopt;
}

bool ExpectedFailureApplies(const ExpectedFailure& x, const std::string& kernel) {
  return x.kernel_below.empty() || CompareKernelVersions(kernel, x.kernel_below) < 0;
}

}  // namespace faultline
