#include "modewise/util/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "modewise/util/error.h"

namespace modewise::util {

namespace fs = std::filesystem;

void check_output_path(const std::string& path) {
  std::error_code ec;
  fs::path p(path);
  if (fs::is_directory(p, ec)) throw Error("cannot write '{}': it is a directory, expected a file name", path);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    throw Error("cannot write '{}': the directory '{}' does not exist", path, dir.string());
}

AtomicFile::AtomicFile(std::string path, bool binary) : path_(std::move(path)) {
  check_output_path(path_);
  static std::atomic<int> counter{0};
  fs::path p(path_);
  std::string name = fmt::format(".{}.tmp-{}-{}", p.filename().string(), ::getpid(), counter++);
  temp_ = (p.has_parent_path() ? p.parent_path() / name : fs::path(name)).string();
  out_.open(temp_, binary ? std::ios::out | std::ios::binary : std::ios::out);
  if (!out_) throw Error("cannot write '{}': {}", path_, std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  out_.close();
  std::remove(temp_.c_str());
}

void AtomicFile::commit() {
  if (committed_) return;
  out_.flush();
  bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail()) throw Error("cannot write '{}': {}", path_, std::strerror(errno ? errno : EIO));
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    throw Error("cannot write '{}': {}", path_, std::strerror(errno));
  committed_ = true;
}

void write_file_atomically(const std::string& path, std::string_view contents, bool binary) {
  AtomicFile f(path, binary);
  f.stream().write(contents.data(), static_cast<std::streamsize>(contents.size()));
  f.commit();
}

}  // namespace modewise::util
