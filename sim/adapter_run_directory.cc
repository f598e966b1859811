#include "sim/adapter_run_directory.h"

#include <stdlib.h>

#include <cerrno>
#include <system_error>

namespace treesim {

Result<std::shared_ptr<RunDirectory>> RunDirectory::create(const std::string& temp_parent) {
  std::string parent = temp_parent;
  if (parent.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    parent = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  std::string pattern = parent + "/treesim-sut-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::io_error("could not make a run directory under " + parent + ": " +
                            std::error_code(errno, std::generic_category()).message());
  }
  return std::shared_ptr<RunDirectory>(new RunDirectory(pattern));
}

RunDirectory::~RunDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Result<std::string> RunDirectory::replica_directory(const ReplicaId& replica) {
  const std::filesystem::path path = path_ / ("replica-" + replica.to_hex());
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) {
    return Status::io_error("could not make " + path.string() + ": " + error.message());
  }
  replicas_.insert(replica);
  return path.string();
}

}  // namespace treesim
