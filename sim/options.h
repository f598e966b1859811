// Options of one simulation run: sizes, workload mix, network behaviour and fault rates.
//
// Every fault defaults to off (TigerBeetle's rule): a default run is a calm network with a
// little anti-entropy. Options::swarm() draws a random profile per seed (swarm testing: some
// faults off, others high), which finds bugs that an average of everything hides. Rates are
// integer chances per thousand per tick, so they are exact and portable.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "materializer/materializer.h"
#include "sim/entropy.h"
#include "sim/sim_vfs.h"

namespace treesim {

// Where a replica keeps its document: SQLite on the simulated disk (the embedded default that
// users run in production) or the in-memory store.
enum class StoreKind : std::uint8_t { kSqlite, kMemory };

const char* store_kind_name(StoreKind kind);  // "sqlite", "memory"
std::optional<StoreKind> store_kind_from_name(std::string_view name);

const char* crash_policy_name(CrashPolicy policy);  // "random", "keep-all", "drop-all", "tear-all"
std::optional<CrashPolicy> crash_policy_from_name(std::string_view name);

struct ReplicaConfig {
  StoreKind store = StoreKind::kSqlite;
  CatchUpStrategy strategy = CatchUpStrategy::kRewind;
  bool deferred = false;
  std::uint64_t undo_retention = 1 << 16;
  // SQLite store: what a crash does to the disk's unsynced writes (sim/sim_vfs.h). Random
  // fates make "every write of a failed commit survived" rare; keep-all makes it certain.
  CrashPolicy crash_policy = CrashPolicy::kRandom;

  friend bool operator==(const ReplicaConfig&, const ReplicaConfig&) = default;
};

// Relative weights of the local edits the workload makes (0 disables a kind).
struct OpMix {
  std::uint32_t insert = 45;
  std::uint32_t move = 25;
  std::uint32_t remove = 10;
  std::uint32_t payload = 15;
  std::uint32_t move_to_trash = 5;
  // A move of a node under one of its own visible descendants: a cycle, skipped where it is
  // minted, and a cycle check at every replica it reaches, which may hold the node as a
  // detached placeholder (its insert still in flight) or the subtree in another shape. Off by
  // default; swarm profiles draw it.
  std::uint32_t move_into_subtree = 0;
  // A remove of a visible node whose stored subtree already holds a tombstoned node (a folder
  // deleted after some of its files): nested tombstones, which a concurrent edit deep inside
  // revives level by level. Off by default; swarm profiles draw it.
  std::uint32_t remove_around_deleted = 0;
  // Nested deletes revived from inside: each draw takes the next stage that the replica's
  // state allows, a remove of a visible node under a visible parent, a remove of a visible node
  // around a deleted one, then an edit of a node that a delete hides (an insert under it, a
  // payload write on it, a move of a visible node into it or of its child back out), mostly
  // under two or more tombstones. That edit is what a client does with a node handle it still
  // holds, or a user restoring into or out of a deleted folder; the local API accepts any known
  // node. Every delete is unaware of it, so the contract revives the node and every tombstoned
  // ancestor at once (SEMANTICS.md §5) without any concurrency having to line up: the levels
  // above the first revived one are where a refresh that stops early goes wrong. Off by
  // default; swarm profiles draw it.
  std::uint32_t edit_inside_deleted = 0;

  friend bool operator==(const OpMix&, const OpMix&) = default;
};

struct Options {
  std::uint32_t replica_count = 3;
  // One entry per replica; normalize() fills missing entries with defaults.
  std::vector<ReplicaConfig> replicas;
  OpMix op_mix;

  // Safety phase: faults on, this many ticks. Liveness phase: faults off, anti-entropy until
  // quiet, at most this many ticks.
  std::uint64_t safety_ticks = 300;
  std::uint64_t liveness_ticks_max = 3000;

  // Per replica per tick: chance of a local edit.
  std::uint32_t edit_per_mille = 250;
  // Network: every message takes delay_ticks_min..max, plus up to reorder_ticks_max extra.
  std::uint32_t delay_ticks_min = 1;
  std::uint32_t delay_ticks_max = 1;
  std::uint32_t reorder_ticks_max = 0;
  std::uint32_t duplicate_per_mille = 0;
  std::uint32_t drop_per_mille = 0;
  // Per tick: chance that one random pair of replicas runs an anti-entropy round.
  std::uint32_t anti_entropy_per_mille = 50;
  // Per tick: chance a partition starts (when none is active); it lasts 1..max ticks.
  std::uint32_t partition_per_mille = 0;
  std::uint32_t partition_ticks_max = 40;
  // Per replica per tick: chance of a crash (followed by a restart from durable storage).
  std::uint32_t crash_per_mille = 0;
  // Per replica per tick: chance to arm a storage fault (one of its next few store calls fails).
  std::uint32_t storage_fault_per_mille = 0;
  // Per replica per tick: chance to arm a fault point (one of its next few sites fires).
  std::uint32_t fault_point_per_mille = 0;
  // Per tick: chance that one random up replica receives byzantine input (a "forge" event): a
  // copy of an op it holds with one field changed (equivocation), or an op that breaks
  // validate_op(). It must reject either without a trace; the models never see forged ops.
  std::uint32_t forge_per_mille = 0;
  // Faults aimed at catch-ups, the most intricate path of the materializer (SEMANTICS.md §8).
  // Chance to arm a fault point (one of the replica's next few sites fires) right before a
  // delivery that makes the replica catch up (an op new to it sorts before its head), and, per
  // tick, at a replica whose materialization is pending (deferred mode). Faults cluster in real
  // systems: so a catch-up fails, is rolled back or deferred, and the catch-up that recovers from
  // it fails in turn, while frontiers stay pending across further appends.
  std::uint32_t catch_up_fault_per_mille = 0;
  // Check model agreement after every N steps (always at the end).
  std::uint32_t check_every = 1;

  // Fills `replicas` up to replica_count and checks ranges; the error names the option.
  Status normalize();

  // A random profile: 2..8 replicas, op mix with some kinds off, random network behaviour and
  // fault rates (each fault off half the time), per-replica strategy and deferred mode.
  static Options swarm(Entropy& entropy);

  nlohmann::json to_json() const;
  // Strict: unknown fields and out-of-range values are errors naming the field.
  static Result<Options> from_json(const nlohmann::json& value);

  // One line for reports and failure messages.
  std::string to_display() const;

  friend bool operator==(const Options&, const Options&) = default;
};

}  // namespace treesim
