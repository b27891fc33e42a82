// Self-contained HTML report: inline CSS, JS and SVG only, no network fetch.
//
// Summary (counts, duration, kernel, command line), filters by status and
// tag, and per case a collapsible section with the description, the step
// table (failing row highlighted), a packet ladder and a link to the pcap.
// Summary, filters and step tables are plain HTML. Each case's packets are
// embedded as compact JSON (a <script type="application/json"> element, not
// the report.json form) and its ladder SVG is drawn by inline JS only when
// the ladder scrolls into view, so a 500-case run with 2,000 packets per case
// opens fast: nothing is drawn for cases nobody looks at.
//
// Ladder: one vertical line per host (half left, half right) and the wire in
// the middle; time runs downwards, one row per wire event (arrival or
// release) in time order, with the time since the case's first packet on the
// left. A packet is an arrow sender -> wire -> receiver labelled with flags,
// relative seq/ack and length; a dropped one ends at the wire with a cross; a
// delayed/held one has its hold drawn as a thick segment on the wire from
// arrival to release; copies are dashed, reordered/swapped ones orange; the
// <title> tooltip names the fault and action.
// A case with more than kHtmlLadderMaxPackets packets has only the first and
// the last kHtmlLadderMaxPackets / 2 embedded and drawn, with a note and a gap
// row saying how many were left out (report.json and the pcap have them all).
// So the page stays under ~100 bytes x 1,000 packets per case, and a ladder
// under ~2,000 rows.
#pragma once

#include <cstddef>
#include <string>

#include "harness/common/status.h"
#include "harness/model/result.h"

namespace faultline {

inline constexpr size_t kHtmlLadderMaxPackets = 1000;

// The whole page. pcap links are as given in CaseResult::pcap_path.
std::string HtmlReport(const RunResult& r);

// Writes the page to `path`; pcap links are made relative to the directory
// of `path` when both are paths on the same tree. kSystem on failure.
Status WriteHtml(const RunResult& r, const std::string& path);

}  // namespace faultline
