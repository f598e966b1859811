// LyingReplica: the real materializer behind the SystemUnderTest interface, telling one
// specific lie. Tests plug it in to prove that the checker meant for that lie fires (and that a
// failure it causes records and replays faithfully).
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/simulation.h"
#include "tests/sim/forwarding_system.h"

namespace treesim {

enum class Lie {
  kWrongSnapshot,
  kHidesAffected,
  kForgetsAfterRestart,
  kNeverAnswersSync,
  kHeadMovesOnFailure,
  // Takes byzantine input silently: an append the materializer rejects as an equivocation or
  // as invalid returns ok, without appending anything.
  kAcceptsForgery,
  // Its read API lists ROOT's visible children in reverse order (snapshots stay true).
  kReversesChildren
};

// The real materializer, with one lie told through the SystemUnderTest interface.
class LyingReplica final : public ForwardingSystem {
 public:
  LyingReplica(const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed, Lie lie)
      : ForwardingSystem(id, config, seed), lie_(lie) {}

  Status open() override {
    restarted_ = opened_once_;
    opened_once_ = true;
    return inner().open();
  }
  Result<AppendResult> append(const std::vector<Op>& batch) override {
    auto result = inner().append(batch);
    if (result.is_ok() && lie_ == Lie::kHidesAffected) result->affected.clear();
    if (!result.is_ok() && lie_ == Lie::kAcceptsForgery &&
        (result.status().code() == StatusCode::kEquivocation ||
         result.status().code() == StatusCode::kInvalidArgument)) {
      AppendResult accepted;
      accepted.head = inner().head();
      return accepted;
    }
    if (!result.is_ok()) failed_once_ = true;
    return result;
  }
  Snapshot materialized_snapshot() override {
    Snapshot snapshot = inner().materialized_snapshot();
    if (lie_ == Lie::kWrongSnapshot && snapshot.rows.size() > 3) {
      snapshot.rows[3].order_key += "\x01";
    }
    return snapshot;
  }
  Head head() override {
    Head head = inner().head();
    if (lie_ == Lie::kHeadMovesOnFailure && failed_once_) head.seq += 1;
    return head;
  }
  VersionVector version_vector() override {
    VersionVector vv = inner().version_vector();
    if (lie_ == Lie::kForgetsAfterRestart && restarted_ && !vv.entries.empty()) {
      vv.entries.erase(vv.entries.begin());
    }
    return vv;
  }
  Result<QueryAnswers> query(NodeId node) override {
    auto answers = inner().query(node);
    if (answers.is_ok() && lie_ == Lie::kReversesChildren && node == kRoot) {
      std::reverse(answers->children.begin(), answers->children.end());
    }
    return answers;
  }
  Result<std::vector<Op>> ops_missing_from(const VersionVector& known) override {
    if (lie_ == Lie::kNeverAnswersSync) return std::vector<Op>{};
    return inner().ops_missing_from(known);
  }

 private:
  Lie lie_;
  bool opened_once_ = false;
  bool restarted_ = false;
  bool failed_once_ = false;
};

// A factory of replicas that all tell `lie`.
inline SystemFactory lying_factory(Lie lie) {
  return [lie](const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed) {
    return std::make_unique<LyingReplica>(id, config, seed, lie);
  };
}

}  // namespace treesim
