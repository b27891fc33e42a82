// Self-contained HTML report: inline CSS, JS and SVG only, no network fetch.
//
// Summary (counts, duration, kernel, command line), filters by status and
// tag, and per case a collapsible section with the description, the step
// table (failing row highlighted), a packet ladder and a link to the pcap.
// Summary, filters and step tables are plain HTML. Each case's packets are
// embedded as compact JSON (a <script type="application/json"> element, not
// the report.json form) and its ladder SVG is drawn by inline JS only when
// the ladder scrolls into view, so a 500-case run with 2,000 packets per case
// opens fast: nothing is drawn for cases nobody looks at (but the ladders of
// the first three open -- failing -- cases are drawn at load). A ladder is
// drawn in windows: its rows are laid out whole (the SVG has its full
// height), but only the rows and arrows from a viewport above the scroll
// position to two below it are in the DOM, repainted as the ladder
// scrolls. The page is written a case at a time (WriteHtml). When every
// script has run, <body> carries data-ready="1" (the browser test checks it).
//
// Ladder: one vertical line per host (half left, half right) and the wire in
// the middle, host names in a header that stays visible while scrolling;
// time runs downwards, one row per event in time order, with the time since
// the case start on the left (the step table's "at" column uses the same
// origin). Events: a packet's arrival at and release from the wire, a step
// starting (a dot and the call on its host's line; red if it failed), and a
// socket state change (CaseResult::states: a state pill on the host's line).
// A packet is an arrow sender -> wire -> receiver labelled with flags,
// relative seq/ack and length; a dropped one ends at the wire with a cross; a
// delayed/held one has its hold drawn as a thick segment on the wire from
// arrival to release; copies are dashed, reordered/swapped ones orange; the
// <title> tooltip names the fault (its number and Fault::Describe() text
// from CaseResult::faults) and the action.
// Size: see kHtmlLadderMaxPackets / kHtmlPacketBudget. Left-out packets are
// replaced by a gap row saying how many (report.json and the pcap have them
// all). At ~70 bytes per embedded packet the page stays under ~20 MB.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/result.h"

namespace faultline {

// Packets embedded and drawn per case at most (first and last half when a
// case has more), and for the whole page: when the cases' packets (each
// counted up to the per-case cap) exceed kHtmlPacketBudget, failing and
// erroring cases keep kHtmlLadderMaxPackets and the others share the rest
// equally, each keeping at least kHtmlLadderMinPackets.
inline constexpr size_t kHtmlLadderMaxPackets = 2000;
inline constexpr size_t kHtmlLadderMinPackets = 200;
inline constexpr size_t kHtmlPacketBudget = 250'000;

// The per-case caps described above, one per r.cases element (even numbers).
std::vector<size_t> HtmlLadderCaps(const RunResult& r);

// The whole page. pcap links (one per host) are as given in CaseResult::pcaps.
std::string HtmlReport(const RunResult& r);

// Writes the page to `path`; pcap links are made relative to the directory
// of `path` when both are paths on the same tree. kSystem on failure.
Status WriteHtml(const RunResult& r, const std::string& path);

}  // namespace faultline
