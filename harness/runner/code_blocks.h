// packetdrill's %{ }% blocks at the end of a case: the one Python program
// that runs them all (in the lab host's peer, as a command), and what its
// end means for the case. docs/packetdrill.md, "%{ }% blocks".
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "harness/model/result.h"
#include "harness/model/source_loc.h"
#include "harness/peer/protocol.h"

namespace faultline {

// One block: its number, where it is, its code and its snapshot's values.
struct CodeBlock {
  int block = 0;  // 1-based, in script order
  SourceLoc loc;
  std::string code;
  std::vector<std::pair<std::string, uint64_t>> values;  // tcpi_* as read
};

// A Python 3 program that, for each block in order, defines every tcpi_*
// field (the snapshot's values; a field the kernel did not return is 0, as
// in packetdrill, whose buffer starts zeroed) and the prelude's constants,
// then runs the block's code; all blocks share one set of globals. On an
// exception it prints `BLOCK N (FILE:LINE): <the traceback's last line>`
// and exits 1.
std::string BlockProgram(const std::vector<CodeBlock>& blocks);

// What the program's end means. kPass; kFail with the failing block's
// location and "FILE:LINE:COL: BLOCK N (FILE:LINE): ..."; kSkip when
// python3 could not be started (not installed); kError otherwise.
struct BlockRunEnd {
  Outcome outcome = Outcome::kPass;
  SourceLoc loc;
  std::string message;
};
BlockRunEnd InterpretBlockRun(const std::vector<CodeBlock>& blocks, const std::string& host,
                              const peer::Reply& reply);

}  // namespace faultline
