#!/usr/bin/env bash
# triage-data end to end: validate (exit 0 / exit 2 with every error as file:line), convert
# round trips between the three formats, stats, generate determinism. Uses only files it
# writes itself, plus ../shared/datasets when present.
set -euo pipefail
bin="${TRIAGE_BIN_DIR:-build/bin}/triage-data"
shared="${TRIAGE_SHARED_DIR:-../shared}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- validate: a good file, then a file with several errors --------------------------------
cat > "$tmp/good.jsonl" <<'J'
{"id": "a", "text": "refund order 123 please", "entities": [{"start": 13, "end": 16, "label": "order_id"}], "intent": "refund"}
{"id": "b", "turns": [{"speaker": "customer", "text": "my mail is a@b.com"}, {"speaker": "agent", "text": "thanks"}], "entities": [{"turn": 0, "start": 11, "end": 18, "label": "email"}], "intent": "account"}
J
"$bin" validate "$tmp/good.jsonl" > "$tmp/out" || fail "validate good.jsonl exited $?"
grep -q "2 examples, 0 errors" "$tmp/out" || fail "validate summary: $(cat "$tmp/out")"

cat > "$tmp/bad.jsonl" <<'J'
{"id": "a", "text": "abc def", "entities": [{"start": 4, "end": 2, "label": "x"}]}
{"id": "b", "text": "abc def", "entities": [{"start": 0, "end": 5, "label": "x"}, {"start": 4, "end": 7, "label": "y"}]}
{"id": "c", "text": "ok"}
not json
J
set +e
"$bin" validate "$tmp/bad.jsonl" > "$tmp/out" 2> "$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "validate bad.jsonl exited $rc, expected 2"
grep -q "bad.jsonl:1: entity 0 \[4, 2) 'x': reversed" "$tmp/err" || fail "missing line 1 error: $(cat "$tmp/err")"
grep -q "bad.jsonl:2: entities \[0, 5) 'x' and \[4, 7) 'y' overlap" "$tmp/err" || fail "missing line 2 error"
grep -q "bad.jsonl:4: invalid JSON" "$tmp/err" || fail "missing line 4 error"
[ "$(grep -c '^error:' "$tmp/err")" = 3 ] || fail "expected 3 errors: $(cat "$tmp/err")"

mkdir -p "$tmp/jb"
printf 'play the song \nbook it\n' > "$tmp/jb/seq.in"
printf 'O O B-track \nO\n' > "$tmp/jb/seq.out"
set +e
"$bin" validate "$tmp/jb" --format jointbert > /dev/null 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "jointbert mismatch exited $rc"
grep -q "seq.in:2: 2 tokens in seq.in but 1 tags" "$tmp/err" || fail "jointbert error: $(cat "$tmp/err")"

# Usage errors exit 2.
set +e
"$bin" frobnicate > /dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "unknown command exited $rc"

# --- convert: jsonl -> conll (bioes) -> jsonl keeps text and spans --------------------------
"$bin" convert "$tmp/good.jsonl" "$tmp/good.conll" --to conll --out-scheme bioes > "$tmp/out"
grep -q "intent(s) dropped" "$tmp/out" || fail "convert to conll did not warn about intents"
grep -q "^123 S-order_id$" "$tmp/good.conll" || fail "bioes tags: $(cat "$tmp/good.conll")"
"$bin" convert "$tmp/good.conll" "$tmp/back.jsonl" --to jsonl --scheme bioes > /dev/null
head -1 "$tmp/back.jsonl" | grep -q '"text":"refund order 123 please","entities":\[{"start":13,"end":16,"label":"order_id"}\]' \
  || fail "conll -> jsonl: $(head -1 "$tmp/back.jsonl")"
# jsonl -> jsonl is lossless (turns, ids, intents).
"$bin" convert "$tmp/good.jsonl" "$tmp/copy.jsonl" --to jsonl > "$tmp/out"
! grep -q warning "$tmp/out" || fail "jsonl -> jsonl warned: $(cat "$tmp/out")"
"$bin" convert "$tmp/copy.jsonl" "$tmp/copy2.jsonl" --to jsonl > /dev/null
cmp -s "$tmp/copy.jsonl" "$tmp/copy2.jsonl" || fail "jsonl -> jsonl is not a fixed point"

# --- real datasets (when present) -----------------------------------------------------------
# JointBERT -> CoNLL -> JointBERT keeps every word and tag (both formats hold words);
# JointBERT -> JSONL keeps every span (checked exactly by data_roundtrip_test).
if [ -d "$shared/datasets/snips" ]; then
  "$bin" convert "$shared/datasets/snips" "$tmp/snips_conll" --to conll --format jointbert > "$tmp/out"
  grep -q "intent(s) dropped" "$tmp/out" || fail "jointbert -> conll did not warn about intents"
  "$bin" convert "$tmp/snips_conll" "$tmp/snips_jb" --to jointbert > /dev/null
  for split in train dev test; do
    for f in seq.in seq.out; do
      diff <(sed 's/  */ /g; s/^ //; s/ $//' "$shared/datasets/snips/$split/$f") "$tmp/snips_jb/$split/$f" > /dev/null \
        || fail "snips $split/$f changed in the JointBERT -> CoNLL -> JointBERT round trip"
    done
  done
  "$bin" convert "$shared/datasets/snips/train" "$tmp/snips_train.jsonl" --to jsonl > /dev/null
  "$bin" validate "$tmp/snips_train.jsonl" --quiet > "$tmp/out" || fail "converted snips does not validate"
  "$bin" validate "$shared/datasets/bitext_cs" --quiet > "$tmp/out" || fail "bitext_cs does not validate"
  "$bin" stats "$shared/datasets/bitext_cs/train.jsonl" --tokenizer "$shared/fixtures/wordpiece-uncased" --json > "$tmp/stats.json"
  grep -q '"examples": 6480' "$tmp/stats.json" || fail "stats: $(head -c 400 "$tmp/stats.json")"
  grep -q '"over_max_seq_len": 0' "$tmp/stats.json" || fail "stats over_max_seq_len"
else
  echo "note: $shared/datasets absent; real-data round trips not run"
fi

# --- generate: byte-identical for the same seed, different for another -------------------
if "$bin" generate "$tmp/g1" --seed 3 --train 50 --dev 10 --test 10 > "$tmp/out" 2>&1; then
  "$bin" generate "$tmp/g2" --seed 3 --train 50 --dev 10 --test 10 > /dev/null
  "$bin" generate "$tmp/g3" --seed 4 --train 50 --dev 10 --test 10 > /dev/null
  for s in train dev test; do
    cmp -s "$tmp/g1/$s.jsonl" "$tmp/g2/$s.jsonl" || fail "generate is not deterministic ($s)"
  done
  ! cmp -s "$tmp/g1/train.jsonl" "$tmp/g3/train.jsonl" || fail "seeds 3 and 4 gave the same corpus"
  "$bin" validate "$tmp/g1" --quiet > "$tmp/out" || fail "generated corpus does not validate: $(cat "$tmp/out")"
  [ "$(wc -l < "$tmp/g1/train.jsonl")" = 50 ] || fail "generate --train 50"
else
  fail "generate failed: $(cat "$tmp/out")"
fi
echo "triage-data CLI: all checks passed"
