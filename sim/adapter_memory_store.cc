#include "sim/adapter_memory_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/binary_codec.h"
#include "materializer/row_codec.h"
#include "sim/entropy.h"

namespace treesim {
namespace {

constexpr char kMagic[2] = {'T', 'J'};
constexpr std::size_t kHeaderBytes = 2 + 4 + 8;

void put_fixed(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_fixed(out, bytes.size(), 4);
  out.append(bytes);
}

std::string key_bytes(const OpKey& key) {
  std::string out;
  put_fixed(out, key.lamport, 8);
  out += key.replica.bytes();
  put_fixed(out, key.counter, 8);
  return out;
}

Status io_error(const std::string& path, const char* what) {
  return Status::io_error("journal " + path + ": " + what + ": " + std::strerror(errno));
}

// Reads the fields of one record's payload, each check naming the record's offset.
class Reader {
 public:
  Reader(std::string_view bytes, std::uint64_t offset) : bytes_(bytes), offset_(offset) {}

  bool done() const { return position_ == bytes_.size(); }
  Result<std::uint64_t> fixed(int width) {
    if (bytes_.size() - position_ < static_cast<std::size_t>(width)) return truncated();
    std::uint64_t value = 0;
    for (int i = 0; i < width; ++i) {
      value |= std::uint64_t{static_cast<unsigned char>(bytes_[position_ + i])} << (8 * i);
    }
    position_ += static_cast<std::size_t>(width);
    return value;
  }
  Result<std::string_view> raw(std::size_t size) {
    if (bytes_.size() - position_ < size) return truncated();
    std::string_view out = bytes_.substr(position_, size);
    position_ += size;
    return out;
  }
  Result<std::string_view> bytes() {
    TS_ASSIGN_OR_RETURN(std::uint64_t size, fixed(4));
    return raw(size);
  }
  Result<NodeId> node() {
    TS_ASSIGN_OR_RETURN(std::string_view raw_node, raw(16));
    return *NodeId::from_bytes(raw_node);
  }
  Result<OpKey> key() {
    TS_ASSIGN_OR_RETURN(std::string_view key, bytes());
    if (key.size() < 16) return corrupt("an op key of " + std::to_string(key.size()) + " bytes");
    Reader inner(key, offset_);
    OpKey out;
    TS_ASSIGN_OR_RETURN(out.lamport, inner.fixed(8));
    TS_ASSIGN_OR_RETURN(std::string_view replica, inner.raw(key.size() - 16));
    TS_ASSIGN_OR_RETURN(out.counter, inner.fixed(8));
    // An empty replica is the default ReplicaId, which a floor key may carry.
    if (!replica.empty()) {
      const auto id = ReplicaId::from_bytes(replica);
      if (!id) return corrupt("a replica id of " + std::to_string(replica.size()) + " bytes");
      out.replica = *id;
    }
    return out;
  }
  Status corrupt(const std::string& what) const {
    return Status::corruption("journal record at byte " + std::to_string(offset_) + ": " + what);
  }

 private:
  Status truncated() const { return corrupt("an entry ends past the record"); }

  std::string_view bytes_;
  std::uint64_t offset_;
  std::size_t position_ = 0;
};

}  // namespace

Result<std::unique_ptr<JournaledMemoryStore>> JournaledMemoryStore::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path, "open");
  std::unique_ptr<JournaledMemoryStore> store(new JournaledMemoryStore(path, fd));
  TS_RETURN_IF_ERROR(store->replay());
  return store;
}

JournaledMemoryStore::~JournaledMemoryStore() {
  if (fd_ >= 0) close(fd_);
}

Status JournaledMemoryStore::replay() {
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = pread(fd_, buffer, sizeof buffer, static_cast<off_t>(text.size()));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_error(path_, "read");
    if (got == 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
  }
  std::uint64_t offset = 0;
  while (offset < text.size()) {
    const std::string_view rest = std::string_view(text).substr(offset);
    if (rest.size() < kHeaderBytes) break;  // torn header
    Reader header(rest.substr(0, kHeaderBytes), offset);
    if (rest[0] != kMagic[0] || rest[1] != kMagic[1]) {
      return header.corrupt("no record starts here");
    }
    TS_ASSIGN_OR_RETURN(std::string_view skipped, header.raw(2));
    (void)skipped;
    TS_ASSIGN_OR_RETURN(const std::uint64_t length, header.fixed(4));
    TS_ASSIGN_OR_RETURN(const std::uint64_t checksum, header.fixed(8));
    if (rest.size() - kHeaderBytes < length) break;  // torn payload
    const std::string_view payload = rest.substr(kHeaderBytes, length);
    if (fnv1a64(payload) != checksum) {
      if (kHeaderBytes + length == rest.size()) break;  // the last write, cut short
      return header.corrupt("checksum mismatch");
    }
    TS_RETURN_IF_ERROR(apply_record(payload, offset));
    offset += kHeaderBytes + length;
  }
  size_ = offset;
  if (size_ < text.size() && ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
    return io_error(path_, "truncate a torn record");
  }
  return Status::ok();
}

Status JournaledMemoryStore::apply_record(std::string_view payload, std::uint64_t offset) {
  Reader in(payload, offset);
  TS_RETURN_IF_ERROR(memory_.begin());
  Status applied = Status::ok();
  while (applied.is_ok() && !in.done()) {
    applied = [&]() -> Status {
      TS_ASSIGN_OR_RETURN(std::string_view tag, in.raw(1));
      switch (tag[0]) {
        case 'O': {
          TS_ASSIGN_OR_RETURN(std::string_view batch, in.bytes());
          auto ops = decode_batch(batch);
          if (!ops.is_ok()) return in.corrupt("ops: " + ops.status().message());
          return memory_.insert_ops(*ops);
        }
        case 'N': {
          TS_ASSIGN_OR_RETURN(NodeId node, in.node());
          TS_ASSIGN_OR_RETURN(std::string_view blob, in.bytes());
          auto row = decode_node_row(node, blob);
          if (!row.is_ok()) return in.corrupt("node row: " + row.status().message());
          return memory_.put_node(*row);
        }
        case 'n': {
          TS_ASSIGN_OR_RETURN(NodeId node, in.node());
          return memory_.erase_node(node);
        }
        case 'P': {
          TS_ASSIGN_OR_RETURN(NodeId node, in.node());
          TS_ASSIGN_OR_RETURN(std::string_view blob, in.bytes());
          auto row = decode_payload_row(node, blob);
          if (!row.is_ok()) return in.corrupt("payload row: " + row.status().message());
          return memory_.put_payload(*row);
        }
        case 'p': {
          TS_ASSIGN_OR_RETURN(NodeId node, in.node());
          return memory_.erase_payload(node);
        }
        case 'C':
          return memory_.clear_rows();
        case 'U': {
          TS_ASSIGN_OR_RETURN(OpKey key, in.key());
          TS_ASSIGN_OR_RETURN(std::string_view blob, in.bytes());
          auto record = decode_undo_record(key, blob);
          if (!record.is_ok()) return in.corrupt("undo record: " + record.status().message());
          return memory_.put_undo(*record);
        }
        case 'u': {
          TS_ASSIGN_OR_RETURN(OpKey key, in.key());
          return memory_.erase_undo_from(key);
        }
        case 'b': {
          TS_ASSIGN_OR_RETURN(OpKey key, in.key());
          return memory_.erase_undo_before(key);
        }
        case 'M': {
          TS_ASSIGN_OR_RETURN(std::string_view blob, in.bytes());
          auto meta = decode_store_meta(blob);
          if (!meta.is_ok()) return in.corrupt("meta: " + meta.status().message());
          return memory_.write_meta(*meta);
        }
        default:
          return in.corrupt("unknown entry tag " +
                            std::to_string(static_cast<unsigned char>(tag[0])));
      }
    }();
  }
  if (!applied.is_ok()) {
    memory_.rollback();
    return applied;
  }
  return memory_.commit();
}

Status JournaledMemoryStore::begin() {
  TS_RETURN_IF_ERROR(memory_.begin());
  redo_.clear();
  return Status::ok();
}

Status JournaledMemoryStore::commit() {
  if (!redo_.empty()) {
    std::string record(kMagic, 2);
    put_fixed(record, redo_.size(), 4);
    put_fixed(record, fnv1a64(redo_), 8);
    record += redo_;
    std::size_t written = 0;
    while (written < record.size()) {
      const ssize_t done = write(fd_, record.data() + written, record.size() - written);
      if (done < 0 && errno == EINTR) continue;
      if (done <= 0) {
        const Status status = io_error(path_, "append a record");
        if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
          return status.with_context("and cutting the journal back failed too");
        }
        return status;
      }
      written += static_cast<std::size_t>(done);
    }
    size_ += record.size();
    redo_.clear();
  }
  return memory_.commit();
}

void JournaledMemoryStore::rollback() {
  memory_.rollback();
  redo_.clear();
}

Status JournaledMemoryStore::insert_ops(const std::vector<Op>& ops) {
  TS_RETURN_IF_ERROR(memory_.insert_ops(ops));
  redo_ += 'O';
  put_bytes(redo_, encode_batch(ops));
  return Status::ok();
}

Status JournaledMemoryStore::put_node(NodeRow row) {
  TS_RETURN_IF_ERROR(memory_.put_node(row));
  redo_ += 'N';
  redo_ += row.node.to_bytes();
  put_bytes(redo_, encode_node_row(row));
  return Status::ok();
}

Status JournaledMemoryStore::erase_node(NodeId node) {
  TS_RETURN_IF_ERROR(memory_.erase_node(node));
  redo_ += 'n';
  redo_ += node.to_bytes();
  return Status::ok();
}

Status JournaledMemoryStore::put_payload(PayloadRow row) {
  TS_RETURN_IF_ERROR(memory_.put_payload(row));
  redo_ += 'P';
  redo_ += row.node.to_bytes();
  put_bytes(redo_, encode_payload_row(row));
  return Status::ok();
}

Status JournaledMemoryStore::erase_payload(NodeId node) {
  TS_RETURN_IF_ERROR(memory_.erase_payload(node));
  redo_ += 'p';
  redo_ += node.to_bytes();
  return Status::ok();
}

Status JournaledMemoryStore::clear_rows() {
  TS_RETURN_IF_ERROR(memory_.clear_rows());
  redo_ += 'C';
  return Status::ok();
}

Status JournaledMemoryStore::put_undo(UndoRecord record) {
  TS_RETURN_IF_ERROR(memory_.put_undo(record));
  redo_ += 'U';
  put_bytes(redo_, key_bytes(record.key));
  put_bytes(redo_, encode_undo_record(record));
  return Status::ok();
}

Status JournaledMemoryStore::erase_undo_from(const OpKey& from) {
  TS_RETURN_IF_ERROR(memory_.erase_undo_from(from));
  redo_ += 'u';
  put_bytes(redo_, key_bytes(from));
  return Status::ok();
}

Status JournaledMemoryStore::erase_undo_before(const OpKey& before) {
  TS_RETURN_IF_ERROR(memory_.erase_undo_before(before));
  redo_ += 'b';
  put_bytes(redo_, key_bytes(before));
  return Status::ok();
}

Status JournaledMemoryStore::write_meta(const StoreMeta& meta) {
  TS_RETURN_IF_ERROR(memory_.write_meta(meta));
  redo_ += 'M';
  put_bytes(redo_, encode_store_meta(meta));
  return Status::ok();
}

}  // namespace treesim
