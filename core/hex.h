// Lower-case hexadecimal text for byte strings, used by every human-readable form (JSON op
// logs, snapshots, diffs, reports).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace treesim {

std::string to_hex(std::string_view bytes);

// Decodes an even number of hex digits (either case). Returns nullopt on an odd length or a
// character that is not a hex digit.
std::optional<std::string> from_hex(std::string_view text);

}  // namespace treesim
