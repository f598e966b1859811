// ReplicaTable: interns replica ids as small integers for the materializer's in-memory state.
//
// Every version vector in the materialized tree names replicas; storing the (up to 64-byte) ids
// in each of them would dominate memory. Indices are assigned in first-seen order and are
// private to one materializer instance: they never reach a snapshot, a trace or the store,
// which always see ReplicaId bytes (conversions go through this table).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/replica_id.h"

namespace treesim {

using ReplicaIndex = std::uint32_t;

class ReplicaTable {
 public:
  // The index of `replica`, assigning the next one if it is new. `replica` must be valid.
  ReplicaIndex intern(const ReplicaId& replica);
  std::optional<ReplicaIndex> find(const ReplicaId& replica) const;
  const ReplicaId& id(ReplicaIndex index) const;
  std::size_t size() const { return ids_.size(); }

 private:
  std::vector<ReplicaId> ids_;
  std::map<ReplicaId, ReplicaIndex> indices_;
};

}  // namespace treesim
