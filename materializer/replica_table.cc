#include "materializer/replica_table.h"

#include "core/assert.h"

namespace treesim {

ReplicaIndex ReplicaTable::intern(const ReplicaId& replica) {
  TS_ASSERT(replica.is_valid());
  auto [it, inserted] = indices_.try_emplace(replica, static_cast<ReplicaIndex>(ids_.size()));
  if (inserted) ids_.push_back(replica);
  return it->second;
}

std::optional<ReplicaIndex> ReplicaTable::find(const ReplicaId& replica) const {
  auto it = indices_.find(replica);
  if (it == indices_.end()) return std::nullopt;
  return it->second;
}

const ReplicaId& ReplicaTable::id(ReplicaIndex index) const {
  TS_ASSERT(index < ids_.size());
  return ids_[index];
}

}  // namespace treesim
