// Output files written atomically: the data goes to a temporary file beside the target (same directory, so the
// final rename is atomic), and only commit() renames it over the target. A run that fails or is killed before
// commit() leaves an existing target untouched (at worst a stray ".NAME.tmp-PID-N" file after kill -9).
#pragma once
#include <fstream>
#include <string>
#include <string_view>

namespace modewise::util {

class AtomicFile {
 public:
  // Checks the target up front: Error when it is a directory or its directory does not exist.
  explicit AtomicFile(std::string path, bool binary = false);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary file unless committed

  std::ostream& stream() { return out_; }
  // Flush, close and rename over the target; throws Error (with the reason) when writing failed.
  void commit();
  bool committed() const { return committed_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  std::string path_, temp_;
  std::ofstream out_;
  bool committed_ = false;
};

// Throws Error when `path` cannot be an output file (a directory, or in a directory that does not exist), so
// commands can check outputs before doing any work.
void check_output_path(const std::string& path);

// Write `contents` to `path` atomically.
void write_file_atomically(const std::string& path, std::string_view contents, bool binary = false);

}  // namespace modewise::util
