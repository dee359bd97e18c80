#!/usr/bin/env python3
"""Instructions the supervisor spends per passthrough call, counted by callgrind.

Usage: benches/callgrind_serve.py N OUT [BIN_DIR]   (BIN_DIR defaults to target/release)

Runs `llm-mcp serve` under callgrind (its children are not traced) with one llm-mcp-mock
child `m`, makes N sequential `m__complete` calls and prints N and the instructions
collected. Per call: (count with N=1000 - count with N=0) / 1000. Deterministic, unlike
time on a shared VM (docs/performance.md).
"""
import json, os, re, subprocess, sys, tempfile
n = int(sys.argv[1]); out = sys.argv[2]
root = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "target/release")
work = tempfile.mkdtemp(prefix="llm-mcp-callgrind-")
cfg = os.path.join(work, "servers.json")
err_path = os.path.join(work, "stderr.txt")
json.dump({"mcpServers": {"m": {"command": f"{root}/llm-mcp-mock", "args": ["--name", "m"]}}, "expose": ["*"]}, open(cfg, "w"))
p = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", f"{root}/llm-mcp", "serve", "--config", cfg],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(err_path, "w"))
def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode()); p.stdin.flush()
def recv(i):
    while True:
        line = p.stdout.readline()
        if not line: raise SystemExit("eof")
        m = json.loads(line)
        if m.get("id") == i: return m
send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "cg", "version": "0"}}})
recv(0)
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
send({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}); recv(1)
for i in range(n):
    send({"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call", "params": {"name": "m__complete", "arguments": {"prompt": "hello there"}}})
    r = recv(10 + i)
    assert "result" in r, r
p.stdin.close(); p.wait()
text = open(err_path).read()
m = re.search(r"Collected : (\d+)", text)
print(n, m.group(1) if m else text[-500:])
