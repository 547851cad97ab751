#include "checkers/index.h"

#include <algorithm>

namespace faultline::checkers {
namespace {

// Of two sends of one id, the stronger claim: ok, then unknown, then fail.
SendStatus Stronger(SendStatus a, SendStatus b) {
  auto rank = [](SendStatus s) {
    switch (s) {
      case SendStatus::kOk:
        return 2;
      case SendStatus::kUnknown:
        return 1;
      case SendStatus::kFail:
        return 0;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

uint64_t Mix(uint64_t id) {
  uint64_t h = id * 0x9E3779B97F4A7C15ULL;
  return h ^ (h >> 29);
}

}  // namespace

IdIndex::IdIndex(const std::vector<InputEvent>& inputs) : flags_(inputs.size(), 0) {
  if (inputs.empty()) return;
  auto [lo, hi] =
      std::minmax_element(inputs.begin(), inputs.end(),
                          [](const InputEvent& a, const InputEvent& b) { return a.id < b.id; });
  min_id_ = lo->id;
  const uint64_t range = hi->id - lo->id;
  dense_ = range < 4 * static_cast<uint64_t>(inputs.size()) + 1024;
  if (dense_) {
    slots_.assign(range + 1, kNoInput);
  } else {
    uint64_t capacity = 1;
    while (capacity < 2 * inputs.size()) capacity <<= 1;
    mask_ = capacity - 1;
    slots_.assign(capacity, kNoInput);
    slot_ids_.assign(capacity, 0);
  }
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    uint32_t* slot = Slot(inputs[i].id);
    const auto status = static_cast<uint8_t>(inputs[i].status);
    if (*slot == kNoInput) {
      *slot = i;
      flags_[i] = status;
    } else {
      flags_[i] = kRepeat | status;
      uint8_t& canonical = flags_[*slot];
      canonical = static_cast<uint8_t>(
          Stronger(static_cast<SendStatus>(canonical & kStatusMask), inputs[i].status));
    }
  }
}

uint32_t* IdIndex::Slot(uint64_t id) {
  if (dense_) return &slots_[id - min_id_];
  for (uint64_t s = Mix(id) & mask_;; s = (s + 1) & mask_) {
    if (slots_[s] == kNoInput) {
      slot_ids_[s] = id;
      return &slots_[s];
    }
    if (slot_ids_[s] == id) return &slots_[s];
  }
}

uint32_t IdIndex::Find(uint64_t id) const {
  if (dense_) {
    if (id < min_id_ || id - min_id_ >= slots_.size()) return kNoInput;
    return slots_[id - min_id_];
  }
  if (slots_.empty()) return kNoInput;
  for (uint64_t s = Mix(id) & mask_;; s = (s + 1) & mask_) {
    if (slots_[s] == kNoInput) return kNoInput;
    if (slot_ids_[s] == id) return slots_[s];
  }
}

RecordIndex::RecordIndex(const History& history)
    : outputs_(history.outputs),
      ids_(history.inputs),
      starts_(history.inputs.size() + 1, 0),
      first_pair_(history.outputs.size(), 0),
      first_output_(history.inputs.size(), kNoInput),
      key_inputs_(history.keys.size(), 0) {
  const auto& inputs = history.inputs;
  const auto& outputs = history.outputs;
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    if (ids_.IsCanonical(i) && ids_.StatusOf(i) != SendStatus::kFail) ++key_inputs_[inputs[i].key];
  }
  // Counting sort of the committed outputs by input: CSR in line order.
  for (size_t o = 0; o < outputs.size(); ++o) {
    if (!Survives(outputs[o])) continue;
    if (uint32_t in = InputOf(o); in != kNoInput) ++starts_[in + 1];
  }
  for (size_t i = 1; i < starts_.size(); ++i) starts_[i] += starts_[i - 1];
  committed_.resize(starts_.back());
  std::vector<uint32_t> fill(starts_.begin(), starts_.end() - 1);
  for (uint32_t o = 0; o < outputs.size(); ++o) {
    if (!Survives(outputs[o])) continue;
    if (uint32_t in = InputOf(o); in != kNoInput) committed_[fill[in]++] = o;
  }
  fill = {};

  std::vector<uint32_t> scratch;
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    std::span<const uint32_t> mine = CommittedOutputs(i);
    if (mine.empty()) continue;
    uint32_t first = mine[0];
    for (uint32_t o : mine) {
      if (ObservedBefore(outputs, o, first)) first = o;
    }
    first_output_[i] = first;
    if (mine.size() == 1) {
      first_pair_[first] = outputs[first].count != kNoCount;
      continue;
    }
    // Several committed outputs: the first observed of each distinct count is a pair.
    scratch.assign(mine.begin(), mine.end());
    std::sort(scratch.begin(), scratch.end(), [&](uint32_t a, uint32_t b) {
      if (outputs[a].count != outputs[b].count) return outputs[a].count < outputs[b].count;
      return ObservedBefore(outputs, a, b);
    });
    for (size_t k = 0; k < scratch.size(); ++k) {
      if (outputs[scratch[k]].count == kNoCount) continue;
      if (k == 0 || outputs[scratch[k]].count != outputs[scratch[k - 1]].count) {
        first_pair_[scratch[k]] = 1;
      }
    }
  }
}

}  // namespace faultline::checkers
