#include "harness/packet/tcp_options.h"

#include <utility>

#include <fmt/format.h>

#include "harness/packet/byte_order.h"

namespace faultline {
namespace {

void Put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

const char* KindName(uint8_t kind) {
  switch (kind) {
    case kTcpOptMss: return "mss";
    case kTcpOptWindowScale: return "wscale";
    case kTcpOptSackPermitted: return "sackOK";
    case kTcpOptSack: return "sack";
    case kTcpOptTimestamp: return "TS";
    case kTcpOptFastOpen: return "tfo";
    default: return "option";
  }
}

// Whether `len` (the option's length byte) is right for its kind.
bool LengthFits(uint8_t kind, size_t len) {
  switch (kind) {
    case kTcpOptMss: return len == 4;
    case kTcpOptWindowScale: return len == 3;
    case kTcpOptSackPermitted: return len == 2;
    case kTcpOptSack: return len >= 10 && (len - 2) % 8 == 0;
    case kTcpOptTimestamp: return len == 10;
    default: return len >= 2;
  }
}

// Decodes one option of a known-good length; `p` points at its kind byte.
TcpOption Decode(const uint8_t* p, size_t len) {
  TcpOption o;
  o.kind = p[0];
  switch (o.kind) {
    case kTcpOptMss: o.mss = Be16(p + 2); break;
    case kTcpOptWindowScale: o.wscale = p[2]; break;
    case kTcpOptSackPermitted: break;
    case kTcpOptSack:
      for (size_t i = 2; i + 8 <= len; i += 8) o.sack.push_back({Be32(p + i), Be32(p + i + 4)});
      break;
    case kTcpOptTimestamp:
      o.ts_val = Be32(p + 2);
      o.ts_ecr = Be32(p + 6);
      break;
    default: o.data.assign(p + 2, p + len); break;
  }
  return o;
}

std::string Hex(const std::vector<uint8_t>& d) {
  std::string s;
  for (uint8_t b : d) s += fmt::format("{:02x}", b);
  return s;
}

}  // namespace

TcpOption TcpOption::Mss(uint16_t v) {
  TcpOption o = Of(kTcpOptMss);
  o.mss = v;
  return o;
}
TcpOption TcpOption::WindowScale(uint8_t v) {
  TcpOption o = Of(kTcpOptWindowScale);
  o.wscale = v;
  return o;
}
TcpOption TcpOption::Sack(std::vector<SackBlock> blocks) {
  TcpOption o = Of(kTcpOptSack);
  o.sack = std::move(blocks);
  return o;
}
TcpOption TcpOption::Timestamp(uint32_t val, uint32_t ecr) {
  TcpOption o = Of(kTcpOptTimestamp);
  o.ts_val = val;
  o.ts_ecr = ecr;
  return o;
}
TcpOption TcpOption::FastOpen(std::vector<uint8_t> cookie) {
  TcpOption o = Of(kTcpOptFastOpen);
  o.data = std::move(cookie);
  return o;
}
TcpOption TcpOption::Unknown(uint8_t kind, std::vector<uint8_t> bytes) {
  TcpOption o = Of(kind);
  o.data = std::move(bytes);
  return o;
}

size_t TcpOption::WireSize() const {
  switch (kind) {
    case kTcpOptEol:
    case kTcpOptNop: return 1;
    case kTcpOptMss: return 4;
    case kTcpOptWindowScale: return 3;
    case kTcpOptSackPermitted: return 2;
    case kTcpOptSack: return 2 + 8 * sack.size();
    case kTcpOptTimestamp: return 10;
    default: return 2 + data.size();
  }
}

std::string TcpOption::ToString() const {
  switch (kind) {
    case kTcpOptEol: return "eol";
    case kTcpOptNop: return "nop";
    case kTcpOptMss: return fmt::format("mss {}", mss);
    case kTcpOptWindowScale: return fmt::format("wscale {}", wscale);
    case kTcpOptSackPermitted: return "sackOK";
    case kTcpOptSack: {
      std::string s = fmt::format("sack {} ", sack.size());
      for (const SackBlock& b : sack) s += fmt::format("{{{}:{}}}", b.left, b.right);
      return s;
    }
    case kTcpOptTimestamp: return fmt::format("TS val {} ecr {}", ts_val, ts_ecr);
    case kTcpOptFastOpen: return data.empty() ? "tfo cookiereq" : "tfo cookie " + Hex(data);
    default:
      return data.empty() ? fmt::format("opt-{}", kind) : fmt::format("opt-{} {}", kind, Hex(data));
  }
}

TcpOptionList ParseTcpOptions(std::span<const uint8_t> b) {
  TcpOptionList out;
  size_t i = 0;
  while (i < b.size()) {
    const uint8_t kind = b[i];
    if (kind == kTcpOptEol) {
      out.options.push_back(TcpOption::Eol());
      break;  // the rest is padding
    }
    if (kind == kTcpOptNop) {
      out.options.push_back(TcpOption::Nop());
      ++i;
      continue;
    }
    if (i + 1 >= b.size()) {
      out.error = fmt::format("TCP option {} at offset {}: no length byte", kind, i);
      break;
    }
    const size_t len = b[i + 1];
    if (len < 2 || len > b.size() - i) {
      out.error = fmt::format("TCP option {} at offset {}: length {} ({} bytes left)", kind, i, len,
                              b.size() - i);
      break;
    }
    if (!LengthFits(kind, len)) {
      out.error = fmt::format("TCP option {} ({}) at offset {}: bad length {}", kind,
                              KindName(kind), i, len);
      break;
    }
    out.options.push_back(Decode(&b[i], len));
    i += len;
  }
  return out;
}

std::vector<uint8_t> SerializeTcpOptions(const std::vector<TcpOption>& options) {
  std::vector<uint8_t> out;
  for (const TcpOption& o : options) {
    out.push_back(o.kind);
    if (o.kind == kTcpOptEol || o.kind == kTcpOptNop) continue;
    out.push_back(static_cast<uint8_t>(o.WireSize()));
    switch (o.kind) {
      case kTcpOptMss:
        out.push_back(static_cast<uint8_t>(o.mss >> 8));
        out.push_back(static_cast<uint8_t>(o.mss));
        break;
      case kTcpOptWindowScale: out.push_back(o.wscale); break;
      case kTcpOptSackPermitted: break;
      case kTcpOptSack:
        for (const SackBlock& s : o.sack) {
          Put32(out, s.left);
          Put32(out, s.right);
        }
        break;
      case kTcpOptTimestamp:
        Put32(out, o.ts_val);
        Put32(out, o.ts_ecr);
        break;
      default: out.insert(out.end(), o.data.begin(), o.data.end()); break;
    }
  }
  while (out.size() % 4 != 0) out.push_back(kTcpOptEol);
  return out;
}

std::string FormatTcpOptions(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return "";
  TcpOptionList list = ParseTcpOptions(bytes);
  std::string s = "<";
  for (const TcpOption& o : list.options) {
    if (s.size() > 1) s += ',';
    s += o.ToString();
  }
  if (!list.ok()) s += s.size() > 1 ? ",[bad opt]" : "[bad opt]";
  return s + ">";
}

}  // namespace faultline
