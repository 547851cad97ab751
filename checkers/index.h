#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "checkers/history.h"

namespace faultline::checkers {

constexpr uint32_t kNoInput = UINT32_MAX;

// IdIndex maps record ids to their input events in O(1): a flat array when the ids are dense
// (the generator numbers them), an open-addressing table otherwise. The first input line of an
// id is its canonical input; a later line with the same id is a repeat, ignored by checkers
// but for its send status: an id is `ok` when any of its sends was acknowledged, else
// `unknown` when any may have been applied, else `fail`. Immutable after construction;
// thread-safe for readers.
class IdIndex {
 public:
  explicit IdIndex(const std::vector<InputEvent>& inputs);

  // The canonical input with `id`, or kNoInput.
  uint32_t Find(uint64_t id) const;
  bool IsCanonical(uint32_t input) const { return (flags_[input] & kRepeat) == 0; }
  // The status of the id of canonical `input`, over all its input lines.
  SendStatus StatusOf(uint32_t input) const {
    return static_cast<SendStatus>(flags_[input] & kStatusMask);
  }

 private:
  uint32_t* Slot(uint64_t id);

  bool dense_ = true;
  uint64_t min_id_ = 0;
  uint64_t mask_ = 0;
  std::vector<uint32_t> slots_;     // dense: by id - min_id_; hashed: by hash, kNoInput = empty
  std::vector<uint64_t> slot_ids_;  // hashed only: the id held by each slot
  static constexpr uint8_t kRepeat = 0x80;
  static constexpr uint8_t kStatusMask = 0x03;
  std::vector<uint8_t> flags_;  // per input: kRepeat, and the id's SendStatus
};

// A committed output that is still there: delivery is judged on the output that stayed.
inline bool Survives(const OutputEvent& o) { return o.committed && !o.retracted; }

// RecordIndex relates the outputs of the count and delivery jobs to their inputs: which input
// each output belongs to, each input's committed outputs, and which committed output first
// showed each distinct (id, count) pair in observation order (by `t`, then line order; outputs
// without a count are no pair). Built once per check in linear time; immutable after;
// thread-safe for readers.
class RecordIndex {
 public:
  explicit RecordIndex(const History& history);

  const IdIndex& ids() const { return ids_; }
  // The canonical input of output `o`'s id, or kNoInput (an id never input).
  uint32_t InputOf(size_t o) const { return ids_.Find(outputs_[o].id); }
  // Indices of the committed outputs of `input` that were not retracted, in line order.
  std::span<const uint32_t> CommittedOutputs(uint32_t input) const {
    return {committed_.data() + starts_[input], committed_.data() + starts_[input + 1]};
  }
  // Output `o` is committed, belongs to an input, and is the first observed with its count.
  bool IsFirstPair(size_t o) const { return first_pair_[o] != 0; }
  // `t` of the first observed committed output of `input`; kNever if none or a repeat input.
  int64_t delivered_t(uint32_t input) const {
    const uint32_t o = first_output_[input];
    return o == kNoInput ? kNever : outputs_[o].t;
  }
  // The count the first observed committed output of `input` carries; kNoCount when it has
  // none or when the input was never delivered.
  int64_t first_count(uint32_t input) const {
    const uint32_t o = first_output_[input];
    return o == kNoInput ? kNoCount : outputs_[o].count;
  }
  // Per input: its first observed committed output; kNoInput if none or a repeat input.
  uint32_t first_output(uint32_t input) const { return first_output_[input]; }
  // Per key: number of distinct input ids that may have been applied (status not `fail`).
  int64_t distinct_inputs(uint32_t key) const { return key_inputs_[key]; }

 private:
  // What follows is sized per event of a large history: derived figures (an output's input,
  // an input's delivery time) are looked up, not stored.
  const std::vector<OutputEvent>& outputs_;
  IdIndex ids_;
  std::vector<uint32_t> starts_;  // CSR: committed_[starts_[i], starts_[i+1]) are input i's
  std::vector<uint32_t> committed_;
  std::vector<uint8_t> first_pair_;
  std::vector<uint32_t> first_output_;
  std::vector<int64_t> key_inputs_;
};

// True when output `a` was observed before output `b`: by time, then by line order.
inline bool ObservedBefore(const std::vector<OutputEvent>& outputs, uint32_t a, uint32_t b) {
  return outputs[a].t != outputs[b].t ? outputs[a].t < outputs[b].t : a < b;
}

// Of `items` (a key and the line index where it was seen), the line of the first sighting of
// each distinct key, in line order. Used to count distinct ids, pairs or windows.
template <typename Key>
std::vector<uint32_t> FirstLineOfEachKey(std::vector<std::pair<Key, uint32_t>> items) {
  std::sort(items.begin(), items.end());
  std::vector<uint32_t> firsts;
  for (size_t k = 0; k < items.size(); ++k) {
    if (k == 0 || items[k].first != items[k - 1].first) firsts.push_back(items[k].second);
  }
  std::sort(firsts.begin(), firsts.end());
  return firsts;
}

}  // namespace faultline::checkers
