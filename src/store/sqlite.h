// Small RAII wrappers over the sqlite3 C API: a connection, a prepared statement, a transaction.
// Every failure throws modewise::Error naming the database file, what was being done and SQLite's message.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace modewise::store::sql {

class Db {
 public:
  // Opens (create = true: creates) the file. Throws Error naming the path.
  Db(const std::string& path, bool create, bool read_only = false);  // read_only: SQLITE_OPEN_READONLY
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  void exec(std::string_view sql, std::string_view doing);  // one or more statements without results
  int64_t last_insert_id() const;
  int changes() const;
  [[noreturn]] void fail(std::string_view doing) const;  // throws Error("<path>: <doing>: <sqlite message>")

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Stmt {
 public:
  Stmt(Db& db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // 1-based parameter index. A NaN double binds NULL.
  Stmt& bind(int index, int64_t v);
  Stmt& bind(int index, int v) { return bind(index, static_cast<int64_t>(v)); }
  Stmt& bind(int index, double v);
  Stmt& bind(int index, std::string_view v);
  Stmt& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
  Stmt& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
  Stmt& bind_null(int index);
  Stmt& bind_blob(int index, const void* data, size_t bytes);

  bool step();  // true: a row is available; false: done
  void run();   // step until done (statements without results)
  void reset();  // ready to bind and step again

  // 0-based column index.
  bool is_null(int col) const;
  int64_t int64(int col) const;
  int integer(int col) const { return static_cast<int>(int64(col)); }
  double real(int col) const;  // NULL reads as NaN
  std::string text(int col) const;  // NULL reads as ""
  std::string blob(int col) const;  // the bytes; NULL reads as empty

 private:
  Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace modewise::store::sql
