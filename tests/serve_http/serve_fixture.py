"""Shared fixture of the triage-serve loopback tests (not a test itself).

- checkpoint(): writes a tiny random fine-tuned-style checkpoint (BERT, MiniLM's uncased
  vocabulary, a BIO token head over the sample corpus' 9 entity types and an intent head over
  its 8 intents) with numpy and a hand-written safetensors file: no transformers import, so
  it takes well under a second. Head weights are scaled up so that logits are far apart and
  argmax ties (which could flip between batch shapes) are practically impossible.
- Server: starts build/bin/triage-serve with --port 0, parses the contract's start-up line
  "triage-serve listening on http://HOST:PORT", keeps stderr in a log file, stops it.
- call(): one HTTP request on a fresh connection (http.client; `requests` is not installed).
- drip(): slow clients dripping header bytes (run as `serve_fixture.py drip HOST PORT N SECONDS`).

Env: TRIAGE_BIN_DIR (triage-serve), TRIAGE_SOURCE_DIR (repo root). Exit code 77 (skip)
when numpy or the MiniLM vocabulary package is missing.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("TRIAGE_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("TRIAGE_BIN_DIR") or os.path.join(ROOT, "build", "bin")
SKIP = 77

ENTITY_TYPES = ["account_id", "amount", "date", "email", "error_code", "order_id", "person_name", "phone", "product"]
INTENTS = ["cancellation", "shipping", "billing", "account_access", "general_question", "refund",
           "technical_issue", "complaint"]
BIO = ["O"] + [f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I")]
ROUTING_YAML = os.path.join(ROOT, "configs", "routing.yaml")

# Support messages, several with non-ASCII text (offsets are code points).
TEXTS = [
    "Hi, I want a refund for order A-12345, it arrived broken.",
    "My account ACC-778812 is locked and I can't log in, error E-4012.",
    "I was charged $1,200.50 twice on 3 March 2025 for my Acme Router X2.",
    "Bonjour, où est ma commande n° 4711 ? Le café est arrivé froid ☕.",
    "Ich möchte mein Abo kündigen – Kundennummer 998877, danke!",
    "我的订单 12345 还没到，请帮忙查询。",
    "emoji test 😀😀 order #A-99 👍 please cancel",
    "Email me at jane.doe@example.com or call +1 (555) 010-9999.",
    "ｆｕｌｌｗｉｄｔｈ text and combining e\u0301 accents: naïve résumé 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "where is my package",
]


def skip(msg):
    print(f"SKIP: {msg}")
    sys.exit(SKIP)


def require():
    """Exits 77 when what the fixture needs is missing; 1 when the binary is."""
    try:
        import numpy  # noqa: F401
    except ImportError as e:
        skip(f"numpy unavailable ({e})")
    exe = os.path.join(BIN, "triage-serve")
    if not os.access(exe, os.X_OK):
        print(f"FAIL: {exe} not found (build the triage-serve target)")
        sys.exit(1)


def minilm_dir():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "minilm_path.py")], capture_output=True,
                       text=True)
    if r.returncode != 0:
        skip(f"MiniLM vocabulary unavailable: {r.stderr.strip()}")
    return r.stdout.strip()


def write_safetensors(path, tensors):
    """tensors: {name: float32 numpy array}."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = tensors[name].astype("<f4", copy=False)
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def checkpoint(out, seed, hidden=32, layers=2, heads=4, intermediate=64, max_seq_len=64, stride=16,
               intents=True, vocab_from=None):
    """A serving-ready checkpoint directory at `out` (returns it)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    vocab_from = vocab_from or minilm_dir()
    vocab = 30522
    positions = max(128, max_seq_len)
    os.makedirs(out, exist_ok=True)

    def normal(*shape, std=0.02):
        return rng.normal(0.0, std, size=shape).astype(np.float32)

    t = {
        "bert.embeddings.word_embeddings.weight": normal(vocab, hidden, std=0.5),
        "bert.embeddings.position_embeddings.weight": normal(positions, hidden),
        "bert.embeddings.token_type_embeddings.weight": normal(2, hidden),
        "bert.embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
        "bert.embeddings.LayerNorm.bias": np.zeros(hidden, np.float32),
    }
    for i in range(layers):
        p = f"bert.encoder.layer.{i}."
        for m in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            t[p + m + ".weight"] = normal(hidden, hidden, std=0.2)
            t[p + m + ".bias"] = np.zeros(hidden, np.float32)
        t[p + "intermediate.dense.weight"] = normal(intermediate, hidden, std=0.2)
        t[p + "intermediate.dense.bias"] = np.zeros(intermediate, np.float32)
        t[p + "output.dense.weight"] = normal(hidden, intermediate, std=0.2)
        t[p + "output.dense.bias"] = np.zeros(hidden, np.float32)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[p + ln + ".weight"] = np.ones(hidden, np.float32)
            t[p + ln + ".bias"] = np.zeros(hidden, np.float32)
    # Heads: large weights (logit gaps of whole units), O favoured so entities stay sparse.
    t["classifier.weight"] = normal(len(BIO), hidden, std=1.0)
    bias = np.zeros(len(BIO), np.float32)
    bias[0] = 2.0
    t["classifier.bias"] = bias
    if intents:
        t["intent_classifier.weight"] = normal(len(INTENTS), hidden, std=1.0)
        t["intent_classifier.bias"] = np.zeros(len(INTENTS), np.float32)
    write_safetensors(os.path.join(out, "model.safetensors"), t)
    config = {
        "architectures": ["BertForTokenClassification"], "model_type": "bert", "vocab_size": vocab,
        "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
        "intermediate_size": intermediate, "max_position_embeddings": positions, "type_vocab_size": 2,
        "pad_token_id": 0, "layer_norm_eps": 1e-12, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "id2label": {str(i): l for i, l in enumerate(BIO)}, "label2id": {l: i for i, l in enumerate(BIO)},
    }
    if intents:
        config["triage_intent_labels"] = INTENTS
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "triage.json"), "w") as f:
        json.dump({"format_version": 1, "labels": BIO, "intent_labels": INTENTS if intents else [],
                   "max_seq_len": max_seq_len, "stride": stride}, f, indent=2)
    for name in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
        if os.path.exists(os.path.join(vocab_from, name)):
            shutil.copy(os.path.join(vocab_from, name), out)
    return out


def broken_checkpoint(out, good):
    """A copy of `good` whose model.safetensors is cut short (load must fail)."""
    shutil.copytree(good, out)
    path = os.path.join(out, "model.safetensors")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size // 2)
    return out


def run_tool(cmd, what):
    """Runs a triage binary (or any command) and returns its stdout; on failure prints the
    tail of its stderr and exits 1."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL: {what} exited {r.returncode}\n{r.stderr[-3000:]}")
        sys.exit(1)
    return r.stdout


def misplaced_entity(text, entities):
    """The first /v1/route entity that is not exactly text[start:end] (code points) or is
    empty, else None."""
    for e in entities:
        if text[e["start"]:e["end"]] != e["text"] or e["start"] >= e["end"]:
            return e
    return None


def tmpdir(prefix):
    return tempfile.mkdtemp(prefix=f"triage-{prefix}-")


LISTEN_RE = re.compile(r"^triage-serve listening on http://([^:/\s]+|\[[^\]]+\]):(\d+)\s*$")


class Server:
    """triage-serve on an ephemeral loopback port."""

    def __init__(self, model, tmp, sets=(), routing=None, env=None, start_timeout=90, extra_args=()):
        self.log_path = os.path.join(tmp, f"serve-{int(time.time() * 1000) % 10**8}.log")
        cmd = [os.path.join(BIN, "triage-serve"), "--model", model, "--port", "0", "--host", "127.0.0.1"]
        if routing:
            cmd += ["--routing", routing]
        for s in sets:
            cmd += ["--set", s]
        cmd += list(extra_args)
        e = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_SERVE_") and k != "TRIAGE_ADMIN_TOKEN"}
        e.update(env or {})
        self.cmd = cmd
        self.log = open(self.log_path, "w")
        t0 = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, env=e, text=True)
        self.stdout_lines = []
        self.host = self.port = None
        ready = threading.Event()

        def reader():
            for line in self.proc.stdout:
                self.stdout_lines.append(line)
                m = LISTEN_RE.match(line)
                if m and self.port is None:
                    self.host, self.port = m.group(1).strip("[]"), int(m.group(2))
                    ready.set()
            ready.set()

        threading.Thread(target=reader, daemon=True).start()
        ready.wait(start_timeout)
        if self.port is None:
            rc = self.proc.poll()
            if rc is None:
                self.proc.kill()
                self.proc.wait()
            raise RuntimeError(f"triage-serve did not print its listening line (exit {rc}); stdout "
                               f"{self.stdout_lines!r}; log tail:\n{self.log_tail()}")
        self.start_s = time.time() - t0

    def log_tail(self, n=4000):
        if not self.log.closed:
            self.log.flush()
        try:
            return open(self.log_path, errors="replace").read()[-n:]
        except OSError:
            return ""

    def call(self, method, path, body=None, headers=None, timeout=60):
        return call(self.host, self.port, method, path, body, headers, timeout)

    def post(self, path, obj, headers=None, timeout=60):
        return self.call("POST", path, json.dumps(obj).encode(), headers, timeout)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit code (kills after `timeout`, returns None)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        self.log.close()
        return self.proc.returncode


class Client:
    """A keep-alive connection (one per load thread, so a long load does not use up ephemeral
    ports). No retries: an exception is the caller's failed request."""

    def __init__(self, host, port, timeout=60):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None

    def connect(self):
        """Open the connection now (bursts: connect first, then send all requests at once, so
        the server's listen backlog is not what the test measures)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.connect()
        return self

    def post(self, path, obj, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        try:
            self.conn.request("POST", path, body=json.dumps(obj).encode(), headers=h)
            r = self.conn.getresponse()
            out = Response(r.status, r.getheaders(), r.read())
            if r.will_close:
                self.close()
            return out
        except Exception:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def call(host, port, method, path, body=None, headers=None, timeout=60):
    """One request on a fresh connection; returns Response (raises on connection errors)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def rss_mb(pid):
    """Resident memory of a process in MB (VmRSS of /proc/PID/status; nan when absent)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def metric_value(metrics_text, name, labels=None):
    """Sum of the samples of `name` whose labels include `labels` (dict); None if absent."""
    total, found = 0.0, False
    for line in metrics_text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if labels and any(got.get(k) != v for k, v in labels.items()):
            continue
        total += float(m.group(3))
        found = True
    return total if found else None


def drip(host, port, n, seconds):
    """Slow clients, run as a child process (`serve_fixture.py drip HOST PORT N SECONDS`): n
    connections, each sends a request line and then one header byte a second; a connection
    the server closes is reopened. Prints one JSON line: {"open_at_end", "closed": [[lifetime
    in s from connect to close, the answer's status or null], ...]}."""
    socks, closed = {}, []

    def open_one():
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(b"POST /v1/route HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        s.setblocking(False)
        socks[s] = time.time()

    def close(s, status):
        closed.append((time.time() - socks.pop(s), status))
        s.close()

    for _ in range(n):
        open_one()
    end = time.time() + seconds
    while time.time() < end:
        t = time.time()
        for s in list(socks):
            status = None
            try:
                d = s.recv(4096)
                if d.startswith(b"HTTP/1."):
                    status = int(d.split()[1])
                close(s, status)  # an answer or EOF: the server ended it
                open_one()
                continue
            except BlockingIOError:
                pass
            except OSError:
                close(s, None)
                open_one()
                continue
            try:
                s.send(b"a")
            except BlockingIOError:
                pass
            except OSError:
                close(s, None)
                open_one()
        time.sleep(max(0.0, 1.0 - (time.time() - t)))
    print(json.dumps({"open_at_end": len(socks), "closed": closed}), flush=True)
    for s in socks:
        s.close()


class Checks:
    """Collects failed assertions so one run reports all of them."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def check(self, cond, what):
        self.count += 1
        if not cond:
            self.failures.append(what)
            print(f"  FAIL: {what}", flush=True)
        return cond

    def done(self, name, tmp=None):
        """Prints the verdict; removes `tmp` when everything passed (kept for a look otherwise)."""
        if tmp and not self.failures:
            shutil.rmtree(tmp, ignore_errors=True)
        if self.failures:
            print(f"{name}: {len(self.failures)} of {self.count} checks failed")
            return 1
        print(f"{name}: all {self.count} checks passed")
        return 0


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "drip":
    drip(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
