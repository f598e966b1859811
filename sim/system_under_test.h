// SystemUnderTest: the one narrow interface through which the simulator drives a replica's
// materializer. Everything the simulator does to a replica (open, append, local edit, catch-up,
// reads, crash, fault injection) goes through here, so another implementation (another process,
// another language) can be plugged in without touching the simulator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/snapshot.h"
#include "core/status.h"
#include "materializer/materializer.h"
#include "materializer/probes.h"

namespace treesim {

// A local edit, as the workload chooses it; the system mints the op.
struct LocalEdit {
  enum class Kind : std::uint8_t { kInsert, kMove, kRemove, kSetPayload };
  Kind kind = Kind::kInsert;
  NodeId node;
  NodeId parent;  // insert: parent; move: new parent (TRASH allowed)
  Placement placement;
  std::optional<std::string> payload;

  std::string to_display() const;

  // Placement has no `==` of its own; its sibling matters only after a sibling.
  friend bool operator==(const LocalEdit& a, const LocalEdit& b) {
    const bool same_placement =
        a.placement.kind == b.placement.kind &&
        (a.placement.kind != Placement::Kind::kAfter || a.placement.sibling == b.placement.sibling);
    return a.kind == b.kind && a.node == b.node && a.parent == b.parent && same_placement &&
           a.payload == b.payload;
  }
};

// What the queries of SEMANTICS.md §6 answer for one node.
struct QueryAnswers {
  std::vector<NodeId> children;  // visible children, in order
  std::optional<NodeId> parent;  // none, TRASH if tombstoned, or the stored parent
  std::optional<std::string> payload;

  friend bool operator==(const QueryAnswers&, const QueryAnswers&) = default;
};

// The three queries of `materializer` for `node` (what an in-process system and the reference
// adapter both answer). Each catches up a pending frontier first; the first failure is returned.
inline Result<QueryAnswers> query_materializer(Materializer& materializer, NodeId node) {
  QueryAnswers answers;
  TS_ASSIGN_OR_RETURN(answers.children, materializer.children(node));
  TS_ASSIGN_OR_RETURN(answers.parent, materializer.parent(node));
  TS_ASSIGN_OR_RETURN(answers.payload, materializer.payload(node));
  return answers;
}

class SystemUnderTest {
 public:
  virtual ~SystemUnderTest() = default;

  // (Re)opens from durable storage. After a crash this is the restart.
  virtual Status open() = 0;
  virtual bool is_open() const = 0;
  // Loses everything volatile at once, like a killed process or a power cut; open() restarts.
  virtual void crash() = 0;
  // Whether the system cannot go on without a restart (e.g. its database connection is
  // unusable after a failed rollback); the simulator then crashes and restarts it.
  virtual bool needs_restart() const { return false; }

  virtual Result<AppendResult> append(const std::vector<Op>& batch) = 0;
  virtual Result<LocalResult> local(const LocalEdit& edit) = 0;
  virtual Status ensure_materialized() = 0;

  // snapshot() catches up a pending frontier first; materialized_snapshot() never does.
  virtual Result<Snapshot> snapshot() = 0;
  virtual Snapshot materialized_snapshot() = 0;
  // derive_visible_tree(materialized_snapshot()): what the workload picks edits from, once per
  // local edit. A system with a cheaper way to list its visible tree overrides it.
  virtual VisibleTree materialized_visible_tree() {
    return derive_visible_tree(materialized_snapshot());
  }
  virtual Head head() = 0;
  virtual Frontier frontier() = 0;
  // Every op id in the log, and the stored ops `known` lacks (anti-entropy).
  virtual VersionVector version_vector() = 0;
  virtual Result<std::vector<Op>> ops_missing_from(const VersionVector& known) = 0;
  virtual std::optional<std::string> check_invariants() = 0;
  // The read API users call (children, parent, payload of one node), each catching up a
  // pending frontier first. A system without one answers false to answers_queries(), and the
  // simulator then checks its snapshot only.
  virtual bool answers_queries() const = 0;
  virtual Result<QueryAnswers> query(NodeId node) = 0;

  // Fault capabilities; each returns false if the system cannot inject that fault.
  // The n-th storage call from now fails.
  virtual bool arm_storage_fault(std::uint64_t n) = 0;
  // The n-th fault point passed from now fires.
  virtual bool arm_fault_point(std::uint64_t n) = 0;
  virtual void clear_faults() = 0;

  // Probe counts accumulated over every open of this replica.
  virtual Probes probes() const = 0;
};

}  // namespace treesim
