// StreamDecoder: a growable receive buffer in front of decode(), for bytes that arrive
// in arbitrary chunks; compacts instead of growing when the consumed prefix is large.
#include <algorithm>
#include <cstring>

#include "mqtt/codec.hpp"

namespace fleetload::mqtt {

StreamDecoder::StreamDecoder(DecodeOptions opts) : opts_(opts) {}

std::span<std::uint8_t> StreamDecoder::prepare(std::size_t min_size) {
  if (begin_ == end_) {
    begin_ = end_ = 0;  // nothing pending: reuse the buffer from the start
  } else if (begin_ > buf_.size() / 2 || buf_.size() - end_ < min_size) {
    // Move the pending bytes to the front: cheaper than growing, and bounds memory.
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < min_size) buf_.resize(std::max({end_ + min_size, buf_.size() * 2, std::size_t{64}}));
  return {buf_.data() + end_, buf_.size() - end_};
}

void StreamDecoder::commit(std::size_t n) noexcept { end_ = std::min(end_ + n, buf_.size()); }

void StreamDecoder::append(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  const std::span<std::uint8_t> room = prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

DecodeResult StreamDecoder::next(Packet& out) noexcept {
  if (error_) return {DecodeStatus::Error, 0, 0, error_};
  const DecodeResult r = decode({buf_.data() + begin_, end_ - begin_}, opts_, out);
  if (r.status == DecodeStatus::Ok) {
    begin_ += r.consumed;
  } else if (r.status == DecodeStatus::Error) {
    error_ = r.error;
  }
  return r;
}

void StreamDecoder::reset(bool release) noexcept {
  begin_ = end_ = 0;
  error_.clear();
  if (release) {
    buf_.clear();
    buf_.shrink_to_fit();
  }
}

}  // namespace fleetload::mqtt
