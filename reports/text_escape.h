// Making arbitrary bytes safe for the report formats.
//
// Case names, messages and received data may hold any bytes: NUL, terminal
// escapes, invalid UTF-8. XML 1.0 cannot carry most control characters at
// all (not even as &#N;), JSON needs valid UTF-8, HTML must not let data
// become markup. These helpers are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline {

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Valid UTF-8 with each byte that is not part of a well-formed sequence
// written as "\xNN". With `escape_controls`, control characters (U+0000 to
// U+001F except \t \n \r, and U+007F) and the XML non-characters U+FFFE and
// U+FFFF are written as "\xNN" / "\u{FFFE}" too. The result is always a
// legal XML 1.0 text when `escape_controls` is set.
std::string SafeText(std::string_view s, bool escape_controls);

// SafeText(s, true) with & < > " ' replaced by entities: safe in HTML text
// and in double- or single-quoted attribute values.
std::string HtmlEscape(std::string_view s);

// Standard base64 with padding, and back (nullopt on a malformed input).
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace faultline
