// Best tag sequences under transition scores: Viterbi decoding, shared by constrained BIO
// decoding (data/decode.h, decode.mode constrained) and any head that scores transitions.
#pragma once

#include <cstdint>
#include <vector>

namespace triage::data {

// Scores of moving between tags, -infinity where a move is forbidden.
struct Transitions {
  int32_t n_tags = 0;
  std::vector<float> step;   // [from * n_tags + to]
  std::vector<float> start;  // [to]: a sequence starting with this tag
  std::vector<float> end;    // [from]: a sequence ending with this tag
};

// The BIO rules over LabelSchema's tag ids (0 = O, 1 + 2k = B-k, 2 + 2k = I-k): I-k only
// after B-k or I-k, never first; everything else allowed (score 0).
Transitions bio_transitions(int32_t n_tags);

// True when `tags` obeys the BIO rules above.
bool valid_bio(const std::vector<int32_t>& tags);

// The path maximising sum(emissions[i][tag_i]) + start[tag_0] + sum(step[tag_i-1][tag_i]) +
// end[tag_n-1] over emissions [n, n_tags] row-major (log-probabilities, or any scores);
// ties go to the lowest tag ids, position by position from the end. Empty for n == 0.
// Where no finite path exists (every tag forbidden somewhere) the greedy argmax of each row.
std::vector<int32_t> viterbi(const float* emissions, int32_t n, const Transitions& t);

}  // namespace triage::data
