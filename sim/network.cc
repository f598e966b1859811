#include "sim/network.h"

#include <utility>

namespace treesim {

Network::Network(const Options& options, ComponentEntropy entropy)
    : delay_ticks_min_(options.delay_ticks_min),
      delay_ticks_max_(options.delay_ticks_max),
      reorder_ticks_max_(options.reorder_ticks_max),
      duplicate_per_mille_(options.duplicate_per_mille),
      drop_per_mille_(options.drop_per_mille),
      rng_(std::move(entropy)) {}

bool Network::cut(std::uint32_t from, std::uint32_t to) const {
  if (side_.empty()) return false;
  return (side_.count(from) != 0) != (side_.count(to) != 0);
}

void Network::enqueue(std::uint64_t now, Message message) {
  std::uint64_t delay = rng_.in_range(delay_ticks_min_, delay_ticks_max_);
  if (reorder_ticks_max_ > 0) delay += rng_.in_range(0, reorder_ticks_max_);
  queue_.emplace(std::make_pair(now + delay, next_sequence_++), std::move(message));
}

void Network::send(std::uint64_t now, Message message) {
  TS_ASSERT(message.from != message.to);
  if (cut(message.from, message.to) || rng_.chance(drop_per_mille_, 1000)) {
    ++dropped_;
    return;
  }
  if (rng_.chance(duplicate_per_mille_, 1000)) enqueue(now, message);
  enqueue(now, std::move(message));
}

std::vector<Message> Network::take_due(std::uint64_t now) {
  std::vector<Message> due;
  while (!queue_.empty() && queue_.begin()->first.first <= now) {
    Message message = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    if (cut(message.from, message.to)) {
      ++dropped_;
      continue;
    }
    due.push_back(std::move(message));
  }
  return due;
}

void Network::partition(const std::set<std::uint32_t>& side) { side_ = side; }

void Network::heal() { side_.clear(); }

void Network::calm() {
  duplicate_per_mille_ = 0;
  drop_per_mille_ = 0;
  reorder_ticks_max_ = 0;
}

}  // namespace treesim
