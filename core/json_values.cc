#include "core/json_values.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/assert.h"

namespace treesim::json {
namespace {

// "1 character", "31 characters".
std::string count_of(std::size_t count, const char* noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// The position of the first character that is not a hex digit, if any.
std::optional<std::size_t> first_non_hex(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return i;
  }
  return std::nullopt;
}

Result<CounterRange> to_range(const nlohmann::json& value, const std::string& path) {
  if (!value.is_array() || value.size() != 2) {
    return field_error(path, "expected a [first, last] pair, got " + describe(value));
  }
  CounterRange range;
  TS_ASSIGN_OR_RETURN(range.first, to_uint(value[0], path + ".first"));
  TS_ASSIGN_OR_RETURN(range.last, to_uint(value[1], path + ".last"));
  if (!is_valid_range(range)) {
    return field_error(path, "range [" + std::to_string(range.first) + ", " +
                                 std::to_string(range.last) +
                                 "] is not valid (need 1 <= first <= last < 2^63)");
  }
  return range;
}

// Rejects a key repeated within one object, which nlohmann::json would otherwise resolve by
// keeping one of the values without a word. Records the first repeat for the error message.
// Each open container keeps its own path segment only, so nesting of depth d costs O(d) memory;
// the full path is built once, for the message.
class DuplicateKeyDetector {
 public:
  explicit DuplicateKeyDetector(std::string_view top_level_noun)
      : top_level_noun_(top_level_noun) {}

  bool on_event(nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        containers_.emplace_back();
        containers_.back().is_array = event == Event::array_start;
        break;
      case Event::object_end:
      case Event::array_end:
        if (!containers_.empty()) containers_.pop_back();
        end_element();
        break;
      case Event::key: {
        TS_ASSERT(!containers_.empty());
        Container& object = containers_.back();
        object.key = parsed.get<std::string>();
        if (!object.keys.insert(object.key).second && !error_) error_ = repeated(object.key);
        break;
      }
      case Event::value:
        end_element();
        break;
    }
    return true;
  }

  const std::optional<Status>& error() const { return error_; }

 private:
  struct Container {
    bool is_array = false;
    std::set<std::string> keys;  // objects: the keys seen so far
    std::string key;             // objects: the key of the current member
    std::size_t index = 0;       // arrays: the index of the current element
  };

  void end_element() {
    if (!containers_.empty() && containers_.back().is_array) ++containers_.back().index;
  }

  Status repeated(const std::string& key) const {
    std::string path;  // of the innermost container, the object holding `key`
    for (std::size_t i = 0; i + 1 < containers_.size(); ++i) {
      const Container& outer = containers_[i];
      path = outer.is_array ? path + "[" + std::to_string(outer.index) + "]"
                            : field_path(path, outer.key);
    }
    if (path.empty()) {
      return field_error(printable(key), "appears twice in one " + std::string(top_level_noun_));
    }
    return field_error(path, "key '" + printable(key) + "' appears twice");
  }

  std::string_view top_level_noun_;
  std::vector<Container> containers_;
  std::optional<Status> error_;
};

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." becomes
// "invalid JSON at column 5: syntax error ...": the line is the caller's to name, the column is
// not.
Status syntax_error(const nlohmann::json::parse_error& error) {
  const std::string what = error.what();
  const std::size_t column = what.find("column ");
  const std::size_t detail = column == std::string::npos ? column : what.find(": ", column);
  if (detail == std::string::npos) {
    return Status::invalid_argument("invalid JSON: " + printable(what, 300));
  }
  return Status::invalid_argument("invalid JSON at " + what.substr(column, detail - column) + ": " +
                                  printable(what.substr(detail + 2), 300));
}

}  // namespace

// ---- Parsing text ---------------------------------------------------------------------------

Result<nlohmann::json> parse(std::string_view text, std::string_view top_level_noun) {
  DuplicateKeyDetector detector(top_level_noun);
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(
        text.begin(), text.end(),
        [&detector](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          return detector.on_event(event, parsed);
        });
  } catch (const nlohmann::json::parse_error& error) {
    return syntax_error(error);
  } catch (const nlohmann::json::exception& error) {
    return Status::invalid_argument("invalid JSON: " + printable(error.what(), 300));
  }
  if (detector.error()) return *detector.error();
  return value;
}

// ---- Reading values -------------------------------------------------------------------------

Result<NodeId> to_node(const nlohmann::json& value, std::string_view path) {
  if (!value.is_string()) {
    return field_error(path, "expected 32 hex digits, got " + describe(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() != 32) {
    return field_error(path, "expected 32 hex digits, got " + count_of(text.size(), "character"));
  }
  if (const auto position = first_non_hex(text)) {
    return field_error(path, "expected 32 hex digits, got a non-hex character at position " +
                                 std::to_string(*position));
  }
  std::optional<NodeId> node = NodeId::from_hex(text);
  TS_ASSERT(node.has_value());  // 32 hex digits always decode
  return *node;
}

Result<std::string> to_bytes(const nlohmann::json& value, std::string_view path) {
  if (!value.is_string()) {
    return field_error(path, "expected a hex string, got " + describe(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (const auto position = first_non_hex(text)) {
    return field_error(path, "expected hex digits, got a non-hex character at position " +
                                 std::to_string(*position));
  }
  std::optional<std::string> bytes = from_hex(text);
  if (!bytes) {
    return field_error(path,
                       "expected an even number of hex digits, got " + std::to_string(text.size()));
  }
  return *std::move(bytes);
}

Result<ReplicaId> to_replica(const nlohmann::json& value, std::string_view path) {
  if (!value.is_string()) {
    return field_error(path, "expected a hex string, got " + describe(value));
  }
  return to_replica_from_text(value.get_ref<const std::string&>(), path);
}

Result<ReplicaId> to_replica_from_text(std::string_view text, std::string_view path) {
  if (const auto position = first_non_hex(text)) {
    return field_error(path, "expected a replica id in hex, got a non-hex character at position " +
                                 std::to_string(*position));
  }
  std::optional<ReplicaId> replica = ReplicaId::from_hex(text);
  if (!replica) {
    return field_error(path, "expected 2.." + std::to_string(2 * ReplicaId::kMaxBytes) +
                                 " hex digits, an even number (1.." +
                                 std::to_string(ReplicaId::kMaxBytes) + " bytes), got " +
                                 count_of(text.size(), "character"));
  }
  return *std::move(replica);
}

Result<std::uint64_t> to_uint(const nlohmann::json& value, std::string_view path,
                              std::uint64_t minimum, std::uint64_t maximum) {
  TS_ASSERT(minimum <= maximum);
  if (!value.is_number_unsigned()) {
    return field_error(path, "expected an unsigned integer, got " + describe(value));
  }
  const auto number = value.get<std::uint64_t>();
  if (number < minimum || number > maximum) {
    return field_error(path, std::to_string(number) + " is outside [" + std::to_string(minimum) +
                                 ", " + std::to_string(maximum) + "]");
  }
  return number;
}

Result<bool> to_bool(const nlohmann::json& value, std::string_view path) {
  if (!value.is_boolean())
    return field_error(path, "expected true or false, got " + describe(value));
  return value.get<bool>();
}

Result<VersionVector> to_vv(const nlohmann::json& value, std::string_view path) {
  if (!value.is_object()) {
    return field_error(
        path,
        "expected an object mapping replica hex to [[first, last], ...], got " + describe(value));
  }
  std::vector<std::pair<ReplicaId, CounterRange>> ranges;
  for (const auto& item : value.items()) {
    const std::string entry_path = field_path(path, item.key());
    TS_ASSIGN_OR_RETURN(const ReplicaId replica, to_replica_from_text(item.key(), entry_path));
    const nlohmann::json& list = item.value();
    if (!list.is_array()) {
      return field_error(entry_path,
                         "expected an array of [first, last] pairs, got " + describe(list));
    }
    for (std::size_t index = 0; index < list.size(); ++index) {
      TS_ASSIGN_OR_RETURN(const CounterRange range,
                          to_range(list[index], entry_path + "[" + std::to_string(index) + "]"));
      ranges.emplace_back(replica, range);
    }
  }
  VersionVector vv = VersionVector::from_ranges(ranges);
  std::size_t range_count = 0;
  for (const auto& [replica, replica_ranges] : vv.entries) range_count += replica_ranges.size();
  if (range_count > kMaxKnownStateRanges) {
    return field_error(path, "more than " + std::to_string(kMaxKnownStateRanges) +
                                 " ranges after merging (got " + std::to_string(range_count) + ")");
  }
  return vv;
}

Result<OpKey> to_key(const nlohmann::json& value, std::string_view path) {
  TS_RETURN_IF_ERROR(expect_object(value, path, {"lamport", "replica", "counter"}));
  constexpr std::string_view kWhen = "in an op key";
  TS_ASSIGN_OR_RETURN(const nlohmann::json* lamport, require_field(value, path, "lamport", kWhen));
  TS_ASSIGN_OR_RETURN(const nlohmann::json* replica, require_field(value, path, "replica", kWhen));
  TS_ASSIGN_OR_RETURN(const nlohmann::json* counter, require_field(value, path, "counter", kWhen));
  OpKey key;
  TS_ASSIGN_OR_RETURN(key.lamport, to_uint(*lamport, field_path(path, "lamport"), 1, kMaxLamport));
  TS_ASSIGN_OR_RETURN(key.replica, to_replica(*replica, field_path(path, "replica")));
  TS_ASSIGN_OR_RETURN(key.counter, to_uint(*counter, field_path(path, "counter"), 1, kMaxCounter));
  return key;
}

// ---- Objects --------------------------------------------------------------------------------

Status expect_object(const nlohmann::json& object, std::string_view path,
                     std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) {
    const std::string problem = "expected a JSON object, got " + describe(object);
    return path.empty() ? Status::invalid_argument(problem) : field_error(path, problem);
  }
  for (const auto& item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) != allowed.end()) continue;
    std::string names;
    for (std::string_view name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
    return field_error(field_path(path, item.key()), "unknown field (known: " + names + ")");
  }
  return Status::ok();
}

std::string field_path(std::string_view path, std::string_view name) {
  if (path.empty()) return printable(name);
  return std::string(path) + "." + printable(name);
}

const nlohmann::json* find_field(const nlohmann::json& object, std::string_view name) {
  TS_ASSERT(object.is_object());
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

Result<const nlohmann::json*> require_field(const nlohmann::json& object, std::string_view path,
                                            std::string_view name, std::string_view when) {
  const nlohmann::json* value = find_field(object, name);
  if (value == nullptr) {
    return field_error(field_path(path, name), "required " + std::string(when) + ", but missing");
  }
  return value;
}

// ---- Messages -------------------------------------------------------------------------------

Status field_error(std::string_view path, std::string_view problem) {
  return Status::invalid_argument("field '" + std::string(path) + "': " + std::string(problem));
}

std::string describe(const nlohmann::json& value) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::number_unsigned:
      return "the unsigned integer " + value.dump();
    case Type::number_integer:
      return "the negative integer " + value.dump();
    case Type::number_float:
      return "the non-integer number " + value.dump();
    case Type::string:
      return "a string";
    case Type::null:
      return "null";
    case Type::array:
      return "an array of " + count_of(value.size(), "element");
    case Type::object:
      return "an object";
    case Type::boolean:
      return "a boolean";
    default:
      return std::string("a value of type ") + value.type_name();
  }
}

std::string printable(std::string_view text, std::size_t max_chars) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || byte == '\\') {
      out += "\\x";
      out.push_back(kDigits[byte >> 4]);
      out.push_back(kDigits[byte & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace treesim::json
