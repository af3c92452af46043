// Test tool for the transformers parity check (scripts/parity/model_parity.py):
//   model_dump --model DIR --inputs IN.safetensors --out OUT.safetensors [--save DIR2]
// IN holds input_ids and attention_mask ([batch, seq] I64). OUT gets token_logits
// [batch, seq, labels] for the padded batch, alone_logits with each item run alone on its
// unpadded length (zeros at padding), and intent_logits when the model has an intent head.
// --save writes the loaded model back with save_checkpoint (round trip into transformers).
#include <cstring>
#include <iostream>
#include <string>

#include <torch/torch.h>

#include "data/error.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"

using namespace triage;

namespace {
torch::Tensor read_i64(const st::Reader& r, const std::string& name) {
  const auto* t = r.find(name);
  if (!t || t->dtype != st::Dtype::I64 || t->shape.size() != 2)
    throw InputError(r.source() + ": expected tensor '" + name + "' I64 [batch, seq]");
  auto out = torch::empty({t->shape[0], t->shape[1]}, torch::kLong);
  std::memcpy(out.data_ptr(), t->data, t->nbytes);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  std::string model_dir, inputs, out, save;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--model") model_dir = argv[i + 1];
    else if (k == "--inputs") inputs = argv[i + 1];
    else if (k == "--out") out = argv[i + 1];
    else if (k == "--save") save = argv[i + 1];
    else {
      std::cerr << "model_dump: unknown argument " << k << "\n";
      return 2;
    }
  }
  if (model_dir.empty() || inputs.empty() || out.empty()) {
    std::cerr << "usage: model_dump --model DIR --inputs IN.safetensors --out OUT.safetensors [--save DIR]\n";
    return 2;
  }
  try {
    model::LoadOptions opt;
    opt.require_tokenizer = false;
    auto ck = model::load_checkpoint(model_dir, opt);
    auto reader = st::Reader::open(inputs);
    auto ids = read_i64(reader, "input_ids");
    auto mask = read_i64(reader, "attention_mask");
    torch::InferenceMode guard;
    auto batched = ck.model->forward(ids, mask);
    auto alone = torch::zeros_like(batched.token_logits);
    for (int64_t b = 0; b < ids.size(0); ++b) {
      const int64_t len = mask[b].sum().item<int64_t>();
      auto one = ck.model->forward(ids[b].slice(0, 0, len).unsqueeze(0), mask[b].slice(0, 0, len).unsqueeze(0));
      alone[b].slice(0, 0, len).copy_(one.token_logits[0]);
    }
    std::vector<torch::Tensor> keep{batched.token_logits.contiguous(), alone.contiguous()};
    std::vector<st::TensorToWrite> tw{
        {"token_logits", st::Dtype::F32, keep[0].sizes().vec(), keep[0].data_ptr(), (size_t)keep[0].nbytes()},
        {"alone_logits", st::Dtype::F32, keep[1].sizes().vec(), keep[1].data_ptr(), (size_t)keep[1].nbytes()}};
    if (batched.intent_logits.defined()) {
      keep.push_back(batched.intent_logits.contiguous());
      tw.push_back({"intent_logits", st::Dtype::F32, keep[2].sizes().vec(), keep[2].data_ptr(),
                    (size_t)keep[2].nbytes()});
    }
    st::write(out, tw);
    if (!save.empty()) model::save_checkpoint(save, ck.model, ck.tokenizer.get(), {{"source", model_dir}});
  } catch (const InputError& e) {
    std::cerr << "model_dump: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "model_dump: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
