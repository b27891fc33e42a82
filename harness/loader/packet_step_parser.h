// Packet steps of scripted hosts (`- peer: {send: PACKET, ...}`) and
// `wire:` steps (crafted packets into live connections): docs/cases.md,
// "Scripted hosts" and "Crafted packets in live connections".
//
// Internal to the loader; step_parser.cc calls it for every step on a
// scripted host and for every `wire:` step.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

// The keys of a packet step's map and of a `wire:` step's map.
const std::vector<std::string>& PacketStepKeys();
const std::vector<std::string>& WireStepKeys();

// Whether `host` is a scripted host of the case.
bool IsScripted(const CaseContext& cx, const std::string& host);

class PacketStepParser {
 public:
  explicit PacketStepParser(const CaseContext& cx) : cx_(cx) {}
  // `he` is the step's host entry (a scripted host); `labels` the labels of
  // the earlier steps (label -> step index); `index` this step's index.
  StatusOr<PacketStep> ParsePacket(const Entry& he, int index,
                                   const std::map<std::string, int>& labels, const Scope& s);
  // `we` is the step's `wire` entry.
  StatusOr<WireSendStep> ParseWire(const Entry& we, const Scope& s);

 private:
  Status ReadOpening(const std::vector<Entry>& m, const Entry& he, int index, const Scope& s,
                     PacketStep* p);
  Status ReadTiming(const std::vector<Entry>& m, const std::map<std::string, int>& labels,
                    const Scope& s, PacketStep* p);
  StatusOr<std::string> RealHost(const Entry& e, const Scope& s, const std::string& role);

  const CaseContext& cx_;
  std::map<std::string, int> open_;  // "host/conn" -> the step that opened it
};

}  // namespace faultline
