// The `%{ ... }%` blocks faultline runs itself: assertions on one tcp_info
// field against constants, which become a tcp_info observation of the
// socket under test. Any other Python is not run (the script is skipped,
// naming the construct; pkt_translate.cc).
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/observe.h"

namespace faultline::pkt {

// The field expectations of a block made only of statements
//   assert tcpi_F OP N[, message]       OP: == <= >= < >
//   assert N OP tcpi_F OP N[, message]  OP: <= <
// (N an integer or TCP_INFINITE_SSTHRESH; F one of snd_cwnd, snd_ssthresh,
// lost, sacked, unacked, retrans, total_retrans, retransmits, probes,
// backoff), separated by newlines or `;`. Otherwise an error whose message
// names the first statement that is not of that form.
StatusOr<std::vector<FieldExpect>> TcpInfoAssertions(const std::string& code);

}  // namespace faultline::pkt
