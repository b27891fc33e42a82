// Strictly typed reading of yaml-cpp nodes, with located error messages.
//
// Internal to the loader. yaml-cpp keeps every scalar as text; these
// helpers decide the type themselves so that a quoted "5" is a string, a
// plain 5 an integer, and a list or map where a scalar belongs is reported
// with the key's name, the expected type and what was found. None of them
// throws; all errors are kInvalidInput "FILE:LINE:COL: <prefix><text>".
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "harness/common/duration.h"
#include "harness/common/status.h"
#include "harness/model/source_loc.h"

namespace faultline {

// Where errors are reported: the file, and the prefix of every message
// ("step 3: ", "fault 1: ", "host 'server': " or "").
struct Scope {
  std::string file;
  std::string prefix;
  Status Fail(const SourceLoc& at, const std::string& text) const;
  // The location of `n`, or `fallback` when yaml-cpp has none for it
  // (constructed nodes) or it is null (yaml-cpp marks nulls unreliably).
  SourceLoc LocOf(const YAML::Node& n, const SourceLoc& fallback) const;
};

// A node with the location to report for it.
struct Val {
  YAML::Node node;
  SourceLoc loc;
};

// One key of a map, in file order.
struct Entry {
  std::string key;
  SourceLoc key_loc;
  Val val;
};

// "'text'" (escaped, shortened) for a scalar, "a list", "a map", "empty".
std::string Describe(const YAML::Node& n);
// A scalar written in quotes (or tagged !!str): always a string.
bool IsQuoted(const YAML::Node& n);
// Whether `s` is an identifier: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsIdentifier(std::string_view s);

// The entries of a map. Errors: not a map ("'KEY' must be a map, not a
// list"; `what` is the key name, or "" for "must be a map" with no name),
// a key that is not a plain scalar, a duplicate key.
StatusOr<std::vector<Entry>> ReadMap(const Val& v, const std::string& what, const Scope& s);
// Rejects keys not in `allowed`: "unknown key 'K'<in> (did you mean 'X'?)"
// where <in> is `in` (" in case", or "" ).
Status CheckKeys(const std::vector<Entry>& entries, const std::vector<std::string>& allowed,
                 const std::string& in, const Scope& s);
// The entry for `key`, or nullptr.
const Entry* FindKey(const std::vector<Entry>& entries, std::string_view key);

// The items of a list; "'KEY' must be a list, not ...".
StatusOr<std::vector<Val>> ReadList(const Val& v, const std::string& what, const Scope& s);

// Any scalar (quoted or plain) as text.
StatusOr<std::string> ReadString(const Val& v, const std::string& what, const Scope& s);
// A plain decimal integer in [lo, hi].
StatusOr<int64_t> ReadInt(const Val& v, const std::string& what, const Scope& s,
                          int64_t lo = std::numeric_limits<int64_t>::min(),
                          int64_t hi = std::numeric_limits<int64_t>::max());
// Whether the node is a plain scalar that reads as an integer.
bool LooksLikeInt(const YAML::Node& n);
// A plain true/false (also True, TRUE, False, FALSE).
StatusOr<bool> ReadBool(const Val& v, const std::string& what, const Scope& s);
// Whether the node is a plain scalar that reads as a bool.
bool LooksLikeBool(const YAML::Node& n);
// A plain finite decimal number.
StatusOr<double> ReadNumber(const Val& v, const std::string& what, const Scope& s);
// A probability or correlation: a plain number in [0, 1] or a percent
// ("10%", "0.5%", quoted or not) in [0%, 100%], as a fraction.
// "'KEY' must be a number in [0, 1] or a percent such as "10%", not X".
StatusOr<double> ReadFraction(const Val& v, const std::string& what, const Scope& s);
// A duration ("10s", "500ms"; ParseDuration).
StatusOr<Duration> ReadDuration(const Val& v, const std::string& what, const Scope& s);

// The item of a list / value of an entry with its location.
Val Child(const YAML::Node& n, const SourceLoc& fallback, const Scope& s);

}  // namespace faultline
