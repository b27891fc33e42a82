#include "harness/capture/case_capture.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>

#include <net/if.h>

#include <fmt/format.h>

#include "harness/capture/packet_check.h"
#include "harness/common/safe_file.h"

namespace faultline {
namespace {

std::string Sanitize(const std::string& s) {
  std::string out = s;
  for (char& ch : out) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) ch = '_';
  }
  return out.empty() ? "case" : out;
}

// The quiet time that ends a capture with `packets:`: in-flight packets
// (an ACK for the last data, a FIN's ACK) land within it on a lab link.
constexpr auto kQuiet = std::chrono::milliseconds(20);
constexpr auto kMaxSettle = std::chrono::milliseconds(250);

// The socket's receive buffer: what the capture thread may fall behind by.
// It is a limit, not an allocation, but 64 labs at once should not each be
// allowed hundreds of MB: it follows the bytes the case's own steps send,
// 4 MB plus twice those bytes (each data packet is captured twice, sent and
// delivered; read whole when the case checks its capture), at most 64 MB. Traffic the steps do not
// announce (ACKs, a peer's automatic replies) is small next to that.
size_t RecvBufferBytes(const Case& c) {
  int64_t sent = 0;
  for (const Step& st : c.steps) {
    const auto* call = std::get_if<CallStep>(&st.body);
    if (call == nullptr) continue;
    switch (call->call.op) {
      case Op::kSend:
      case Op::kWrite:
      case Op::kSendto:
      case Op::kSendfile:
        sent += call->call.data ? static_cast<int64_t>(call->call.data->size()) : call->call.size;
        break;
      case Op::kRun: sent += int64_t{16} << 20; break;  // a program's traffic is not announced
      default: break;
    }
  }
  constexpr int64_t kMin = 4 << 20, kMax = 64 << 20;
  return static_cast<size_t>(std::clamp<int64_t>(kMin + 2 * sent, kMin, kMax));
}

// `packets:` or `timing:`: the case checks its capture after the last step.
bool ChecksCapture(const Case& c) { return !c.packets.empty() || !c.timing.empty(); }

}  // namespace

StatusOr<std::string> ReservePcapDir(const std::string& out_dir, const std::string& case_file,
                                     const std::string& variant) {
  namespace fs = std::filesystem;
  static std::mutex mu;
  static std::set<std::string> taken;
  fs::path dir = fs::path(out_dir) / "pcap";
  // Made (or found) without following a symbolic link at OUT, OUT/pcap or
  // the variant's directory: a pcap never lands where a link points.
  StatusOr<UniqueFd> dirfd = OpenDirNoFollow(dir.string(), true);
  if (!dirfd.ok()) return dirfd.status().Prefixed("pcap directory");
  const std::string base = Sanitize(fs::path(case_file).stem().string()) + "-" + Sanitize(variant);
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (int n = 1;; ++n) {
      name = n == 1 ? base : fmt::format("{}-{}", base, n);
      if (taken.insert((dir / name).string()).second) break;
    }
  }
  const std::string path = (dir / name).string();
  StatusOr<UniqueFd> sub = OpenSubdirNoFollow(dirfd->get(), name, path);
  if (!sub.ok()) return sub.status().Prefixed("pcap directory");
  return path;
}

namespace {

// The index of the host's own interface (its eth0) in its namespace, for the
// pcap records; 0 if it cannot be read.
uint32_t HostIfindex(const LabHost& h) {
  uint32_t idx = 0;
  (void)InNetns(h.netns.get(), [&]() -> Status {
    idx = if_nametoindex(h.ifname.c_str());
    return Status::Ok();
  });
  return idx;
}

}  // namespace

StatusOr<std::unique_ptr<Capture>> StartCaseCapture(const Case& c, const Lab& lab,
                                                    const std::string& out_dir,
                                                    CaseResult* result) {
  if (!ChecksCapture(c) && out_dir.empty()) return std::unique_ptr<Capture>();
  CaptureConfig cfg;
  cfg.netns_fd = lab.wire_netns();
  for (const LabHost& h : lab.hosts()) cfg.ifnames.push_back(h.wire_ifname);
  for (const HostSpec& h : c.hosts) {
    cfg.max_mtu = std::max(cfg.max_mtu, h.mtu);
    if (h.offloads) cfg.max_mtu = 65535;  // GSO/GRO super-packets, up to 64 KB
  }
  cfg.buffer_bytes = RecvBufferBytes(c);
  cfg.keep = ChecksCapture(c);
  cfg.file_snaplen = c.capture_full ? 0 : PcapWriter::kHeadersSnaplen;
  std::vector<CaseResult::Pcap> pcaps;
  if (!out_dir.empty()) {
    StatusOr<std::string> dir = ReservePcapDir(out_dir, c.loc.file, result->variant);
    if (!dir.ok()) return dir.status();
    for (const LabHost& h : lab.hosts()) {
      std::string path = (std::filesystem::path(*dir) / (h.name + ".pcap")).string();
      cfg.files.push_back({h.wire_ifname, path, HostIfindex(h)});
      pcaps.push_back({h.name, std::move(path)});
    }
  }
  StatusOr<std::unique_ptr<Capture>> cap = Capture::Start(cfg);
  if (!cap.ok()) return cap.status();
  result->pcaps = std::move(pcaps);
  return cap;
}

Verdict FinishCaseCapture(const Case& c, const Lab& lab, Capture& capture, int64_t start_ns,
                          CaseResult* result, const std::function<void()>& before_checks) {
  if (ChecksCapture(c)) capture.WaitQuiet(kQuiet, kMaxSettle);
  if (before_checks) before_checks();
  Status st = capture.Stop();
  result->capture_dropped = capture.dropped();
  if (!st.ok()) return Verdict::Error(st.Prefixed("capture").message());
  if (!ChecksCapture(c)) return Verdict::Pass("", "");
  const char* what = c.packets.empty() ? "`timing:`" : "`packets:`";
  if (capture.dropped() > 0) {
    return Verdict::Error(
        fmt::format("the capture lost {} packets (kernel buffer full): "
                    "{} cannot be checked",
                    capture.dropped(), what));
  }
  if (capture.not_kept() > 0) {
    return Verdict::Error(fmt::format(
        "the case crossed the wire with {} packets, more than the {} a capture keeps in memory "
        "for {} (the pcap has them all): {} cannot be checked",
        capture.packets().size() + capture.not_kept(), Capture::kMaxKeptPackets, what, what));
  }
  CaptureContext cx;
  cx.start_ns = start_ns + capture.realtime_offset_ns();
  for (const LabHost& h : lab.hosts()) {
    auto it = capture.ifindexes().find(h.wire_ifname);
    cx.hosts.push_back(
        {h.name, it == capture.ifindexes().end() ? 0u : it->second, h.addr4, h.addr6});
  }
  result->packet_checks = CheckPackets(c.packets, capture.packets(), cx);
  for (PacketCheckRecord& r :
       CheckTiming(c.timing, capture.packets(), cx,
                   {result->steps, result->transitions, start_ns, result->transitions_lost})) {
    result->packet_checks.push_back(std::move(r));
  }
  for (const PacketCheckRecord& r : result->packet_checks) {
    if (!r.ok) return Verdict::Fail("", "", PacketCheckMessage(r));
  }
  return Verdict::Pass("", "");
}

}  // namespace faultline
