// codec_fuzz: arbitrary bytes into every decoder of untrusted input. Each must reject what it
// cannot read with a Status (never a crash, a leak or undefined behaviour), and whatever it
// accepts must survive re-encoding: decoding the encoding gives the same value, and encoding
// that value again gives the same encoding.
//
// The first byte of an input picks the decoder (its letter below; any other byte picks one by
// its value), and the rest is that decoder's input:
//   b  binary op batch      core/binary_codec.h     decode_batch / encode_batch
//   l  JSON-lines op log    core/jsonl_codec.h      decode_op_log / encode_op_log
//   o  one JSON op          core/jsonl_codec.h      op_from_json and unvalidated_op_from_json
//   n  snapshot             core/snapshot_json.h    snapshot_from_json / snapshot_to_json
//   s  scenario file        sim/scenario.h          scenario_from_json_text / ..._to_json_text
//   p  options              sim/options.h           Options::from_json / to_json
//   v  JSON values          core/json_values.h      to_vv, to_key, to_node, to_bytes, to_replica
//   r  SQLite row blob      materializer/row_codec.h (what the store reads back from disk)
//   i  ids and hex          core/node_id.h, core/replica_id.h, core/hex.h, seeds as text
//                           (node and replica ids as hex and as bytes)
// The JSON decoders also promise that every error message is one line of printable ASCII
// (core/json_values.h, core/jsonl_codec.h); that is checked too, because a message is copied
// into traces, terminals and JSON reports.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/binary_codec.h"
#include "core/hex.h"
#include "core/json_values.h"
#include "core/jsonl_codec.h"
#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/snapshot_json.h"
#include "fuzz/fuzz_target.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"
#include "materializer/row_codec.h"
#include "model/model.h"
#include "sim/file_io.h"
#include "sim/options.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace treesim::fuzz {
namespace {

constexpr std::string_view kTarget = "codec_fuzz";

// Row blobs do not hold their key (the table's key columns do); the decoder is handed one.
constexpr NodeId kRowNode = NodeId::from_low(7);
const OpKey& undo_key() {
  static const OpKey key{5, ReplicaId::of("a"), 3};
  return key;
}

// What one decoder made of the input, for describe_input().
struct Outcome {
  bool accepted = false;
  std::string detail;  // what was decoded, or the error
};

Outcome rejected(const Status& status) { return {false, status.to_string()}; }

std::string show(const std::string& encoding) {
  return "encoding: " + json::printable(encoding, 4096);
}
std::string show(const nlohmann::json& encoding) {
  return "encoding: " +
         encoding.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 4096);
}

[[noreturn]] void round_trip_failed(std::string_view decoder, const std::string& problem,
                                    const std::string& shown) {
  fail(kTarget, std::string(decoder) + ": " + problem + "\n" + shown);
}

// The round-trip property for a value `decoded` that `decode` accepted: `decode(encode(v))` must
// accept and give `v` back, and `encode` must give the same encoding again for it.
template <typename T, typename Encode, typename Decode>
void check_round_trip(std::string_view decoder, const T& decoded, Encode encode, Decode decode) {
  const auto encoding = encode(decoded);
  auto again = decode(encoding);
  if (!again.is_ok()) {
    round_trip_failed(
        decoder, "the encoding of an accepted value does not decode: " + again.status().to_string(),
        show(encoding));
  }
  if (!(*again == decoded)) {
    round_trip_failed(decoder, "decoding the encoding of an accepted value gives another value",
                      show(encoding));
  }
  if (!(encode(*again) == encoding)) {
    round_trip_failed(decoder, "encoding is not stable: the value re-encodes differently",
                      show(encoding));
  }
}

// The JSON decoders' promise about their messages.
void check_printable_message(std::string_view decoder, const Status& status) {
  for (const char c : status.message()) {
    if (c < 0x20 || c > 0x7e) {
      fail(kTarget, std::string(decoder) +
                        ": an error message is not one line of printable ASCII: " +
                        json::printable(status.message(), 400));
    }
  }
}

void check_ops_valid(std::string_view decoder, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    if (Status status = validate_op(op); !status.is_ok()) {
      fail(kTarget, std::string(decoder) +
                        ": accepted an op that validate_op() rejects: " + status.to_string());
    }
  }
}

// ---- Byte decoders --------------------------------------------------------------------------

Outcome binary_batch(std::string_view bytes) {
  auto ops = decode_batch(bytes);
  if (!ops.is_ok()) return rejected(ops.status());
  check_ops_valid("binary batch", *ops);
  check_round_trip("binary batch", *ops, encode_batch,
                   [](const std::string& encoding) { return decode_batch(encoding); });
  return {true, std::to_string(ops->size()) + " ops"};
}

Outcome op_log(std::string_view bytes) {
  auto ops = decode_op_log(bytes);
  if (!ops.is_ok()) {
    check_printable_message("op log", ops.status());
    return rejected(ops.status());
  }
  check_ops_valid("op log", *ops);
  check_round_trip("op log", *ops, encode_op_log,
                   [](const std::string& encoding) { return decode_op_log(encoding); });
  return {true, std::to_string(ops->size()) + " ops"};
}

Outcome scenario(std::string_view bytes) {
  auto decoded = scenario_from_json_text(bytes);
  if (!decoded.is_ok()) return rejected(decoded.status());
  check_round_trip("scenario", *decoded, scenario_to_json_text,
                   [](const std::string& text) { return scenario_from_json_text(text); });
  return {true, std::to_string(decoded->events ? decoded->events->size() : 0) + " events"};
}

// Each row decoder in turn; a blob has one tag, so at most one accepts.
Outcome row_blobs(std::string_view bytes) {
  if (auto node = decode_node_row(kRowNode, bytes); node.is_ok()) {
    check_round_trip("node row", *node, encode_node_row,
                     [](const std::string& blob) { return decode_node_row(kRowNode, blob); });
    return {true, "node row"};
  }
  if (auto payload = decode_payload_row(kRowNode, bytes); payload.is_ok()) {
    check_round_trip("payload row", *payload, encode_payload_row,
                     [](const std::string& blob) { return decode_payload_row(kRowNode, blob); });
    return {true, "payload row"};
  }
  if (auto undo = decode_undo_record(undo_key(), bytes); undo.is_ok()) {
    check_round_trip("undo record", *undo, encode_undo_record,
                     [](const std::string& blob) { return decode_undo_record(undo_key(), blob); });
    return {true, "undo record"};
  }
  auto meta = decode_store_meta(bytes);
  if (!meta.is_ok()) {
    return {false, "no row decoder accepts it; store meta: " + meta.status().to_string()};
  }
  check_round_trip("store meta", *meta, encode_store_meta,
                   [](const std::string& blob) { return decode_store_meta(blob); });
  return {true, "store meta"};
}

// The small decoders every format builds on, applied to the whole input.
Outcome ids(std::string_view bytes) {
  std::string accepted;
  if (auto node = NodeId::from_hex(bytes)) {
    check_round_trip(
        "node id hex", *node, [](NodeId id) { return id.to_hex(); },
        [](const std::string& text) {
          auto again = NodeId::from_hex(text);
          return again ? Result<NodeId>(*again) : Status::corruption("rejected");
        });
    accepted += " node-id-hex";
  }
  if (auto node = NodeId::from_bytes(bytes)) {
    check_round_trip(
        "node id bytes", *node, [](NodeId id) { return id.to_bytes(); },
        [](const std::string& raw) {
          auto again = NodeId::from_bytes(raw);
          return again ? Result<NodeId>(*again) : Status::corruption("rejected");
        });
    accepted += " node-id-bytes";
  }
  if (auto replica = ReplicaId::from_hex(bytes)) {
    check_round_trip(
        "replica id hex", *replica, [](const ReplicaId& id) { return id.to_hex(); },
        [](const std::string& text) {
          auto again = ReplicaId::from_hex(text);
          return again ? Result<ReplicaId>(*again) : Status::corruption("rejected");
        });
    accepted += " replica-id-hex";
  }
  if (auto replica = ReplicaId::from_bytes(bytes)) {
    check_round_trip(
        "replica id bytes", *replica, [](const ReplicaId& id) { return id.bytes(); },
        [](const std::string& raw) {
          auto again = ReplicaId::from_bytes(raw);
          return again ? Result<ReplicaId>(*again) : Status::corruption("rejected");
        });
    accepted += " replica-id-bytes";
  }
  if (auto raw = from_hex(bytes)) {
    check_round_trip(
        "hex", *raw, [](const std::string& value) { return to_hex(value); },
        [](const std::string& text) {
          auto again = from_hex(text);
          return again ? Result<std::string>(*again) : Status::corruption("rejected");
        });
    accepted += " hex";
  }
  if (auto seed = seed_from_text(bytes); seed.is_ok()) {
    check_round_trip("seed text", *seed, seed_to_display,
                     [](const std::string& text) { return seed_from_text(text); });
    accepted += " seed";
  }
  if (accepted.empty()) return {false, "none"};
  return {true, accepted.substr(1)};
}

// ---- Decoders of a parsed JSON value --------------------------------------------------------

Outcome json_op(const nlohmann::json& value) {
  auto op = op_from_json(value);
  if (!op.is_ok()) {
    check_printable_message("op", op.status());
    return rejected(op.status());
  }
  check_ops_valid("op", {*op});
  check_round_trip("op", *op, op_to_json,
                   [](const nlohmann::json& json) { return op_from_json(json); });
  // The one-line form of an op log must read back through the text parser as well.
  check_round_trip("op line", *op, encode_op_json_line, [](const std::string& line) {
    auto parsed = json::parse(line, "op");
    return parsed.is_ok() ? op_from_json(*parsed) : Result<Op>(parsed.status());
  });
  return {true, op->to_display()};
}

Outcome json_unvalidated_op(const nlohmann::json& value) {
  auto op = unvalidated_op_from_json(value);
  if (!op.is_ok()) {
    check_printable_message("unvalidated op", op.status());
    return rejected(op.status());
  }
  check_round_trip(
      "unvalidated op", *op, encode_unvalidated_op_json_line, [](const std::string& line) {
        auto parsed = json::parse(line, "op");
        return parsed.is_ok() ? unvalidated_op_from_json(*parsed) : Result<Op>(parsed.status());
      });
  return {true, op->to_display()};
}

Outcome json_snapshot(const nlohmann::json& value) {
  auto snapshot = snapshot_from_json(value);
  if (!snapshot.is_ok()) {
    check_printable_message("snapshot", snapshot.status());
    return rejected(snapshot.status());
  }
  if (!snapshot->is_canonical()) fail(kTarget, "snapshot: accepted rows that are not canonical");
  check_round_trip("snapshot", *snapshot, snapshot_to_json,
                   [](const nlohmann::json& json) { return snapshot_from_json(json); });
  return {true, std::to_string(snapshot->rows.size()) + " rows"};
}

Outcome json_options(const nlohmann::json& value) {
  auto options = Options::from_json(value);
  if (!options.is_ok()) return rejected(options.status());
  check_round_trip(
      "options", *options, [](const Options& o) { return o.to_json(); },
      [](const nlohmann::json& json) { return Options::from_json(json); });
  return {true, options->to_display()};
}

// The shared value readers on the whole value (each format reaches them through a field).
Outcome json_values(const nlohmann::json& value) {
  std::string accepted;
  if (auto vv = json::to_vv(value, "vv"); vv.is_ok()) {
    if (!vv->is_normalized()) fail(kTarget, "version vector: accepted and not normalized");
    check_round_trip("version vector", *vv, json::from_vv<nlohmann::json>,
                     [](const nlohmann::json& json) { return json::to_vv(json, "vv"); });
    accepted += " version-vector";
  } else {
    check_printable_message("version vector", vv.status());
  }
  if (auto key = json::to_key(value, "key"); key.is_ok()) {
    check_round_trip("op key", *key, json::from_key<nlohmann::json>,
                     [](const nlohmann::json& json) { return json::to_key(json, "key"); });
    accepted += " op-key";
  } else {
    check_printable_message("op key", key.status());
  }
  if (auto node = json::to_node(value, "node"); node.is_ok()) {
    check_round_trip("node", *node, json::from_node<nlohmann::json>,
                     [](const nlohmann::json& json) { return json::to_node(json, "node"); });
    accepted += " node";
  } else {
    check_printable_message("node", node.status());
  }
  if (auto bytes = json::to_bytes(value, "bytes"); bytes.is_ok()) {
    check_round_trip(
        "bytes", *bytes,
        [](const std::string& raw) { return json::from_bytes<nlohmann::json>(raw); },
        [](const nlohmann::json& json) { return json::to_bytes(json, "bytes"); });
    accepted += " bytes";
  } else {
    check_printable_message("bytes", bytes.status());
  }
  if (auto replica = json::to_replica(value, "replica"); replica.is_ok()) {
    check_round_trip(
        "replica", *replica, [](const ReplicaId& id) { return nlohmann::json(id.to_hex()); },
        [](const nlohmann::json& json) { return json::to_replica(json, "replica"); });
    accepted += " replica";
  } else {
    check_printable_message("replica", replica.status());
  }
  if (accepted.empty()) return {false, "none"};
  return {true, accepted.substr(1)};
}

// A JSON decoder's input is text: the value reaches it through json::parse(), as in every
// reader of the project, so duplicate keys and syntax errors are part of what is fuzzed.
template <typename Check>
Outcome parsed(std::string_view text, std::string_view noun, Check check) {
  auto value = json::parse(text, noun);
  if (!value.is_ok()) {
    check_printable_message(noun, value.status());
    return rejected(value.status());
  }
  return check(*value);
}

Outcome one_op(std::string_view text) {
  return parsed(text, "op", [](const nlohmann::json& value) {
    Outcome validated = json_op(value);
    Outcome unvalidated = json_unvalidated_op(value);
    return Outcome{validated.accepted || unvalidated.accepted,
                   "validated: " + validated.detail + "; unvalidated: " + unvalidated.detail};
  });
}
Outcome snapshot(std::string_view text) { return parsed(text, "snapshot", json_snapshot); }
Outcome options(std::string_view text) { return parsed(text, "options", json_options); }
Outcome values(std::string_view text) { return parsed(text, "value", json_values); }

// The first byte of an input chooses the decoder that reads the rest: a decoder's letter, or
// any other byte modulo the number of decoders, so that every input means something. One
// decoder per run keeps a run short and its coverage specific; mutating the first byte hands
// the same bytes to another decoder, so formats still cross.
struct Decoder {
  char letter;
  const char* name;
  Outcome (*run)(std::string_view bytes);
};

constexpr Decoder kDecoders[] = {
    {'b', "binary batch", binary_batch}, {'l', "op log", op_log},      {'o', "op", one_op},
    {'n', "snapshot", snapshot},         {'s', "scenario", scenario},  {'p', "options", options},
    {'v', "json values", values},        {'r', "row blob", row_blobs}, {'i', "ids", ids},
};

const Decoder& decoder_for(std::uint8_t selector) {
  for (const Decoder& decoder : kDecoders) {
    if (static_cast<std::uint8_t>(decoder.letter) == selector) return decoder;
  }
  return kDecoders[selector % std::size(kDecoders)];
}

const Decoder& decoder_named(char letter) {
  const Decoder& decoder = decoder_for(static_cast<std::uint8_t>(letter));
  TS_ASSERT(decoder.letter == letter);
  return decoder;
}

// The decoder the input selects, and what it made of the rest.
std::pair<const Decoder*, Outcome> run_input(std::string_view input) {
  if (input.empty()) return {nullptr, {false, "empty input: no decoder selected"}};
  const Decoder& decoder = decoder_for(static_cast<std::uint8_t>(input.front()));
  return {&decoder, decoder.run(input.substr(1))};
}

// ---- Seeds ----------------------------------------------------------------------------------

// Collects seed files, skipping a blob already written (many rows of the examples are equal).
class SeedWriter {
 public:
  explicit SeedWriter(std::string directory) : directory_(std::move(directory)) {}

  // Writes `contents` as the input of the decoder with letter `letter`.
  Status add(const std::string& name, char letter, const std::string& contents) {
    const std::string input = decoder_named(letter).letter + contents;
    if (!contents_.insert(input).second) return Status::ok();
    TS_RETURN_IF_ERROR(write_file(directory_ + "/" + name, input));
    ++count_;
    return Status::ok();
  }
  std::size_t count() const { return count_; }

 private:
  std::string directory_;
  std::set<std::string> contents_;
  std::size_t count_ = 0;
};

// Materializes `ops` one at a time (so that undo records exist) on a memory store and writes
// one blob of every row kind for each combination of flags the example produces (the flag
// byte follows the tag and version), so the row seeds cover placeholders, tombstones, deleted_at,
// payloads and pending metadata without repeating themselves.
Status write_row_seeds(SeedWriter& writer, const std::vector<Op>& ops,
                       std::set<std::string>& flag_kinds) {
  MemoryStore store;
  TS_ASSIGN_OR_RETURN(auto materializer, Materializer::open(store, ReplicaId::of("z")));
  for (const Op& op : ops) TS_RETURN_IF_ERROR(materializer->append({op}).status());
  auto add = [&](const char* kind, const std::string& blob) -> Status {
    TS_ASSERT(blob.size() >= 3);
    const std::string name = std::string("row-") + kind + "-flags-" + to_hex(blob.substr(2, 1));
    if (!flag_kinds.insert(name).second) return Status::ok();
    return writer.add(name, 'r', blob);
  };
  Status status;
  TS_RETURN_IF_ERROR(store.scan_nodes([&](const NodeRow& row) {
    if (status.is_ok()) status = add("node", encode_node_row(row));
  }));
  TS_RETURN_IF_ERROR(status);
  TS_RETURN_IF_ERROR(store.scan_payloads([&](const PayloadRow& row) {
    if (status.is_ok()) status = add("payload", encode_payload_row(row));
  }));
  TS_RETURN_IF_ERROR(status);
  TS_RETURN_IF_ERROR(store.scan_undo_reverse(OpKey{}, [&](const UndoRecord& record) {
    if (status.is_ok()) status = add("undo", encode_undo_record(record));
    return true;
  }));
  TS_RETURN_IF_ERROR(status);
  TS_ASSIGN_OR_RETURN(StoreMeta meta, store.read_meta());
  TS_RETURN_IF_ERROR(add("meta", encode_store_meta(meta)));
  // A frontier and an undo floor, which a store at rest after in-order appends never has.
  meta.frontier = meta.head.key ? Frontier::at(*meta.head.key) : Frontier::start();
  meta.undo_floor = meta.head.key;
  return add("meta", encode_store_meta(meta));
}

// Options with every field away from its default and every store, strategy and crash policy
// among the replicas, so the options seed reaches every reader. Spelled out rather than drawn by
// Options::swarm(), so that the seed does not change when the swarm profiles do.
Options every_option_set() {
  Options options;
  options.replica_count = 3;
  options.op_mix = OpMix{.insert = 40,
                         .move = 20,
                         .remove = 9,
                         .payload = 12,
                         .move_to_trash = 4,
                         .move_into_subtree = 3,
                         .remove_around_deleted = 2,
                         .edit_inside_deleted = 1};
  options.safety_ticks = 60;
  options.liveness_ticks_max = 500;
  options.edit_per_mille = 300;
  options.delay_ticks_min = 2;
  options.delay_ticks_max = 9;
  options.reorder_ticks_max = 4;
  options.duplicate_per_mille = 30;
  options.drop_per_mille = 20;
  options.anti_entropy_per_mille = 70;
  options.partition_per_mille = 5;
  options.partition_ticks_max = 25;
  options.crash_per_mille = 3;
  options.storage_fault_per_mille = 6;
  options.fault_point_per_mille = 7;
  options.forge_per_mille = 8;
  options.catch_up_fault_per_mille = 400;
  options.check_every = 2;
  options.replicas = {
      {.store = StoreKind::kMemory, .strategy = CatchUpStrategy::kRebuild, .deferred = true},
      {.store = StoreKind::kSqlite,
       .strategy = CatchUpStrategy::kPrefixReplay,
       .undo_retention = 4,
       .crash_policy = CrashPolicy::kKeepAll},
      {.store = StoreKind::kSqlite,
       .strategy = CatchUpStrategy::kRewind,
       .crash_policy = CrashPolicy::kTearAll},
  };
  TS_ASSERT(options.normalize().is_ok());
  return options;
}

// A scenario with an event of every kind and the options above, so the scenario seed reaches
// every event and option reader.
Scenario every_event_scenario(const std::vector<Op>& ops) {
  TS_ASSERT(!ops.empty());
  Scenario scenario;
  scenario.comment = "codec_fuzz seed: one event of every kind";
  scenario.seed = 0x2a;
  scenario.options = every_option_set();
  Op forged = ops.front();
  forged.lamport = 0;
  LocalEdit edit;
  edit.kind = LocalEdit::Kind::kInsert;
  edit.node = NodeId::from_low(9);
  edit.parent = kRoot;
  edit.payload = "hi";
  LocalEdit move;
  move.kind = LocalEdit::Kind::kMove;
  move.node = NodeId::from_low(9);
  move.parent = kTrash;
  move.placement = Placement::after(NodeId::from_low(3));
  scenario.events = std::vector<Event>{
      {.kind = Event::Kind::kLocal, .tick = 0, .replica = 1, .edit = edit},
      {.kind = Event::Kind::kLocal, .tick = 0, .replica = 1, .edit = move, .read_through = true},
      {.kind = Event::Kind::kDeliver, .tick = 1, .replica = 0, .ops = ops, .read_through = true},
      {.kind = Event::Kind::kSync,
       .tick = 2,
       .replica = 0,
       .peer = 2,
       .known = VersionVector::from_ranges({{ReplicaId::of("a"), {1, 3}}})},
      {.kind = Event::Kind::kPartition, .tick = 3, .side = {1, 2}, .until = 9},
      {.kind = Event::Kind::kHeal, .tick = 9},
      {.kind = Event::Kind::kCrash, .tick = 10, .replica = 2},
      {.kind = Event::Kind::kRestart, .tick = 11, .replica = 2},
      {.kind = Event::Kind::kArmStorageFault, .tick = 12, .replica = 1, .countdown = 7},
      {.kind = Event::Kind::kArmFaultPoint, .tick = 12, .replica = 0, .countdown = 2},
      {.kind = Event::Kind::kForge, .tick = 13, .replica = 0, .ops = {forged}},
      {.kind = Event::Kind::kLiveness, .tick = 14},
      {.kind = Event::Kind::kEnd, .tick = 20},
  };
  return scenario;
}

// The worked examples of SEMANTICS.md §9 that corpus/examples/ has no op log for, as op logs
// with a comment line like the others. Node ids follow the examples' files (X 3, A 4, B 5,
// P 6, C 7, then C1 9, C2 10, G 11, Q 12); replicas are the letters' bytes.
std::vector<std::pair<std::string, std::string>> built_examples() {
  const ReplicaId a = ReplicaId::of("a");
  const ReplicaId b = ReplicaId::of("b");
  const ReplicaId s = ReplicaId::of("s");
  const ReplicaId p = ReplicaId::of("p");
  const std::string key("\x80\x00", 2);
  auto node = [](std::uint64_t low) { return NodeId::from_low(low); };
  auto vv = [](std::vector<std::pair<ReplicaId, CounterRange>> ranges) {
    return VersionVector::from_ranges(ranges);
  };
  auto log = [](const std::string& comment, const std::vector<Op>& ops) {
    return "# " + comment + "\n" + encode_op_log(ops);
  };
  return {
      {"example03_lamport_order_beats_counter_order",
       log("Worked example 3: a5@4 sorts before a4@5, so X ends under A.",
           {make_insert({a, 1}, 1, kRoot, node(4), key),
            make_insert({a, 2}, 2, kRoot, node(5), key),
            make_insert({a, 3}, 3, kRoot, node(3), key),
            make_move({a, 4}, 5, node(3), node(4), key),
            make_move({a, 5}, 4, node(3), node(5), key)})},
      {"example09_gap_aware_delete",
       log("Worked example 9: the delete saw b2 but not b1, so P is visible once b1 is there.",
           {make_insert({a, 1}, 1, kRoot, node(6), key),
            make_insert({b, 1}, 2, node(6), node(9), key),
            make_insert({b, 2}, 3, node(6), node(10), key),
            make_delete({a, 2}, 4, node(6), vv({{a, {1, 1}}, {b, {2, 2}}}))})},
      {"example10_late_payload_loses",
       log("Worked example 10: the late p1 loses to p2 and adds nothing: P stays tombstoned.",
           {make_insert({s, 1}, 1, kRoot, node(6), key), make_payload({p, 1}, 2, node(6), "old"),
            make_payload({p, 2}, 3, node(6), "cur"),
            make_delete({a, 1}, 4, node(6), vv({{s, {1, 1}}, {p, {2, 2}}}))})},
      {"example12_grandchild_move_keeps_ancestor",
       log("Worked example 12: B moves G to Q while A deletes P: the move's dot lands on C, P "
           "stays.",
           {make_insert({a, 1}, 1, kRoot, node(6), key),
            make_insert({a, 2}, 2, node(6), node(7), key),
            make_insert({a, 3}, 3, node(7), node(11), key),
            make_insert({a, 4}, 4, kRoot, node(12), key),
            make_move({b, 1}, 5, node(11), node(12), key),
            make_delete({a, 5}, 5, node(6), vv({{a, {1, 4}}}))})},
  };
}

}  // namespace

// Every op log in `sources` (corpus/examples/*.jsonl) and the worked examples built above give
// the op log itself, its binary batch, the model's snapshot of it and the row blobs a store
// holds after materializing it. Single ops, values, ids, options and a scenario with every event
// kind complete the set. Each file starts with its decoder's letter.
Result<std::size_t> write_seeds(const std::string& directory,
                                const std::vector<std::string>& sources) {
  std::vector<std::pair<std::string, std::string>> logs;
  for (const std::string& source : sources) {
    TS_ASSIGN_OR_RETURN(std::string text, read_file(source));
    logs.emplace_back(std::filesystem::path(source).stem().string(), std::move(text));
  }
  for (auto& built : built_examples()) logs.push_back(std::move(built));
  SeedWriter writer(directory);
  std::set<std::string> flag_kinds;
  std::vector<Op> all_ops;
  for (const auto& [stem, text] : logs) {
    auto ops = decode_op_log(text);
    if (!ops.is_ok()) return ops.status().with_context(stem);
    TS_RETURN_IF_ERROR(writer.add(stem + ".jsonl", 'l', text));
    TS_RETURN_IF_ERROR(writer.add(stem + ".tsob", 'b', encode_batch(*ops)));
    model::Model model;
    TS_RETURN_IF_ERROR(model.add_all(*ops));
    TS_RETURN_IF_ERROR(
        writer.add(stem + ".snapshot.json", 'n', snapshot_to_json(model.snapshot()).dump(2)));
    TS_RETURN_IF_ERROR(write_row_seeds(writer, *ops, flag_kinds));
    all_ops.insert(all_ops.end(), ops->begin(), ops->end());
  }
  // One op of each kind as a single JSON value (the examples have no tombstone op: one is made).
  all_ops.push_back(make_tombstone({ReplicaId::of("a"), 9}, 9, NodeId::from_low(6),
                                   VersionVector::from_ranges({{ReplicaId::of("b"), {1, 2}}})));
  std::set<OpKind> kinds_written;
  for (const Op& op : all_ops) {
    if (!kinds_written.insert(op.kind).second) continue;
    TS_RETURN_IF_ERROR(writer.add(std::string("op-") + op_kind_name(op.kind) + ".json", 'o',
                                  encode_op_json_line(op)));
  }
  // A forged op that only the unvalidated reader accepts.
  Op forged = all_ops.front();
  forged.lamport = 0;
  TS_RETURN_IF_ERROR(
      writer.add("op-forged-lamport-zero.json", 'o', encode_unvalidated_op_json_line(forged)));
  const VersionVector known = VersionVector::from_ranges(
      {{ReplicaId::of("a"), {1, 3}}, {ReplicaId::of("a"), {5, 5}}, {ReplicaId::of("b"), {2, 2}}});
  TS_RETURN_IF_ERROR(writer.add("value-version-vector.json", 'v', json::from_vv(known).dump()));
  TS_RETURN_IF_ERROR(
      writer.add("value-op-key.json", 'v', json::from_key(all_ops.front().key()).dump()));
  TS_RETURN_IF_ERROR(writer.add("id-node.hex", 'i', NodeId::from_low(7).to_hex()));
  TS_RETURN_IF_ERROR(writer.add("id-replica.hex", 'i', ReplicaId::of("ab").to_hex()));
  TS_RETURN_IF_ERROR(writer.add("id-seed.txt", 'i', seed_to_display(0x2a)));
  if (all_ops.size() < 3) return Status::internal("too few ops for the scenario seed");
  const Scenario scenario =
      every_event_scenario(std::vector<Op>(all_ops.begin(), all_ops.begin() + 3));
  TS_RETURN_IF_ERROR(writer.add("scenario-every-event.json", 's', scenario_to_json_text(scenario)));
  TS_RETURN_IF_ERROR(
      writer.add("options-every-field.json", 'p', scenario.options.to_json().dump(2)));
  return writer.count();
}

std::string describe_input(std::string_view bytes) {
  const auto [decoder, outcome] = run_input(bytes);
  return std::string(decoder ? decoder->name : "none") + ": " +
         (outcome.accepted ? "accepted, " : "rejected, ") + outcome.detail + "\n";
}

}  // namespace treesim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  treesim::fuzz::run_input(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
