// Test tool for the transformers parity check (scripts/parity/model_parity.py):
//   model_dump --model DIR --inputs IN.safetensors --out OUT.safetensors [--save DIR2]
// IN holds input_ids and attention_mask ([batch, seq] I64). OUT gets token_logits
// [batch, seq, labels] for the padded batch, alone_logits with each item run alone on its
// unpadded length (zeros at padding), the same two as packed_token_logits and
// packed_alone_logits from the prepacked CPU path (model/packed_cpu.h; absent for a family
// without one), and intent_logits
// when the model has an intent head.
// --save writes the loaded model back with save_checkpoint (round trip into transformers).
// --step DIR3 (IN also holds labels [batch, seq] I64, -100 = ignored): from the checkpoint
// as loaded, dropout off, one plain gradient step p -= 0.5 * dL/dp on the token
// cross-entropy of the padded batch, saved to DIR3 (the training gradients against
// transformers').
#include <cstring>
#include <iostream>
#include <string>

#include <torch/torch.h>

#include "core/error.h"
#include "core/run_main.h"
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
  std::string model_dir, inputs, out, save, step;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--model") model_dir = argv[i + 1];
    else if (k == "--inputs") inputs = argv[i + 1];
    else if (k == "--out") out = argv[i + 1];
    else if (k == "--save") save = argv[i + 1];
    else if (k == "--step") step = argv[i + 1];
    else {
      std::cerr << "model_dump: unknown argument " << k << "\n";
      return 2;
    }
  }
  if (model_dir.empty() || inputs.empty() || out.empty()) {
    std::cerr << "usage: model_dump --model DIR --inputs IN.safetensors --out OUT.safetensors [--save DIR] [--step DIR]\n";
    return 2;
  }
  return triage::run_main("model_dump", [&] {
    model::LoadOptions opt;
    opt.require_tokenizer = false;
    auto ck = model::load_checkpoint(model_dir, opt);
    auto reader = st::Reader::open(inputs);
    auto ids = read_i64(reader, "input_ids");
    auto mask = read_i64(reader, "attention_mask");
    if (!step.empty()) {
      auto labels = read_i64(reader, "labels");
      auto fresh = model::load_checkpoint(model_dir, opt);
      fresh.model->eval();  // dropout off; gradients are recorded all the same
      auto loss = fresh.model->token_loss(fresh.model->forward(ids, mask).token_logits, labels);
      loss.backward();
      {
        torch::NoGradGuard no_grad;
        for (auto& p : fresh.model->parameters())
          if (p.grad().defined()) p.sub_(0.5 * p.grad());
      }
      model::CheckpointMeta meta;
      meta.base_model = model_dir;
      model::save_checkpoint(step, fresh.model, nullptr, meta);
    }
    torch::InferenceMode guard;
    // The padded batch, and each item alone on its unpadded length (no mask: the Predictor's
    // path for a lone sequence), with the composite ops and again with prepacked weights.
    std::vector<torch::Tensor> keep;
    std::vector<std::string> names;
    torch::Tensor intent;
    for (const char* prefix : {"", "packed_"}) {
      if (*prefix) {
        // where packing is refused (a libtorch without oneDNN) no packed_* tensors are written;
        // the parity script requires them
        std::string why;
        if (!ck.model->pack_for_cpu_inference(&why)) {
          std::cerr << "model_dump: no packed path: " << why << "\n";
          break;
        }
      }
      auto batched = ck.model->forward(ids, mask);
      auto alone = torch::zeros_like(batched.token_logits);
      for (int64_t b = 0; b < ids.size(0); ++b) {
        const int64_t len = mask[b].sum().item<int64_t>();
        auto one = ck.model->forward(ids[b].slice(0, 0, len).unsqueeze(0), torch::Tensor());
        alone[b].slice(0, 0, len).copy_(one.token_logits[0]);
      }
      keep.push_back(batched.token_logits.contiguous());
      names.push_back(std::string(prefix) + "token_logits");
      keep.push_back(alone.contiguous());
      names.push_back(std::string(prefix) + "alone_logits");
      if (batched.intent_logits.defined() && !*prefix) intent = batched.intent_logits.contiguous();
    }
    ck.model->drop_cpu_packing();
    if (intent.defined()) {
      keep.push_back(intent);
      names.push_back("intent_logits");
    }
    std::vector<st::TensorToWrite> tw;
    for (size_t i = 0; i < keep.size(); ++i)
      tw.push_back({names[i], st::Dtype::F32, keep[i].sizes().vec(), keep[i].data_ptr(), (size_t)keep[i].nbytes()});
    st::write(out, tw);
    if (!save.empty()) {
      model::CheckpointMeta meta;
      meta.base_model = model_dir;
      model::save_checkpoint(save, ck.model, ck.tokenizer.get(), meta);
    }
    return 0;
  });
}
