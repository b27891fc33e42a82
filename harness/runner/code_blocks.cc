#include "harness/runner/code_blocks.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <map>

#include "harness/common/errno_names.h"
#include "harness/observe/tcp_info_fields.h"
#include "harness/runner/expect_check.h"

namespace faultline {
namespace {

// A Python expression for `s` whatever it holds (quotes, backslashes, any
// bytes): its UTF-8 bytes in hex, decoded.
std::string PyString(const std::string& s) {
  std::string hex;
  for (unsigned char c : s) hex += fmt::format("{:02x}", c);
  return fmt::format("bytes.fromhex('{}').decode('utf-8', 'replace')", hex);
}

// packetdrill strips spaces and tabs at both ends of a block.
std::string StripBlanks(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n')) --e;
  return s.substr(b, e - b);
}

constexpr const char* kPrelude =
    "import sys\n"
    "import traceback\n"
    "_fl_globals = {'__name__': '__main__', '__builtins__': __builtins__}\n"
    "def _fl_block(n, where, file, line, names, code):\n"
    "    _fl_globals.update(names)\n"
    "    try:\n"
    "        exec(compile('\\n' * (line - 1) + code, file, 'exec'), _fl_globals)\n"
    "    except BaseException as e:\n"
    "        last = traceback.format_exception_only(type(e), e)[-1].rstrip('\\n')\n"
    "        sys.stdout.write('BLOCK %d (%s): %s\\n' % (n, where, last))\n"
    "        sys.stdout.flush()\n"
    "        sys.exit(1)\n";

}  // namespace

std::string BlockProgram(const std::vector<CodeBlock>& blocks) {
  std::string p = kPrelude;
  p += "_fl_constants = {";
  for (const auto& [name, v] : TcpInfoConstants()) p += fmt::format("'{}': {}, ", name, v);
  p += "}\n";
  for (const CodeBlock& b : blocks) {
    std::map<std::string, uint64_t> got(b.values.begin(), b.values.end());
    std::string names = "dict(_fl_constants, **{";
    for (const std::string& f : TcpInfoFieldNames()) {
      auto it = got.find(f);
      names += fmt::format("'{}': {}, ", f, it == got.end() ? 0 : it->second);
    }
    names += "})";
    const std::string where = fmt::format("{}:{}", b.loc.file, b.loc.line);
    p += fmt::format("_fl_block({}, {}, {}, {}, {}, {})\n", b.block, PyString(where),
                     PyString(b.loc.file), b.loc.line < 1 ? 1 : b.loc.line, names,
                     PyString(StripBlanks(b.code)));
  }
  return p;
}

BlockRunEnd InterpretBlockRun(const std::vector<CodeBlock>& blocks, const std::string& host,
                              const peer::Reply& reply) {
  BlockRunEnd end;
  const SourceLoc first = blocks.empty() ? SourceLoc{} : blocks.front().loc;
  if (!reply.harness_error.empty()) {
    end.outcome = Outcome::kError;
    end.loc = first;
    end.message = fmt::format("{}: %{{ }}% blocks: {}", first.ToString(), reply.harness_error);
    return end;
  }
  if (reply.pid == 0) {  // python3 could not start
    end.outcome = reply.err == ENOENT ? Outcome::kSkip : Outcome::kError;
    end.loc = first;
    end.message =
        fmt::format("{}: %{{ }}% blocks need python3, which host '{}' could not start ({}){}",
                    first.ToString(), host, ErrnoName(reply.err),
                    reply.err == ENOENT ? ": skipped (install python3 to run them)" : "");
    return end;
  }
  if (reply.exited && reply.exit_code == 0) return end;
  const std::string out(reply.out.begin(), reply.out.end());
  int n = 0;
  if (out.rfind("BLOCK ", 0) == 0 && std::sscanf(out.c_str(), "BLOCK %d", &n) == 1 && n >= 1 &&
      static_cast<size_t>(n) <= blocks.size()) {
    end.outcome = Outcome::kFail;
    end.loc = blocks[static_cast<size_t>(n - 1)].loc;
    end.message = fmt::format("{}: {}", end.loc.ToString(), out.substr(0, out.find('\n')));
    return end;
  }
  const std::string err(reply.err_out.begin(), reply.err_out.end());
  end.outcome = Outcome::kFail;
  end.loc = first;
  end.message = fmt::format("{}: %{{ }}% blocks: python3 {}{}", first.ToString(), CommandEnd(reply),
                            err.empty() ? "" : "; stderr: " + err);
  return end;
}

}  // namespace faultline
