#!/usr/bin/env python3
"""The Hugging Face peer of triage-train: fine-tunes the same MiniLM weights with
transformers' Trainer on the same JointBERT splits, seed, epochs, learning rate, batch
size and maximum length, then evaluates on the test split with seqeval (slot F1) and
intent accuracy, and reports training tokens/s.

The model is JointBERT-shaped like triage's: BERT encoder, token head on every
sub-word (first sub-word of each word labelled, the others -100), intent head on the
first token's final hidden state, loss = token CE + intent CE. A --base of another family
(distilbert, electra, deberta-v2, modernbert, ...) runs as AutoModelForTokenClassification
(the family's own token head) with the intent head on its last hidden states' first token
(for speed comparisons: scripts/bench/family_train.py); the tokenizer is the base's. AdamW with no weight
decay on biases/LayerNorm, linear warmup then linear decay, max grad norm 1.0.

  scripts/bench/hf_train.py --data ../shared/datasets/snips --epochs 3 --lr 1e-4 \
      --batch-size 32 --max-len 64 --seed 42 --threads 2 [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def read_split(folder):
    def lines(name):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            return [l.rstrip("\n") for l in f]
    words = [l.split() for l in lines("seq.in")]
    tags = [l.split() for l in lines("seq.out")]
    intents = [l.strip() for l in lines("label")]
    return words, tags, intents


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="dataset folder with train/ dev/ test/ JointBERT splits")
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--warmup-ratio", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--max-train", type=int, default=0, help="use only the first N training examples")
    ap.add_argument("--base", help="base checkpoint directory (default: the packaged MiniLM)")
    ap.add_argument("--group-by-length", action="store_true",
                    help="Trainer's length-grouped batches (as triage's default run.bucket_batches 50)")
    ap.add_argument("--logging-steps", type=int, default=50,
                    help="optimizer steps between the Trainer's loss records (kept in the JSON as log_history)")
    ap.add_argument("--no-dropout", action="store_true",
                    help="set every dropout rate to 0 (for step-by-step comparisons with triage)")
    ap.add_argument("--output-dir", help="the Trainer's output directory (default runs/hf_train; nothing is saved)")
    ap.add_argument("--bf16", action="store_true",
                    help="bf16 autocast on the CPU too (triage's run.precision bf16)")
    ap.add_argument("--cuda", action="store_true",
                    help="train on the GPU with bf16 autocast (triage's run.precision auto on CUDA)")
    args = ap.parse_args()

    import numpy as np
    import torch
    from seqeval.metrics import f1_score
    from torch import nn
    from transformers import (AutoModelForTokenClassification, AutoTokenizer, BertModel, BertPreTrainedModel,
                              Trainer, TrainingArguments, set_seed)
    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    base = args.base or subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "minilm_path.py")],
                                       check=True, capture_output=True, text=True).stdout.strip()
    tok = AutoTokenizer.from_pretrained(base)
    with open(os.path.join(base, "config.json")) as f:
        model_type = json.load(f).get("model_type", "bert")
    if model_type != "bert" and args.no_dropout:
        sys.exit(f"hf_train.py: --no-dropout is for BERT bases; {base} is {model_type}")
    train_w, train_t, train_i = read_split(os.path.join(args.data, "train"))
    if args.max_train:
        train_w, train_t, train_i = train_w[:args.max_train], train_t[:args.max_train], train_i[:args.max_train]
    test_w, test_t, test_i = read_split(os.path.join(args.data, "test"))
    types = sorted({t[2:] for s in train_t for t in s if t != "O"})
    tags = ["O"] + [f"{p}-{t}" for t in types for p in "BI"]
    tag_id = {t: i for i, t in enumerate(tags)}
    intents = sorted(set(train_i))
    intent_id = {t: i for i, t in enumerate(intents)}

    def encode(words, tag_seqs, ints):
        enc = tok(words, is_split_into_words=True, truncation=True, max_length=args.max_len)
        feats = []
        for i in range(len(words)):
            wids = enc.word_ids(i)
            labels, prev = [], None
            for w in wids:
                if w is None or w == prev:
                    labels.append(-100)
                else:
                    labels.append(tag_id.get(tag_seqs[i][w], -100))
                prev = w
            feats.append({"input_ids": enc["input_ids"][i], "attention_mask": enc["attention_mask"][i],
                          "labels": labels, "intent": intent_id.get(ints[i], -100)})
        return feats

    train = encode(train_w, train_t, train_i)
    test = encode(test_w, test_t, test_i)

    class JointBert(BertPreTrainedModel):
        def __init__(self, config):
            super().__init__(config)
            self.bert = BertModel(config, add_pooling_layer=False)
            self.dropout = nn.Dropout(config.hidden_dropout_prob)
            self.classifier = nn.Linear(config.hidden_size, len(tags))
            self.intent_classifier = nn.Linear(config.hidden_size, len(intents))
            self.post_init()

        def forward(self, input_ids=None, attention_mask=None, labels=None, intent=None):
            h = self.dropout(self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state)
            logits = self.classifier(h)
            intent_logits = self.intent_classifier(h[:, 0])
            loss = None
            if labels is not None:
                ce = nn.CrossEntropyLoss(ignore_index=-100)
                loss = ce(logits.reshape(-1, logits.size(-1)), labels.reshape(-1)) + ce(intent_logits, intent)
            return {"loss": loss, "logits": logits, "intent_logits": intent_logits}

    def collate(batch):
        n = max(len(b["input_ids"]) for b in batch)
        pad = lambda seq, v: seq + [v] * (n - len(seq))
        return {"input_ids": torch.tensor([pad(b["input_ids"], tok.pad_token_id) for b in batch]),
                "attention_mask": torch.tensor([pad(b["attention_mask"], 0) for b in batch]),
                "labels": torch.tensor([pad(b["labels"], -100) for b in batch]),
                "intent": torch.tensor([b["intent"] for b in batch])}

    class JointAuto(nn.Module):
        """Any other family: its own token-classification model plus the intent head."""

        def __init__(self):
            super().__init__()
            self.tc = AutoModelForTokenClassification.from_pretrained(base, num_labels=len(tags))
            self.config = self.tc.config
            self.intent_classifier = nn.Linear(self.config.hidden_size, len(intents))

        def forward(self, input_ids=None, attention_mask=None, labels=None, intent=None):
            out = self.tc(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            logits, intent_logits = out.logits, self.intent_classifier(out.hidden_states[-1][:, 0])
            loss = None
            if labels is not None:
                ce = nn.CrossEntropyLoss(ignore_index=-100)
                loss = ce(logits.reshape(-1, logits.size(-1)), labels.reshape(-1)) + ce(intent_logits, intent)
            return {"loss": loss, "logits": logits, "intent_logits": intent_logits}

    if model_type == "bert":
        model = JointBert.from_pretrained(base, **({"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
                                                  if args.no_dropout else {}))
    else:
        model = JointAuto()
    out_dir = args.output_dir or os.path.join(ROOT, "runs", "hf_train")
    import math
    total_steps = math.ceil(len(train) / args.batch_size) * math.ceil(args.epochs)
    warmup_steps = math.ceil(args.warmup_ratio * total_steps)  # triage's rounding
    targs = TrainingArguments(output_dir=out_dir, per_device_train_batch_size=args.batch_size,
                              learning_rate=args.lr, num_train_epochs=args.epochs, weight_decay=0.01,
                              warmup_steps=warmup_steps, lr_scheduler_type="linear", max_grad_norm=1.0,
                              seed=args.seed, save_strategy="no", report_to=[], logging_steps=args.logging_steps,
                              use_cpu=not args.cuda, bf16=args.cuda or args.bf16, dataloader_num_workers=0, disable_tqdm=True,
                              remove_unused_columns=False,
                              **({"train_sampling_strategy": "group_by_length"} if args.group_by_length else {}))
    trainer = Trainer(model=model, args=targs, train_dataset=train, data_collator=collate)
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    steps_per_epoch = (len(train) + args.batch_size - 1) // args.batch_size
    tokens = sum(len(f["input_ids"]) for f in train) * args.epochs

    model.eval()
    gold_tags, pred_tags, intent_ok, frame_ok = [], [], 0, 0
    with torch.inference_mode():
        for s in range(0, len(test), 64):
            chunk = test[s:s + 64]
            b = collate(chunk)
            device = next(model.parameters()).device
            out = model(input_ids=b["input_ids"].to(device), attention_mask=b["attention_mask"].to(device))
            preds = out["logits"].argmax(-1)
            ipred = out["intent_logits"].argmax(-1)
            for j, f in enumerate(chunk):
                k = s + j
                g = test_t[k]
                wids = tok(test_w[k], is_split_into_words=True, truncation=True, max_length=args.max_len).word_ids()
                prev = None
                pw = ["O"] * len(g)
                for pos, w in enumerate(wids):
                    if w is not None and w != prev:
                        pw[w] = tags[int(preds[j, pos])]
                    prev = w
                gold_tags.append(g)
                pred_tags.append(pw)
                iok = int(ipred[j]) == intent_id.get(test_i[k], -1)
                intent_ok += iok
                frame_ok += iok and pw == g
    res = {"peer": "transformers Trainer", "model_type": model_type, "data": args.data, "train_examples": len(train),
           "test_examples": len(test), "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
           "max_len": args.max_len, "seed": args.seed, "threads": args.threads,
           "device": ("cuda" if args.cuda else "cpu") + (" (bf16 autocast)" if args.cuda or args.bf16 else ""), "group_by_length": args.group_by_length,
           "slot_f1": 100 * f1_score(gold_tags, pred_tags), "intent_accuracy": 100 * intent_ok / len(test),
           "frame_accuracy": 100 * frame_ok / len(test), "train_seconds": seconds,
           "train_tokens_per_s": tokens / seconds, "steps": steps_per_epoch * args.epochs,
           "log_history": trainer.state.log_history}
    print(json.dumps(res, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
