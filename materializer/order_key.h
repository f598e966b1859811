// Order keys: the positions of siblings under one parent (SEMANTICS.md §7).
//
// A key is a byte string of 16-bit big-endian digits, so its length is even. Keys compare as
// plain unsigned byte strings: memcmp over the common length, then a proper prefix first. That
// is exactly std::string_view comparison (char_traits<char> compares as unsigned char), and it
// is also the lexicographic order of the digit sequences. Children are listed by
// (order_key, node id), so two equal keys are legal; they are merely less useful.
//
// allocate_between() is how a replica picks the key of a local insert or move. Keys that arrive
// in remote ops are opaque: they are compared, stored and used as bounds, never re-allocated, and
// they may end in 0x0000 digits even though allocate_between() never produces such a key.
//
// Domain of allocate_between(left, right, seed). An absent bound is unbounded. An absent left
// behaves exactly like an empty left: every allocated key is non-empty and so above both. The
// call returns a Status with code kInvalidArgument, whose message names both bounds in hex, and
// never a wrong key, exactly when
//   1. a present bound has an odd length; or
//   2. both bounds are present and left >= right; or
//   3. right is present and equals left (the empty string if left is absent) followed by zero or
//      more 0x0000 digits. No valid key exists then. A key above left and below right must start
//      with left, because right does; what follows left must sort below the run of zero digits,
//      so it is a shorter run of zero digits, and the key would end in a zero digit. Examples:
//      (8000, 8000 0000), (absent, 0000 0000), (absent, empty).
// On every other input it returns a key K with left < K < right and is_valid_allocated_key(K),
// and K has at most max(digits(left), digits(right)) + 1 digits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/replica_id.h"
#include "core/status.h"

namespace treesim {

// The seed of a local op's key: the replica's bytes followed by the op's counter as 8 bytes
// big-endian. Distinct op ids give distinct seeds, so concurrent inserts at the same place by
// different replicas (or successive inserts by one) draw different digits.
// Preconditions: replica.is_valid() and 1 <= counter < 2^63 (a valid op id, SEMANTICS.md §1).
std::string order_key_seed(const ReplicaId& replica, std::uint64_t counter);

// Returns a key strictly between left and right (absent = unbounded), a pure function of its
// three arguments; or an error on the inputs listed in the file comment. Any seed is accepted.
//
// Where the walk over the digits of the bounds finds room, the new digit lands within a few
// digits of one side; which side, and how far from it, comes from an FNV-1a hash of the seed and
// the depth. Staying near the side of the bound that will be the next insert's bound keeps keys
// short when a user appends at the end or inserts at the front many times, and the hash spreads
// concurrent inserts at the same place over different keys.
Result<std::string> allocate_between(std::optional<std::string_view> left,
                                     std::optional<std::string_view> right, std::string_view seed);

// True iff the key could have come from allocate_between(): non-empty, of even length and with
// a last digit other than 0x0000.
bool is_valid_allocated_key(std::string_view key);

// Lower-case hex of a key's bytes for messages, "(absent)" for an absent bound and "(empty)" for
// the empty key, so that the three are never confused in an error.
std::string key_to_hex(std::optional<std::string_view> key);

}  // namespace treesim
