// Reading and writing whole files for the command line, with errors that name the file.
#pragma once

#include <string>

#include "core/status.h"

namespace treesim {

// The whole file; "-" reads standard input. Errors name the path and the system's reason.
Result<std::string> read_file(const std::string& path);
// Writes atomically enough for reports and scenarios: a temporary file renamed into place.
Status write_file(const std::string& path, const std::string& contents);

}  // namespace treesim
