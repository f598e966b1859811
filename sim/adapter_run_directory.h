// RunDirectory: where the adapters of one run keep their durable state (sim/external_system.h).
// Each run gets a fresh directory "treesim-sut-XXXXXX" under the temp parent, each replica a
// subdirectory "replica-<id hex>" in it, which outlives the replica's adapter processes (a
// restarted adapter opens the same one). The directory and everything in it are removed when
// the last system of the run lets go of it.
#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "core/replica_id.h"
#include "core/status.h"

namespace treesim {

class RunDirectory {
 public:
  // Makes a fresh directory under `temp_parent` (empty: $TMPDIR, else /tmp). Errors are kIoError
  // naming the parent.
  static Result<std::shared_ptr<RunDirectory>> create(const std::string& temp_parent);
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  ~RunDirectory();

  // The replica's subdirectory ("replica-<id hex>"), made on first use.
  Result<std::string> replica_directory(const ReplicaId& replica);
  bool has(const ReplicaId& replica) const { return replicas_.contains(replica); }
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit RunDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
  std::set<ReplicaId> replicas_;
};

}  // namespace treesim
