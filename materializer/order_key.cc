#include "materializer/order_key.h"

#include <algorithm>
#include <cstddef>

#include "core/assert.h"
#include "core/hex.h"

namespace treesim {
namespace {

// Digits are 0x0000 .. 0xFFFF. One past the largest digit serves as the exclusive upper bound of
// a digit when the right bound no longer constrains the key.
constexpr std::int32_t kDigitLimit = 0x10000;

// A new digit lands at most this many digits away from the side it is placed near. Smaller
// values let more one-sided inserts (append, insert at front) share one digit position before
// keys must grow; larger values make it less likely that concurrent inserts at one place draw
// the same key. With 32, a one-sided pattern fills one digit position in 65534 / 32 >= 2047
// inserts at worst and in about 3970 on average.
constexpr std::int32_t kPickSpread = 32;

std::size_t digit_count(std::string_view key) { return key.size() / 2; }

std::int32_t digit_at(std::string_view key, std::size_t index) {
  TS_ASSERT(index < digit_count(key));
  const auto high = static_cast<unsigned char>(key[2 * index]);
  const auto low = static_cast<unsigned char>(key[2 * index + 1]);
  return (std::int32_t{high} << 8) | std::int32_t{low};
}

void append_digit(std::string& key, std::int32_t digit) {
  TS_ASSERT(digit >= 0);
  TS_ASSERT(digit < kDigitLimit);
  key.push_back(static_cast<char>(digit >> 8));
  key.push_back(static_cast<char>(digit & 0xFF));
}

// 64-bit FNV-1a over the seed followed by the depth as 8 bytes big-endian. Hashing the depth in
// gives each digit position its own independent-looking choice.
std::uint64_t hash_seed_and_depth(std::string_view seed, std::size_t depth) {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t hash = kOffsetBasis;
  auto mix = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= kPrime;
  };
  for (char c : seed) mix(static_cast<unsigned char>(c));
  const auto depth64 = static_cast<std::uint64_t>(depth);
  for (int shift = 56; shift >= 0; shift -= 8) mix(static_cast<unsigned char>(depth64 >> shift));
  return hash;
}

// True iff right is left followed by zero or more 0x0000 digits: the inputs for which no valid
// key exists between the two (the header explains why).
bool is_left_followed_by_zero_digits(std::string_view left, std::string_view right) {
  if (!right.starts_with(left)) return false;
  const std::string_view rest = right.substr(left.size());
  return std::all_of(rest.begin(), rest.end(), [](char c) { return c == '\0'; });
}

enum class Side { kNearLeft, kNearRight };

// Picks a digit in [first, last] (non-empty) within kPickSpread of the given side.
std::int32_t pick_digit(std::int32_t first, std::int32_t last, Side side, std::uint64_t hash) {
  TS_ASSERT(1 <= first);
  TS_ASSERT(first <= last);
  TS_ASSERT(last < kDigitLimit);
  // Bit 0 of the hash may have chosen the side; the offset uses the bits above it.
  const std::int32_t reach = std::min(last - first + 1, kPickSpread);
  const auto offset = static_cast<std::int32_t>((hash >> 1) % static_cast<std::uint64_t>(reach));
  return side == Side::kNearLeft ? first + offset : last - offset;
}

// The walk behind allocate_between(). The inputs are in its domain: left is the empty string if
// it was absent, both have even length, left < right, and right is not left followed by zero
// digits.
//
// The key is built one digit at a time. While the digits so far equal left's first digits, left
// still constrains the next digit (left_tight); likewise for right (right_tight). At each depth
// the next digit must lie in (low, high): low is left's digit if left is tight and has one
// (otherwise -1: once the key is longer than left or already above it, any digit keeps it above
// left), high is right's digit if right is tight (otherwise kDigitLimit). A digit in that open
// interval other than 0x0000 ends the key. When there is none, the walk appends the one digit that
// keeps the key inside the bounds and descends:
//   - low == high: both bounds share this digit; copy it, both stay tight.
//   - high == low + 1 (adjacent digits, or low == 0xFFFF with right unconstrained): copy left's
//     digit. The key is now below right for good, so the walk continues with left's remainder
//     against an unbounded right.
//   - low == -1 and high is 0 or 1: append 0x0000, the only digit below high. With high == 0 right
//     stays tight; this is how a key gets below a right bound that starts with zero digits.
// Every descent either consumes a digit of a tight bound or leaves no bound tight (after which
// the next depth has room), so the key has at most max(digits(left), digits(right)) + 1 digits.
std::string walk_digits(std::string_view left, std::optional<std::string_view> right,
                        std::string_view seed) {
  std::string key;
  bool left_tight = !left.empty();
  bool right_tight = right.has_value();
  for (std::size_t depth = 0;; ++depth) {
    // Right can only run out while tight if the key equals right, which the domain excludes.
    TS_ASSERT(!right_tight || depth < digit_count(*right));
    const std::int32_t low =
        left_tight && depth < digit_count(left) ? digit_at(left, depth) : std::int32_t{-1};
    const std::int32_t high = right_tight ? digit_at(*right, depth) : kDigitLimit;
    TS_ASSERT(low <= high);

    const std::int32_t first = std::max(low + 1, std::int32_t{1});
    const std::int32_t last = high - 1;
    if (first <= last) {
      const std::uint64_t hash = hash_seed_and_depth(seed, depth);
      // Stay near the bound that the next insert in the same direction will use, and leave the
      // room on the other side: right after left (appending) or right before right (inserting at
      // the front, or below a right bound the walk just dropped beneath via a 0x0000 digit).
      // Between two real neighbours, or with no bounds at all, either side is as good, and the
      // hash spreads concurrent inserts over both.
      Side side = (hash & 1) == 0 ? Side::kNearLeft : Side::kNearRight;
      if (left_tight && !right_tight) {
        side = Side::kNearLeft;
      } else if (!left_tight && right.has_value()) {
        side = Side::kNearRight;
      }
      append_digit(key, pick_digit(first, last, side, hash));
      return key;
    }

    // No digit at this depth can end the key: append the one that keeps it inside the bounds.
    const std::int32_t digit = low >= 0 ? low : 0;
    TS_ASSERT(digit == high || digit + 1 == high);
    append_digit(key, digit);
    left_tight = left_tight && digit == low;
    right_tight = right_tight && digit == high;
  }
}

}  // namespace

std::string order_key_seed(const ReplicaId& replica, std::uint64_t counter) {
  TS_ASSERT(replica.is_valid());
  TS_ASSERT(counter >= 1);
  TS_ASSERT(counter < (std::uint64_t{1} << 63));
  std::string seed = replica.bytes();
  for (int shift = 56; shift >= 0; shift -= 8) {
    seed.push_back(static_cast<char>((counter >> shift) & 0xFF));
  }
  return seed;
}

Result<std::string> allocate_between(std::optional<std::string_view> left,
                                     std::optional<std::string_view> right, std::string_view seed) {
  auto describe = [&left, &right] {
    return "allocate_between(left=" + key_to_hex(left) + ", right=" + key_to_hex(right) + ")";
  };
  if ((left && left->size() % 2 != 0) || (right && right->size() % 2 != 0)) {
    return Status::invalid_argument(describe() +
                                    ": a bound has odd length; keys are 16-bit digits");
  }
  if (left && right && *left >= *right) {
    return Status::invalid_argument(describe() + ": left is not below right");
  }
  // An absent left and an empty left are the same bound: every allocated key is above both.
  const std::string_view lower = left.value_or(std::string_view());
  if (right && is_left_followed_by_zero_digits(lower, *right)) {
    return Status::invalid_argument(describe() +
                                    ": no key exists between them; right is left followed only "
                                    "by 0000 digits and a key may not end in a 0000 digit");
  }

  std::string key = walk_digits(lower, right, seed);
  TS_ASSERT(is_valid_allocated_key(key));
  TS_ASSERT(std::string_view(key) > lower);
  TS_ASSERT(!right || std::string_view(key) < *right);
  TS_ASSERT(digit_count(key) <=
            std::max(digit_count(lower), right ? digit_count(*right) : std::size_t{0}) + 1);
  return key;
}

bool is_valid_allocated_key(std::string_view key) {
  if (key.empty() || key.size() % 2 != 0) return false;
  return digit_at(key, digit_count(key) - 1) != 0;
}

std::string key_to_hex(std::optional<std::string_view> key) {
  if (!key) return "(absent)";
  if (key->empty()) return "(empty)";
  return to_hex(*key);
}

}  // namespace treesim
