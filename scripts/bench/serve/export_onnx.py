#!/usr/bin/env python3
"""Exports a triage checkpoint (BertForTokenClassification + the intent head
`intent_classifier.*`) to ONNX for the serving benchmark, and checks that ONNX Runtime's
outputs match torch's within --atol on a padded batch of messages.

  export_onnx.py MODEL_DIR OUT.onnx [--opset 18] [--messages FILE] [--atol 1e-4] [--int8 OUT_INT8.onnx]

Graph: inputs input_ids, attention_mask ([batch, seq] int64, both axes dynamic); outputs
logits [batch, seq, tags] and intent_logits [batch, intents] (intent head on the first
token's final hidden state, as triage computes it; docs/architecture.md). Prints one JSON
line: exporter, opset, the parity figures. --int8 also writes a copy quantized with
onnxruntime.quantization.quantize_dynamic (int8 weights, activations quantized per call;
the library's defaults) and reports its largest difference from torch (not checked).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn


class JointTagger(nn.Module):
    """Token logits and intent logits from one encoder pass."""

    def __init__(self, tagger, intent_head):
        super().__init__()
        self.tagger = tagger
        self.intent_head = intent_head

    def forward(self, input_ids, attention_mask):
        h = self.tagger.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # [b, s, hidden]
        return self.tagger.classifier(h), self.intent_head(h[:, 0])


def load_joint(model_dir):
    from safetensors.torch import load_file
    from transformers import AutoModelForTokenClassification
    tagger = AutoModelForTokenClassification.from_pretrained(model_dir).eval()
    state = load_file(os.path.join(model_dir, "model.safetensors"))
    if "intent_classifier.weight" not in state:
        raise SystemExit(f"{model_dir}/model.safetensors: no intent_classifier.weight (a model without an intent head)")
    w, b = state["intent_classifier.weight"], state["intent_classifier.bias"]  # [intents, hidden], [intents]
    head = nn.Linear(w.shape[1], w.shape[0])
    with torch.no_grad():
        head.weight.copy_(w)
        head.bias.copy_(b)
    return JointTagger(tagger, head).eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--opset", type=int, default=18)
    ap.add_argument("--messages", help="JSON list of texts for the parity batch (default: three built-in)")
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--int8", help="also write this dynamically quantized copy")
    args = ap.parse_args()

    import onnxruntime as ort
    from transformers import AutoTokenizer
    model = load_joint(args.model_dir)
    tok = AutoTokenizer.from_pretrained(args.model_dir)
    texts = ["Where is my order ORD-2024-2835?", "I was charged $1,200.50 twice, please refund me.",
             "The app shows error E-4012 every time I log in with anna@example.com"]
    if args.messages:
        with open(args.messages) as f:
            texts = json.load(f)[:32]
    enc = tok(texts, padding=True, return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]

    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=512)
    tmp = args.out + ".tmp"
    with torch.no_grad():
        prog = torch.onnx.export(model, (ids, mask), input_names=["input_ids", "attention_mask"],
                                 output_names=["logits", "intent_logits"], opset_version=args.opset, dynamo=True,
                                 dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
                                 external_data=False)
        prog.save(tmp)
        ref_logits, ref_intent = model(ids, mask)
    os.replace(tmp, args.out)

    sess = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    got_logits, got_intent = sess.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
    real = mask.numpy().astype(bool)  # padded positions' logits are never read
    d_tok = float(np.abs(got_logits - ref_logits.numpy())[real].max())
    d_int = float(np.abs(got_intent - ref_intent.numpy()).max())
    # batch 1 without padding too: the serving shape
    e1 = tok(texts[:1], return_tensors="pt")
    with torch.no_grad():
        r1, i1 = model(e1["input_ids"], e1["attention_mask"])
    g1, gi1 = sess.run(None, {"input_ids": e1["input_ids"].numpy(), "attention_mask": e1["attention_mask"].numpy()})
    d1 = max(float(np.abs(g1 - r1.numpy()).max()), float(np.abs(gi1 - i1.numpy()).max()))
    out = {"exporter": f"torch.onnx.export(dynamo=True), torch {torch.__version__}", "opset": args.opset,
           "onnx_file": args.out, "parity_batch": list(ids.shape), "max_abs_diff_token_logits": d_tok,
           "max_abs_diff_intent_logits": d_int, "max_abs_diff_batch1": d1, "atol": args.atol,
           "parity_ok": max(d_tok, d_int, d1) <= args.atol}
    if args.int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(args.out, args.int8 + ".tmp", weight_type=QuantType.QInt8)
        os.replace(args.int8 + ".tmp", args.int8)
        q = ort.InferenceSession(args.int8, providers=["CPUExecutionProvider"])
        ql, qi = q.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
        out.update({"int8_file": args.int8, "quantizer": "onnxruntime.quantization.quantize_dynamic(QInt8)",
                    "int8_max_abs_diff_token_logits": float(np.abs(ql - ref_logits.numpy())[real].max()),
                    "int8_token_argmax_agreement": float((ql.argmax(-1) == ref_logits.numpy().argmax(-1))[real].mean()),
                    "int8_max_abs_diff_intent_logits": float(np.abs(qi - ref_intent.numpy()).max())})
    print(json.dumps(out))
    if not out["parity_ok"]:
        print(f"export_onnx.py: ORT differs from torch by more than {args.atol}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
