#include "sim/file_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace treesim {

Result<std::string> read_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  // stdio, not a stream: reading a directory through std::ifstream throws instead of failing.
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::invalid_argument("cannot read '" + path + "': " + std::strerror(errno));
  }
  struct stat info {};
  if (fstat(fileno(file), &info) == 0 && S_ISDIR(info.st_mode)) {
    std::fclose(file);
    return Status::invalid_argument("'" + path + "' is a directory, not a file");
  }
  std::string contents;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) contents.append(buffer, got);
  const bool failed = std::ferror(file) != 0;
  const int error = errno;
  std::fclose(file);
  if (failed) {
    return Status::io_error("error while reading '" + path + "': " + std::strerror(error));
  }
  return contents;
}

Status write_file(const std::string& path, const std::string& contents) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      return Status::io_error("cannot write '" + temporary + "': " + std::strerror(errno));
    }
    out << contents;
    out.flush();
    if (!out) {
      return Status::io_error("error while writing '" + temporary + "': " + std::strerror(errno));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return Status::io_error("cannot rename '" + temporary + "' to '" + path +
                            "': " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace treesim
