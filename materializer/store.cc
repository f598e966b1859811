#include "materializer/store.h"

namespace treesim {

Frontier Frontier::min(const Frontier& a, const Frontier& b) {
  // None means "everything is trusted", so it never lowers the other frontier.
  if (a.is_none()) return b;
  if (b.is_none()) return a;
  // Start lies before every key: replaying from the start covers any key's suffix.
  if (a.kind == Kind::kStart || b.kind == Kind::kStart) return start();
  return b.key < a.key ? b : a;
}

std::string Frontier::to_display() const {
  switch (kind) {
    case Kind::kNone:
      return "none";
    case Kind::kStart:
      return "start";
    case Kind::kKey:
      return key.to_display();
  }
  TS_UNREACHABLE();
}

}  // namespace treesim
