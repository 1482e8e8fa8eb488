"""``run_gold`` and ``run_squad`` end to end against the real RAG (embedding model, index, answerer)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rag.evaluation import key_fact_hit, load_gold, run_gold, run_squad
from rag.evaluation.squad import default_index_dir
from rag.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data"
GOLD_IDS = ("s03", "s08", "s19", "s20")
SUMMARY_KEYS = {
    "n",
    "key_fact_accuracy",
    "abstention_precision",
    "abstention_recall",
    "citation_precision",
    "citation_recall",
    "hit_at_1",
    "hit_at_3",
    "hit_at_5",
    "mrr",
    "token_f1",
    "latency_p50_ms",
    "latency_p95_ms",
}

BRIDGE = (
    "Die neue Elbbrücke in Dresden wurde im Jahr 2019 eröffnet. Sie ist 420 Meter lang und wurde von der "
    "Architektin Maria Lindner entworfen. Täglich fahren etwa 30.000 Autos über die Brücke."
)
BEES = (
    "Der Imkerverein Waldhausen zählt 85 Mitglieder. Im vergangenen Sommer ernteten die Imker zusammen "
    "2,5 Tonnen Honig, vor allem Lindenhonig. Vorsitzender des Vereins ist Jonas Bergmann."
)


def _qa(qid: str, question: str, context: str, *answers: str) -> dict:
    return {
        "id": qid,
        "question": question,
        "answers": [{"text": a, "answer_start": context.index(a)} for a in answers],
    }


SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Elbbrücke",
            "paragraphs": [
                {
                    "context": BRIDGE,
                    "qas": [
                        _qa("b1", "Wer hat die Elbbrücke in Dresden entworfen?", BRIDGE, "Maria Lindner"),
                        _qa("b2", "Wie lang ist die neue Elbbrücke?", BRIDGE, "420 Meter"),
                    ],
                }
            ],
        },
        {
            "title": "Imkerei",
            "paragraphs": [
                {
                    "context": BEES,
                    "qas": [
                        _qa("h1", "Wie viele Mitglieder hat der Imkerverein?", BEES, "85", "85 Mitglieder"),
                        _qa("h2", "Wer ist Vorsitzender des Imkervereins?", BEES, "Jonas Bergmann"),
                    ],
                }
            ],
        },
    ],
}


@pytest.fixture(scope="module")
def seeds_rag(seed_index: Path):  # type: ignore[no-untyped-def]
    from rag.api import RAG

    return RAG.open(seed_index)


@pytest.mark.slow
def test_run_gold_on_seed_questions(seeds_rag, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed_lines = (DATA / "seeds_qa.jsonl").read_text(encoding="utf-8").splitlines()
    gold = tmp_path / "gold.jsonl"
    picked = [x for x in seed_lines if json.loads(x)["id"] in GOLD_IDS]
    gold.write_text("\n".join(picked) + "\n", encoding="utf-8")
    out = tmp_path / "out"

    summary = run_gold(seeds_rag, gold, out, progress=False)

    assert summary.keys() >= SUMMARY_KEYS
    assert summary["n"] == 4 and summary["n_answerable"] == 3
    assert set(summary["by_type"]) == {"factoid", "numeric", "unanswerable", "multi-turn"}
    assert summary["by_type"]["unanswerable"]["n"] == 1
    for key in SUMMARY_KEYS - {"n", "latency_p50_ms", "latency_p95_ms"}:
        assert summary[key] is None or 0.0 <= summary[key] <= 1.0, key
    assert 0 < summary["latency_p50_ms"] <= summary["latency_p95_ms"]
    assert summary["hit_at_5"] >= 2 / 3  # five seed articles: the source is nearly always retrieved

    lines = (out / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    rows = {r["id"]: r for r in map(json.loads, lines)}
    assert list(rows) == list(GOLD_IDS)
    items = {i.id: i for i in load_gold(gold)}
    for qid, row in rows.items():
        item = items[qid]
        has_facts = key_fact_hit(row["answer"], item.key_facts)
        expected = (not row["abstained"] and has_facts) if item.answerable else row["abstained"]
        assert row["correct"] == expected, qid
        assert row["retrieved_docs"] and row["latency_ms"] > 0
    # the follow-up was asked with its history: the standalone question carries the earlier topic
    assert rows["s20"]["question"] == "Und für 2025?"
    assert "2025" in rows["s20"]["standalone_question"] and len(rows["s20"]["standalone_question"]) > 20
    answerable = [r for r in rows.values() if r["answerable"]]
    assert summary["key_fact_accuracy"] == pytest.approx(sum(r["correct"] for r in answerable) / 3, abs=1e-4)

    with (out / "questions.csv").open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["id"] for r in table] == list(GOLD_IDS)
    columns = {"standalone_question", "cited_docs", "retrieved_docs", "gold_rank", "latency_ms"}
    assert table[0].keys() >= columns
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"| key_fact_accuracy | {summary['key_fact_accuracy']:.3f} |" in report
    assert (out / "latency.png").exists() and (out / "accuracy_by_type.png").exists()


@pytest.mark.slow
def test_run_squad_on_two_paragraphs(tmp_path: Path) -> None:
    squad = tmp_path / "tiny.json"
    squad.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    index, out = tmp_path / "index", tmp_path / "out"
    settings = Settings()

    summary = run_squad(squad, settings, out, index_dir=index, progress=False)

    assert summary["n"] == 4 and summary["n_paragraphs"] == 2 and summary["top_k"] == settings.top_k
    assert summary["recall_at_10"] == 1.0  # both paragraphs are always among the passages
    assert summary["recall_at_1"] >= 0.75 and summary["mrr_at_10"] >= 0.75  # topics do not overlap
    assert any("fewer than 10 passages" in note for note in summary["notes"])
    for key in ("exact_match", "f1", "answer_contains_gold", "abstention_rate"):
        assert 0.0 <= summary[key] <= 1.0, key
    rows = [json.loads(line) for line in (out / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["b1", "b2", "h1", "h2"]
    assert [r["paragraph"] for r in rows] == [0, 0, 1, 1]
    assert all(d.startswith("tiny.jsonl#") for r in rows for d in r["retrieved_docs"])
    assert {r["retrieved_docs"][0] for r in rows if r["gold_rank"] == 1} <= {"tiny.jsonl#1", "tiny.jsonl#2"}
    contained = sum(r["contains_gold"] for r in rows) / 4
    assert summary["answer_contains_gold"] == pytest.approx(contained, abs=1e-4)
    for name in ("summary.json", "questions.csv", "report.md", "latency.png", "recall_at_k.png"):
        assert (out / name).exists(), name

    # a second run reuses the cached index: no new generation, same paragraphs
    generation = (index / "CURRENT").read_text(encoding="utf-8")
    again = run_squad(squad, settings, None, index_dir=index, limit=1, progress=False)
    assert (index / "CURRENT").read_text(encoding="utf-8") == generation
    assert again["n"] == 1 and again["recall_at_10"] == 1.0


@pytest.mark.slow
def test_run_squad_parallel_questions_on_one_half(tmp_path: Path) -> None:
    """English questions over the German paragraphs, only the even ("train") articles."""
    squad = tmp_path / "tiny.json"
    squad.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    english = json.loads(json.dumps(SQUAD))
    for article in english["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                qa["question"] = f"In English: {qa['id']}?"
    parallel = tmp_path / "tiny.en.json"
    parallel.write_text(json.dumps(english), encoding="utf-8")

    summary = run_squad(squad, Settings(), tmp_path / "out", tmp_path / "index", questions_from=parallel, half="train")

    rows = [
        json.loads(line) for line in (tmp_path / "out" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert summary["half"] == "train" and summary["n"] == 2
    assert [r["question"] for r in rows] == ["In English: b1?", "In English: b2?"]  # article 0 only
    assert rows[0]["expected"] == ["Maria Lindner"]  # the answers stay those of the German file
    with pytest.raises(ValueError, match="half"):
        run_squad(squad, Settings(), None, tmp_path / "index", half="dev")


def test_default_squad_index_depends_on_file_and_model(tmp_path: Path) -> None:
    squad = tmp_path / "tiny.json"
    squad.write_text(json.dumps(SQUAD), encoding="utf-8")
    settings = Settings(model_cache_dir=tmp_path / "cache")
    first = default_index_dir(squad, settings)
    assert first.parent == tmp_path / "cache" and first.name.startswith("squad-")
    assert default_index_dir(squad, settings) == first
    assert default_index_dir(squad, settings.model_copy(update={"embedding_model": "other"})) != first
    squad.write_text(json.dumps({**SQUAD, "version": "1.1 "}), encoding="utf-8")
    assert default_index_dir(squad, settings) != first


@pytest.mark.slow
def test_eval_gold_indexes_its_corpus_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rag.app.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bruecke.txt").write_text(BRIDGE, encoding="utf-8")
    (corpus / "imker.txt").write_text(BEES, encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"id": "q1", "question": "Wie lang ist die neue Elbbrücke?", "answer": "420 Meter",
         "key_facts": [["420"]], "sources": ["bruecke.txt"], "type": "numeric", "answerable": True},
        {"id": "q2", "question": "Wer ist Vorsitzender des Imkervereins?", "answer": "Jonas Bergmann",
         "key_facts": [["bergmann"]], "sources": ["imker.txt"], "type": "person", "answerable": True},
    ]  # fmt: skip
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    index = tmp_path / "index"

    assert main(["eval", str(gold), "--corpus", str(corpus), "--index", str(index), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)  # progress goes to stderr: stdout is the JSON alone
    assert summary["n"] == 2 and summary["hit_at_1"] == 1.0 and summary["key_fact_accuracy"] == 1.0
    generation = (index / "CURRENT").read_text(encoding="utf-8")
    assert main(["eval", str(gold), "--corpus", str(corpus), "--index", str(index), "--json"]) == 0
    assert (index / "CURRENT").read_text(encoding="utf-8") == generation  # unchanged files: no new index
