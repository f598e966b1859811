// Network: the simulated links between replicas, as a discrete-event queue.
//
// Messages are ordered by (delivery tick, sequence number), so two messages due at the same
// tick leave in the order they were sent and nothing depends on container iteration order.
// Fault model (each from Options, all off by default): a message may be delayed within a range
// plus extra reorder delay (so later sends overtake earlier ones), duplicated (delivered twice,
// at independent times), or dropped; a partition cuts every link between two groups until it
// heals, and messages on a cut link are lost (at send and at delivery). Anti-entropy makes every
// loss recoverable: a replica advertises its version vector and the peer answers with the ops
// it lacks.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/op.h"
#include "core/version_vector.h"
#include "sim/entropy.h"
#include "sim/options.h"

namespace treesim {

struct Message {
  enum class Kind : std::uint8_t {
    kOps,           // ops pushed after local edits, or answering a sync request
    kSyncRequest,   // "here is my version vector: send me what I lack"
  };
  Kind kind = Kind::kOps;
  std::uint32_t from = 0;
  std::uint32_t to = 0;
  std::vector<Op> ops;
  VersionVector known;  // kSyncRequest only
};

class Network {
 public:
  // Draws delays, drops and duplicates from `entropy` (sim/entropy.h).
  Network(const Options& options, ComponentEntropy entropy);

  // Queues `message` sent at tick `now`, applying drop, duplication, delay and partitions.
  void send(std::uint64_t now, Message message);
  // Removes and returns every message due at or before `now` on a link that is not cut, in
  // (tick, sequence) order; messages on cut links are discarded.
  std::vector<Message> take_due(std::uint64_t now);

  // Cuts every link between `side` and the other replicas until heal().
  void partition(const std::set<std::uint32_t>& side);
  void heal();
  bool partitioned() const { return !side_.empty(); }
  bool cut(std::uint32_t from, std::uint32_t to) const;

  // Turns drop, duplication and extra reordering off (the liveness phase).
  void calm();

  bool idle() const { return queue_.empty(); }
  std::size_t in_flight() const { return queue_.size(); }
  std::uint64_t dropped() const { return dropped_; }

 private:
  void enqueue(std::uint64_t now, Message message);

  std::uint32_t delay_ticks_min_;
  std::uint32_t delay_ticks_max_;
  std::uint32_t reorder_ticks_max_;
  std::uint32_t duplicate_per_mille_;
  std::uint32_t drop_per_mille_;
  ComponentEntropy rng_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, Message> queue_;
  std::uint64_t next_sequence_ = 0;
  std::set<std::uint32_t> side_;
  std::uint64_t dropped_ = 0;
};

}  // namespace treesim
