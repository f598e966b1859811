#include "sim/file_io.h"

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
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::invalid_argument("cannot read '" + path + "': " + std::strerror(errno));
  }
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return Status::io_error("error while reading '" + path + "': " + std::strerror(errno));
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
