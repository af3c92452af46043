#!/usr/bin/env python3
"""The tokenizer.json pipeline (data::JsonTokenizer, loaded by load_tokenizer) against the
`tokenizers` library: for every configuration below, every text's ids, offsets (code
points), special-token mask and word ids from tokenizer_dump must equal
`Tokenizer.from_file(...).encode_batch(texts)`.

Models are trained here on the shared corpus (a byte-level BPE, a character BPE with a "##"
prefix and [UNK], a Metaspace BPE with byte_fallback, a Metaspace Unigram, a WordLevel); each configuration is that model's
tokenizer.json with its normalizer, pre-tokenizer, post-processor and added tokens written
by hand, covering every stage and option data/ implements:
  roberta_aps{0,1}_trim{0,1}  ByteLevel + RobertaProcessing, <mask> lstrip (RoBERTa)
  gpt2                        ByteLevel(add_prefix_space false) + ByteLevel post-processor
  modernbert                  ByteLevel + TemplateProcessing [CLS] $A [SEP], added [MASK]
  bytelevel_seq               normalizers Strip+Lowercase, ByteLevel(use_regex false),
                              Sequence[ByteLevel, TemplateProcessing]
  bert_bpe                    BertNormalizer + BertPreTokenizer + BertProcessing
  whitespace                  Replace (string, regex), StripAccents, Lowercase, Strip,
                              Whitespace, TemplateProcessing with two-id specials
  punct_digits                Prepend, WhitespaceSplit, Punctuation(merged_with_previous),
                              Digits(individual)
  split_<behavior>            Split with a regex, each of the five behaviors
  split_invert / digits_contiguous   Split(String, invert), Digits + Punctuation(contiguous)
  metaspace_{always,first,never}     Metaspace prepend schemes, split true/false
  wordpiece_bert              the shared WordPiece fixture's own tokenizer.json
  wordpiece_whitespace        its WordPiece model behind Lowercase, StripAccents, Whitespace
  unigram_nmt_nfkc            Nmt + NFKC + Replace, Metaspace, Unigram with byte_fallback
  unigram_nfc                 NFC, Metaspace, Unigram without byte_fallback
  nfd_whitespace / nfkd_lowercase    NFD; NFKD + StripAccents + Lowercase (character BPE)
  wordlevel                   NFKC + Lowercase, Whitespace, a trained WordLevel model
and as transformers converts the shared SentencePiece fixtures (Precompiled charsmap,
WhitespaceSplit / Metaspace, Unigram, TemplateProcessing):
  xlmr, xlmr_ja, deberta_v3, xlnet, t5, albert (XLNet's stages plus Lowercase)
Added tokens with every option (special, lstrip, rstrip, single_word, normalized true and
false) are in most configurations, and texts with them inserted are part of the corpus.

Then the RoBERTa files without tokenizer.json (vocab.json + merges.txt +
tokenizer_config.json, add_prefix_space false and true) against transformers' AutoTokenizer
on the same directory, and what triage's save() writes (from those and from tokenizer.json
configurations) read back by AutoTokenizer.

Corpus: every text line of ../shared/datasets, tests/data/tokenizer_edge_cases.txt, the
same lines with added tokens inserted, (for one configuration of each family of stages,
SWEEP) the sweep over every code point, and (PAIRS) every code point beside characters
that normalization rewrites, reorders or composes.
Arguments: configuration names to run (default: all; "saved" adds the legacy-files and
save() checks, which need modernbert and roberta_aps1_trim1).
Env: TRIAGE_SHARED_DIR, TRIAGE_TEST_BIN_DIR (tokenizer_dump). Exit 0 equal, 1 a mismatch,
77 absent.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tokenizer_parity as tp  # noqa: E402


def added(content, id_, special=False, lstrip=False, rstrip=False, single_word=False, normalized=None):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": (not special) if normalized is None else normalized,
            "special": special}


def template(front, back, specials):
    single = [{"SpecialToken": {"id": t, "type_id": 0}} for t in front] + \
             [{"Sequence": {"id": "A", "type_id": 0}}] + \
             [{"SpecialToken": {"id": t, "type_id": 0}} for t in back]
    pair = single + [{"Sequence": {"id": "B", "type_id": 1}}] + \
        [{"SpecialToken": {"id": t, "type_id": 1}} for t in back]
    return {"type": "TemplateProcessing", "single": single, "pair": pair,
            "special_tokens": {name: {"id": name, "ids": ids, "tokens": [name] * len(ids)}
                               for name, ids in specials.items()}}


def split(pattern, behavior, invert=False):
    return {"type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert}


def train(lines):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from tokenizers.implementations import ByteLevelBPETokenizer
    bl = ByteLevelBPETokenizer()
    bl.train_from_iterator(lines, vocab_size=4000, min_frequency=2,
                           special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    ch = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##"))
    ch.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    ch.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=3000, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        continuing_subword_prefix="##", limit_alphabet=400))
    ms = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    ms.pre_tokenizer = pre_tokenizers.Metaspace()
    ms.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=3000, special_tokens=["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)],
        limit_alphabet=200))
    # Unigram behind Metaspace; the 256 byte tokens appended (byte_fallback) at the lowest score
    ug = Tokenizer(models.Unigram())
    ug.pre_tokenizer = pre_tokenizers.Metaspace()
    ug.train_from_iterator(lines, trainers.UnigramTrainer(
        vocab_size=3000, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>", max_piece_length=12))
    ug = json.loads(ug.to_str())
    low = min(score for _, score in ug["model"]["vocab"])
    ug["model"]["vocab"] += [[f"<0x{b:02X}>", low] for b in range(256)]
    wl = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    wl.pre_tokenizer = pre_tokenizers.Whitespace()
    wl.train_from_iterator(lines, trainers.WordLevelTrainer(vocab_size=3000, special_tokens=["[UNK]", "[CLS]", "[SEP]"]))
    return (json.loads(bl._tokenizer.to_str()),
            json.loads(ch.to_str()), json.loads(ms.to_str()), ug, json.loads(wl.to_str()))


def spm_configs(shared):
    """tokenizer.json files as transformers converts a SentencePiece .model for each model
    family (Precompiled charsmap, Metaspace, Unigram): the shared fixtures behind the
    XLM-R, DeBERTa-v2/v3, XLNet, T5 and (its stages written out) ALBERT tokenizer classes."""
    import shutil
    from transformers import AutoTokenizer
    from transformers.utils import logging
    logging.set_verbosity_error()
    spm = shared / "fixtures" / "sentencepiece"
    out = {}
    for name, cls, model, file in (("xlmr", "XLMRobertaTokenizer", "test_model.model", "sentencepiece.bpe.model"),
                                   ("xlmr_ja", "XLMRobertaTokenizer", "test_ja_model.model", "sentencepiece.bpe.model"),
                                   ("deberta_v3", "DebertaV2Tokenizer", "test_model.model", "spm.model"),
                                   ("xlnet", "XLNetTokenizer", "test_model.model", "spiece.model"),
                                   ("t5", "T5Tokenizer", "test_model.model", "spiece.model")):
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(spm / model, Path(d) / file)
            (Path(d) / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": cls}))
            out[name] = json.loads(AutoTokenizer.from_pretrained(d).backend_tokenizer.to_str())
    # ALBERT: XLNet's stages with Lowercase after StripAccents (transformers' AlbertConverter)
    albert = json.loads(json.dumps(out["xlnet"]))
    norms = albert["normalizer"]["normalizers"]
    at = next(i for i, n in enumerate(norms) if n["type"] == "StripAccents") + 1
    albert["normalizer"]["normalizers"] = norms[:at] + [{"type": "Lowercase"}] + norms[at:]
    out["albert"] = albert
    return out


def configs(bl, ch, ms, ug, wl, wp):
    def base(model_json, **stages):
        j = json.loads(json.dumps(model_json))
        j.update({"normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": None})
        j.update(stages)
        return j

    out = {}
    v = len(bl["model"]["vocab"])
    ids = bl["model"]["vocab"]
    bl_added = [added("<s>", ids["<s>"], special=True), added("<pad>", ids["<pad>"], special=True),
                added("</s>", ids["</s>"], special=True), added("<unk>", ids["<unk>"], special=True),
                added("<mask>", ids["<mask>"], special=True, lstrip=True)]
    user = [added("[NUM]", v, rstrip=True), added("ORDER", v + 1, single_word=True),
            added("e-mail", v + 2, lstrip=True, rstrip=True, normalized=False)]
    roberta_post = lambda trim, aps: {"type": "RobertaProcessing", "sep": ["</s>", ids["</s>"]],
                                      "cls": ["<s>", ids["<s>"]], "trim_offsets": trim, "add_prefix_space": aps}
    byte_pre = lambda aps, regex=True: {"type": "ByteLevel", "add_prefix_space": aps, "trim_offsets": True,
                                        "use_regex": regex}
    for aps in (False, True):
        for trim in (False, True):
            out[f"roberta_aps{int(aps)}_trim{int(trim)}"] = base(
                bl, added_tokens=bl_added + user, pre_tokenizer=byte_pre(aps), post_processor=roberta_post(trim, aps))
    out["gpt2"] = base(bl, added_tokens=bl_added[:1] + user[:2], pre_tokenizer=byte_pre(False),
                       post_processor={"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                                       "use_regex": True})
    mb_added = [added("[CLS]", v, special=True), added("[SEP]", v + 1, special=True),
                added("[MASK]", v + 2, special=True, lstrip=True), added("[NUM]", v + 3, rstrip=True)]
    out["modernbert"] = base(bl, added_tokens=mb_added, pre_tokenizer=byte_pre(False),
                             post_processor=template(["[CLS]"], ["[SEP]"], {"[CLS]": [v], "[SEP]": [v + 1]}))
    out["bytelevel_seq"] = base(
        bl, added_tokens=bl_added + user,
        normalizer={"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": True, "strip_right": False},
                                                        {"type": "Lowercase"}]},
        pre_tokenizer=byte_pre(True, regex=False),
        post_processor={"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": False},
            template(["<s>"], ["</s>"], {"<s>": [ids["<s>"]], "</s>": [ids["</s>"]]})]})

    cv = len(ch["model"]["vocab"])
    cids = ch["model"]["vocab"]
    ch_added = [added(t, cids[t], special=True) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]")] + \
        [added("[MASK]", cids["[MASK]"], special=True, lstrip=True)] + \
        [added("[NUM]", cv, rstrip=True), added("ORDER", cv + 1, single_word=True),
         added("e-mail", cv + 2, lstrip=True, rstrip=True, normalized=False)]
    bert_post = {"type": "BertProcessing", "sep": ["[SEP]", cids["[SEP]"]], "cls": ["[CLS]", cids["[CLS]"]]}
    out["bert_bpe"] = base(ch, added_tokens=ch_added,
                           normalizer={"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                                       "strip_accents": None, "lowercase": True},
                           pre_tokenizer={"type": "BertPreTokenizer"}, post_processor=bert_post)
    out["whitespace"] = base(
        ch, added_tokens=ch_added,
        normalizer={"type": "Sequence", "normalizers": [
            {"type": "Replace", "pattern": {"String": "``"}, "content": "\""},
            {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
            {"type": "Replace", "pattern": {"String": "ss"}, "content": "ß"},
            {"type": "StripAccents"}, {"type": "Lowercase"}, {"type": "Strip", "strip_left": True, "strip_right": True}]},
        pre_tokenizer={"type": "Whitespace"},
        post_processor=template(["[CLS]"], ["[SEP]"], {"[CLS]": [cids["[CLS]"], cids["[PAD]"]], "[SEP]": [cids["[SEP]"]]}))
    out["punct_digits"] = base(
        ch, added_tokens=ch_added,
        normalizer={"type": "Prepend", "prepend": "##"},
        pre_tokenizer={"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"}, {"type": "Punctuation", "behavior": "MergedWithPrevious"},
            {"type": "Digits", "individual_digits": True}]},
        post_processor=bert_post)
    for behavior in ("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"):
        out[f"split_{behavior.lower()}"] = base(
            ch, added_tokens=ch_added,
            pre_tokenizer=split({"Regex": r"\s+|[-/]|\d"}, behavior), post_processor=bert_post)
    out["split_invert"] = base(ch, added_tokens=ch_added,
                               pre_tokenizer=split({"String": " "}, "Removed", invert=True))
    out["digits_contiguous"] = base(
        ch, added_tokens=ch_added,
        pre_tokenizer={"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": False}, {"type": "Punctuation", "behavior": "Contiguous"},
            {"type": "Punctuation", "behavior": "Removed"}]})

    # WordPiece (the shared BERT uncased fixture): its own file through the pipeline (triage
    # loads it with the dedicated WordPiece tokenizer otherwise: both must equal tokenizers),
    # and the same model behind other stages, which load_tokenizer sends to the pipeline
    out["wordpiece_bert"] = json.loads(json.dumps(wp))
    wv = wp["model"]["vocab"]
    out["wordpiece_whitespace"] = base(
        wp, normalizer={"type": "Sequence", "normalizers": [{"type": "Lowercase"}, {"type": "StripAccents"}]},
        pre_tokenizer={"type": "Whitespace"},
        post_processor=template(["[CLS]"], ["[SEP]"], {"[CLS]": [wv["[CLS]"]], "[SEP]": [wv["[SEP]"]]}))

    mids = ms["model"]["vocab"]
    mv = len(mids)
    ms_added = [added("<unk>", mids["<unk>"], special=True), added("<s>", mids["<s>"], special=True),
                added("</s>", mids["</s>"], special=True), added("<mask>", mv, special=True, lstrip=True),
                added("[NUM]", mv + 1, rstrip=True)]
    ms_post = template(["<s>"], ["</s>"], {"<s>": [mids["<s>"]], "</s>": [mids["</s>"]]})
    for scheme, do_split in (("always", True), ("first", True), ("never", False), ("first", False)):
        out[f"metaspace_{scheme}_split{int(do_split)}"] = base(
            ms, added_tokens=ms_added,
            normalizer={"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            pre_tokenizer={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": scheme,
                           "split": do_split},
            post_processor=ms_post)

    # Unigram (trained) and the Unicode normal forms
    uids = {t: i for i, (t, _) in enumerate(ug["model"]["vocab"])}
    uv = len(uids)
    ug_added = [added("<pad>", uids["<pad>"], special=True), added("</s>", uids["</s>"], special=True),
                added("<unk>", uids["<unk>"], special=True), added("<mask>", uv, special=True, lstrip=True),
                added("[NUM]", uv + 1, rstrip=True), added("ORDER", uv + 2, single_word=True)]
    ug_post = template([], ["</s>"], {"</s>": [uids["</s>"]]})
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    ug["model"]["byte_fallback"] = True
    out["unigram_nmt_nfkc"] = base(  # SentencePieceUnigramTokenizer's normalizer
        ug, added_tokens=ug_added, pre_tokenizer=metaspace, post_processor=ug_post,
        normalizer={"type": "Sequence", "normalizers": [
            {"type": "Nmt"}, {"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]})
    no_fallback = json.loads(json.dumps(ug))
    no_fallback["model"]["byte_fallback"] = False
    out["unigram_nfc"] = base(no_fallback, added_tokens=ug_added, pre_tokenizer=metaspace, post_processor=ug_post,
                              normalizer={"type": "NFC"})
    out["nfd_whitespace"] = base(ch, added_tokens=ch_added, normalizer={"type": "NFD"},
                                 pre_tokenizer={"type": "Whitespace"}, post_processor=bert_post)
    out["nfkd_lowercase"] = base(
        ch, added_tokens=ch_added, post_processor=bert_post, pre_tokenizer={"type": "BertPreTokenizer"},
        normalizer={"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "StripAccents"},
                                                        {"type": "Lowercase"}]})
    wids = wl["model"]["vocab"]
    out["wordlevel"] = base(wl, added_tokens=[added(t, wids[t], special=True) for t in ("[UNK]", "[CLS]", "[SEP]")],
                            normalizer={"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
                            pre_tokenizer={"type": "Whitespace"},
                            post_processor=template(["[CLS]"], ["[SEP]"], {"[CLS]": [wids["[CLS]"]], "[SEP]": [wids["[SEP]"]]}))
    return out


# the configurations that also get the all-code-point sweep (one per family of stages; the
# sweep is most of the run time, the others differ from these only in options the
# dataset lines and edge cases exercise)
SWEEP = {"wordpiece_bert", "roberta_aps1_trim1", "modernbert", "bert_bpe", "whitespace", "punct_digits", "split_isolated",
         "metaspace_first_split1", "xlmr", "albert", "unigram_nmt_nfkc", "nfd_whitespace"}
# and the sweep of pairs, for the stages that look at neighbouring characters (canonical
# reordering and composition, Precompiled's grapheme clusters)
PAIRS = {"xlmr", "unigram_nmt_nfkc", "nfd_whitespace"}


def pair_lines():
    """Every code point (surrogates aside) after U+00A0 and U+FF21, which the SentencePiece
    charsmaps rewrite (so a cluster of the two is looked up whole, and the code point
    dropped), and between marks of classes 220 and 230 (reordered around it if it has a
    class, composed with if it composes); 32 per line."""
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    return [" ".join(f"\u00a0{chr(c)} \uff21{chr(c)} a\u0316{chr(c)}\u0301 {chr(c)}\u0308" for c in cps[i:i + 32])
            for i in range(0, len(cps), 32)]


def with_added_tokens(lines, n=10000, seed=7):
    """Lines with added-token contents inserted at random places (inside words, after
    spaces, at the ends), so that every option of the matcher is exercised."""
    rnd = random.Random(seed)
    contents = ["<mask>", "[MASK]", "[NUM]", "ORDER", "order", "e-mail", "<s>", "[CLS]", " <mask> ", "  [NUM]  "]
    out = []
    for line in rnd.sample(lines, min(n, len(lines))):
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randint(0, len(line))
            line = line[:at] + rnd.choice(contents) + line[at:]
        out.append(line)
    return out


def oracle(tok, texts, words=False):
    tok.no_padding()  # triage ignores padding and truncation (it cuts windows itself)
    tok.no_truncation()
    rows = []
    for i in range(0, len(texts), 4096):
        for e in tok.encode_batch(texts[i:i + 4096], is_pretokenized=words):
            rows.append((e.ids, [tuple(o) for o in e.offsets], e.special_tokens_mask,
                         [-1 if w is None else w for w in e.word_ids]))
    return rows


def hf_rows(tok, texts):
    """ids, offsets, special-token mask and word ids as a transformers tokenizer gives them."""
    rows = []
    for i in range(0, len(texts), 4096):
        enc = tok(texts[i:i + 4096], return_offsets_mapping=True, return_special_tokens_mask=True)
        for k in range(len(enc["input_ids"])):
            rows.append((enc["input_ids"][k], [tuple(o) for o in enc["offset_mapping"][k]],
                         enc["special_tokens_mask"][k], [-1 if w is None else w for w in enc.word_ids(k)]))
    return rows


def legacy_and_saved(bl, configs_by_name, texts, bin_dir, tmp):
    """vocab.json + merges.txt (RoBERTa files without tokenizer.json) against transformers'
    AutoTokenizer on the same directory; then the directories triage's save() writes (from
    those files and from a tokenizer.json), loaded back by AutoTokenizer."""
    from transformers import AutoTokenizer
    from transformers.utils import logging
    logging.set_verbosity_error()
    bad = total = 0
    for aps in (False, True):
        name = f"legacy_roberta_aps{int(aps)}"
        d = Path(tmp) / name
        d.mkdir()
        (d / "vocab.json").write_text(json.dumps(bl["model"]["vocab"], ensure_ascii=False), encoding="utf-8")
        merges = [m if isinstance(m, str) else " ".join(m) for m in bl["model"]["merges"]]
        (d / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
        (d / "tokenizer_config.json").write_text(json.dumps(
            {"tokenizer_class": "RobertaTokenizer", "add_prefix_space": aps}))
        hf = AutoTokenizer.from_pretrained(str(d))
        want = hf_rows(hf, texts)
        saved = Path(tmp) / (name + "_saved")
        got = tp.run_dump(bin_dir, [str(d), "--save", str(saved)], texts)
        bad += compare(name, texts, want, got)
        bad += compare(name + " saved by triage, read by AutoTokenizer", texts, want,
                       [{"ids": r[0], "offsets": r[1], "special": r[2], "words": r[3]}
                        for r in hf_rows(AutoTokenizer.from_pretrained(str(saved)), texts)])
        total += 2 * len(texts)
    for name in ("modernbert", "roberta_aps1_trim1"):
        d, saved = Path(tmp) / name, Path(tmp) / (name + "_saved")
        from tokenizers import Tokenizer
        want = oracle(Tokenizer.from_file(str(d / "tokenizer.json")), texts)
        tp.run_dump(bin_dir, [str(d), "--save", str(saved)], [])
        bad += compare(name + " saved by triage, read by AutoTokenizer", texts, want,
                       [{"ids": r[0], "offsets": r[1], "special": r[2], "words": r[3]}
                        for r in hf_rows(AutoTokenizer.from_pretrained(str(saved)), texts)])
        total += len(texts)
    return bad, total


def compare(name, texts, want, got, summary=True, shown=0):
    bad = 0
    for text, w, g in zip(texts, want, got):
        gg = (g.get("ids"), [tuple(o) for o in g.get("offsets", [])], g.get("special"), g.get("words"))
        if gg != w:
            bad += 1
            if shown + bad <= 3:
                print(f"  MISMATCH {name}: {str(text)[:80]!r}")
                if "error" in g:
                    print(f"    triage error: {g['error']}")
                for label, a, b in zip(("ids", "offsets", "special", "words"), w, gg):
                    if a != b:
                        print(f"    {label}: tokenizers {str(a)[:240]}\n    {' ' * len(label)}  triage     {str(b)[:240]}")
    if summary:
        print(f"{name}: {len(texts)} encodings, {bad} mismatches")
    return bad


def compare_chunked(name, texts, tok, bin_dir, args, words=False, chunk=8192):
    """compare() over chunks of texts, so that no more than one chunk's encodings are held
    (the pair sweep through a byte-fallback Unigram is ~50 M offsets)."""
    bad = 0
    for i in range(0, len(texts), chunk):
        part = texts[i:i + chunk]
        bad += compare(name, part, oracle(tok, part, words=words), tp.run_dump(bin_dir, args, part),
                       summary=False, shown=bad)
    print(f"{name}: {len(texts)} encodings, {bad} mismatches")
    return bad


def main():
    shared, bin_dir = tp.oracle_inputs()
    from tokenizers import Tokenizer
    data = tp.dataset_lines(shared)
    base = data + tp.edge_lines() + with_added_tokens(data)
    sweep, pairs = tp.sweep_lines(), pair_lines()
    t0 = time.time()
    bl, ch, ms, ug, wl = train(data)
    print(f"trained 5 models in {time.time() - t0:.0f} s; {len(base)} texts per configuration, "
          f"+{len(sweep)} sweep lines for {', '.join(sorted(SWEEP))}, +{len(pairs)} pair lines for "
          f"{', '.join(sorted(PAIRS))}")
    bad_total = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        only = set(sys.argv[1:])  # configuration names to run (default: all)
        wp = json.loads((shared / "fixtures" / "wordpiece-uncased" / "tokenizer.json").read_text(encoding="utf-8"))
        all_configs = configs(bl, ch, ms, ug, wl, wp)
        all_configs.update(spm_configs(shared))
        for name, j in all_configs.items():
            if only and name not in only:
                continue
            texts = base + (sweep if name in SWEEP else []) + (pairs if name in PAIRS else [])
            d = Path(tmp) / name
            d.mkdir()
            (d / "tokenizer.json").write_text(json.dumps(j, ensure_ascii=False), encoding="utf-8")
            tok = Tokenizer.from_file(str(d / "tokenizer.json"))
            args = [str(d), "--pipeline"]  # the pipeline even for WordPiece with BERT's stages
            bad = compare_chunked(name, texts, tok, bin_dir, args)
            total += len(texts)
            # pre-split words (is_split_into_words): every configuration whose ByteLevel
            # pre-tokenizer adds the prefix space; the others must refuse them
            words = [t.split() for t in base]
            if (j["pre_tokenizer"] or {}).get("add_prefix_space", True) is False:
                rows = tp.run_dump(bin_dir, args + ["--words"], words[:1])
                if "add_prefix_space" not in rows[0].get("error", ""):
                    print(f"  {name}: pre-split words were not refused: {rows[0]}")
                    bad += 1
            else:
                bad += compare_chunked(name + " (words)", words, tok, bin_dir, args + ["--words"], words=True)
                total += len(words)
            bad_total += bad
        if not only or "saved" in only:  # needs modernbert and roberta_aps1_trim1 run first
            bad, n = legacy_and_saved(bl, None, base, bin_dir, tmp)
            bad_total += bad
            total += n
    print(f"{total} encodings compared, {bad_total} mismatches")
    return 1 if bad_total else 0


if __name__ == "__main__":
    sys.exit(main())
