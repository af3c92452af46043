"""Tiny random base models, one per encoder family, written by transformers (issue 17): shared by
the end-to-end and kill/resume tests so that every family is exercised with the same shapes.
Each has 2-3 layers of width 32 over `vocab` tokens and 130 positions; deberta-v2 is v3-style
(relative attention with log buckets, shared keys, no absolute positions), electra has
embedding_size != hidden_size and modernbert's local window (16) is narrower than the inputs."""

FAMILIES = ("bert", "distilbert", "electra", "deberta-v2", "modernbert")


def tiny_base(family, vocab):
    """The random (torch.manual_seed is the caller's) base model of `family`."""
    import transformers as t
    if family == "bert":
        return t.BertModel(t.BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                        intermediate_size=48, max_position_embeddings=130))
    if family == "distilbert":
        return t.DistilBertModel(t.DistilBertConfig(vocab_size=vocab, dim=32, n_layers=2, n_heads=4, hidden_dim=48,
                                                    max_position_embeddings=130))
    if family == "electra":
        return t.ElectraModel(t.ElectraConfig(vocab_size=vocab, embedding_size=16, hidden_size=32, num_hidden_layers=2,
                                              num_attention_heads=4, intermediate_size=48,
                                              max_position_embeddings=130))
    if family == "deberta-v2":
        return t.DebertaV2Model(t.DebertaV2Config(vocab_size=vocab, hidden_size=32, num_hidden_layers=2,
                                                  num_attention_heads=4, intermediate_size=48,
                                                  max_position_embeddings=130, relative_attention=True,
                                                  pos_att_type=["p2c", "c2p"], share_att_key=True,
                                                  position_biased_input=False, position_buckets=16,
                                                  norm_rel_ebd="layer_norm", type_vocab_size=0))
    if family == "modernbert":
        return t.ModernBertModel(t.ModernBertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=3,
                                                    num_attention_heads=4, intermediate_size=48,
                                                    max_position_embeddings=130, local_attention=16,
                                                    global_attn_every_n_layers=2, pad_token_id=0, bos_token_id=101,
                                                    eos_token_id=102, cls_token_id=101, sep_token_id=102))
    raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")


TOKENIZER_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json")


def minilm_tokenizer_dir():
    """The installed MiniLM package's directory (its WordPiece tokenizer files)."""
    import os
    import subprocess
    import sys
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    return subprocess.run([sys.executable, os.path.join(root, "scripts", "minilm_path.py")], check=True,
                          capture_output=True, text=True).stdout.strip()


def save_tiny_base(family, path, vocab_dir=None):
    """tiny_base(family) from torch seed 0, saved at `path` with MiniLM's tokenizer files beside it:
    a base model directory triage-train's model.base reads. Returns path."""
    import os
    import shutil
    import torch
    vocab_dir = vocab_dir or minilm_tokenizer_dir()
    torch.manual_seed(0)
    tiny_base(family, 30522).save_pretrained(path)
    for f in TOKENIZER_FILES:
        shutil.copy(os.path.join(vocab_dir, f), path)
    return path
