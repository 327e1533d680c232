"""Regenerates kv_ansible.jsonl: what ansible-core's own parse_kv returns for many k=v strings.

Run with a Python that has ansible-core installed:  python gen_kv_corpus.py > kv_ansible.jsonl
The Rust test `free_form::tests::matches_ansible_corpus` replays every line.
"""
import json
import random

from ansible.errors import AnsibleError
from ansible.parsing.splitter import parse_kv

PIECES = [
    "a", "b=1", "msg=", "x", "=", " ", "  ", "\n", "\\", "\\n", "\\t", '\\"', "\\\\", "\\=",
    '"', "'", "{{", "}}", "{%", "%}", "{#", "#}", "item", "é", "chdir=/tmp", "creates=/x",
    "ls -l", "k='v w'", 'k="v w"', "\\x41", "\\u00e9", "|", "\\\n",
]
FIXED = [
    "src=a dest=/b mode=0644",
    'msg="hello world" other=\'x y\'',
    "echo  hi  there",
    "set -e\necho one\necho two\n",
    "echo a \\\n  b",
    "msg={{ a | default('x y') }} b=2",
    "chdir=/var ls -l creates=/x",
    "a\\=b c=d\\=e",
    "  leading and trailing  ",
    "",
]


def case(text):
    out = {"text": text}
    for raw in (False, True):
        try:
            out["raw" if raw else "kv"] = {str(k): str(v) for k, v in parse_kv(text, check_raw=raw).items()}
        except AnsibleError:
            out["raw" if raw else "kv"] = None
    return out


rng = random.Random(20240611)
texts = list(FIXED)
while len(texts) < 400:
    texts.append("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8))))
for t in texts:
    print(json.dumps(case(t), ensure_ascii=False))
