"""Metrics on hand-made cases, gold-file validation, summaries and the report writer."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rag.evaluation import (
    GoldFormatError,
    abstention_precision_recall,
    citation_precision,
    citation_recall,
    exact_match,
    hit_at_k,
    key_fact_hit,
    load_gold,
    normalize,
    reciprocal_rank,
    squad_f1,
    squad_normalize,
    summarize_gold,
    token_f1,
    write_report,
)
from rag.evaluation.metrics import contains_fact, first_relevant_rank, mean, number_word_value
from rag.evaluation.report import write_outputs
from rag.evaluation.squad import summarize_squad

SEEDS_QA = Path(__file__).resolve().parent.parent / "data" / "seeds_qa.jsonl"

# -- normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (
            ["50 Mrd. €", "50 Milliarden Euro", "fünfzig Milliarden Euro", "50 Mrd Euro", "50 mrd. EUR"],
            "50 milliarden euro",
        ),
        (["20.000", "20 000", "20,000", "20\u202f000", "20\u00a0000", "20 Tsd."], "20000"),
        (["zwanzigtausend", "zwanzig Tausend", "Zwanzigtausend"], "20000"),
        (["sechs Milliarden", "6 Milliarden", "6 Mrd."], "6 milliarden"),
        (["431 Mio. Euro", "431 Millionen €"], "431 millionen euro"),
        (["eine Milliarde Dollar", "1 Milliarde $", "1 Mrd. USD"], "1 milliarden dollar"),
        (["1.234.567 Soldaten", "1 234 567 Soldaten", "1,234,567 Soldaten"], "1234567 soldaten"),
        (["ab 26,80 Euro", "ab 26,8 Euro"], "ab 26,8 euro"),  # a decimal's trailing zeros say nothing
        (["3,0 Prozent", "3 %"], "3 prozent"),
    ],
)
def test_normalize_makes_equal_facts_equal(variants: list[str], expected: str) -> None:
    assert {normalize(v) for v in variants} == {expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,5 Milliarden", "1,5 milliarden"),  # a decimal comma is not a thousands separator
        ("1.234,5 Euro", "1234,5 euro"),
        ("Rund 20.000 Soldaten [1].", "rund 20000 soldaten"),  # citation markers and punctuation go
        ("Am 13. November", "am 13 november"),
        ("13.11.2024", "13.11.2024"),  # a date is no thousands group
        ("am 2.10.2020", "am 2.10.2020"),  # nor a decimal with zeros to drop
        ("sechs Milliarden US-Dollar", "6 milliarden us dollar"),
        ("500-Millionen-Dollar-Paket", "500 millionen dollar paket"),
        ("Zwei Drittel, also 2/3", "2 drittel also 2/3"),
        ("2 %", "2 prozent"),
        ("ein Ziel von fünf Mrd.", "ein ziel von 5 milliarden"),  # "ein" is 1 only before a scale word
        ("die zweite Runde", "die zweite runde"),  # ordinals are not number words
        ("„Den Haag“ – im Juni!", "den haag im juni"),
    ],
)
def test_normalize_cases(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_number_word_value() -> None:
    words = ["null", "eins", "zwölf", "siebzehn", "zwanzig", "einundzwanzig", "dreißig", "fünfzig"]
    assert [number_word_value(w) for w in words] == [0, 1, 12, 17, 20, 21, 30, 50]
    words = ["hundert", "dreihundertfünfzig", "einhundert", "dreiundneunzig"]
    assert [number_word_value(w) for w in words] == [100, 350, 100, 93]
    words = ["tausend", "zwanzigtausend", "zweitausendfünfhundert", "hunderttausend"]
    assert [number_word_value(w) for w in words] == [1000, 20000, 2500, 100000]
    assert [number_word_value(w) for w in ("ein", "zweite", "tausendmal", "haus")] == [None] * 4


def test_numbers_match_as_whole_numbers_but_words_as_substrings() -> None:
    assert not contains_fact("150 milliarden euro", "50 milliarden")
    assert not contains_fact("1,50 milliarden", "50 milliarden")
    assert not contains_fact("200000 soldaten", "20000")
    assert not contains_fact("20000,5", "20000")
    assert contains_fact("rund 20000 soldaten", "20000")
    assert contains_fact("sie verkauft waffen", "verkauf")
    assert contains_fact("iran und nordkorea", "korea")
    assert not contains_fact("irgendwas", "")


def test_key_fact_hit() -> None:
    facts = [["50 milliarden", "50 mrd"], ["euro"]]
    assert key_fact_hit("Die Alliierten sagten rund 50 Mrd. € zu [1].", facts)
    assert key_fact_hit("Fünfzig Milliarden Euro.", facts)
    assert not key_fact_hit("Rund 50 Milliarden Dollar.", facts)  # the "euro" group is missing
    assert not key_fact_hit("Rund 150 Milliarden Euro.", facts)
    assert key_fact_hit("Rund 20.000 Soldaten im Monat.", [["zwanzigtausend"]])
    assert key_fact_hit("In den USA hergestellte Waffen werden verkauft.", [["usa", "amerikan"], ["verkauf"]])
    assert not key_fact_hit("Kanada, Deutschland und Polen.", [["kanada"], ["deutschland"], ["norwegen"]])
    assert key_fact_hit("irgendwas", [])  # vacuous: unanswerable questions are scored by abstention


def test_token_f1() -> None:
    # P 1, R 3/7: "Mrd. €" and "Milliarden Euro" are the same tokens after normalisation
    assert token_f1("50 Milliarden Euro", "rund 50 Mrd. € für die Ukraine") == pytest.approx(0.6)
    assert token_f1("Wiesbaden", "Wiesbaden.") == 1.0
    assert token_f1("", "") == 1.0
    assert token_f1("", "Wiesbaden") == 0.0
    assert token_f1("Berlin", "Wiesbaden") == 0.0


# -- SQuAD ---------------------------------------------------------------------------------------


def test_squad_normalize_is_the_official_one() -> None:
    assert squad_normalize("The  Denver Broncos!") == "denver broncos"
    assert squad_normalize("an apple a day") == "apple day"
    assert squad_normalize("Theater") == "theater"  # only whole-word articles go
    assert squad_normalize("Die Broncos") == "die broncos"  # German articles are kept
    assert squad_normalize("„Berlin“") == "„berlin“"  # only ASCII punctuation is removed


def test_exact_match_and_f1_take_the_best_gold_answer() -> None:
    golds = ["Denver Broncos", "Broncos"]
    assert exact_match("the Broncos.", golds)
    assert not exact_match("Denver", golds)
    assert exact_match("308", "308")
    assert squad_f1("Denver", golds) == pytest.approx(2 / 3)  # P 1, R 1/2 against "Denver Broncos"
    assert squad_f1("Broncos team", golds) == pytest.approx(2 / 3)  # P 1/2, R 1 against "Broncos"
    assert squad_f1("Panthers", golds) == 0.0
    assert squad_f1("", golds) == 0.0


# -- abstention, citations, ranking --------------------------------------------------------------


def test_abstention_precision_recall() -> None:
    assert abstention_precision_recall([True, True, False, False], [True, False, True, False]) == (0.5, 0.5)
    assert abstention_precision_recall([True, False, False], [True, False, False]) == (1.0, 1.0)
    assert abstention_precision_recall([False, False], [True, False]) == (None, 0.0)  # never abstained
    assert abstention_precision_recall([True, False], [False, False]) == (0.0, None)  # nothing unanswerable
    with pytest.raises(ValueError):
        abstention_precision_recall([True], [True, False])


def test_citation_precision_and_recall() -> None:
    sources = ["000_a.txt", "001_b.txt"]
    assert citation_precision([{"000_a.txt", "001_b.txt"}, "004_c.txt"], sources) == 0.5
    assert citation_recall([{"000_a.txt", "001_b.txt"}, "004_c.txt"], sources) == 1.0
    assert citation_precision(["000_a.txt", "000_a.txt", "004_c.txt"], sources) == 0.5  # one article once
    assert citation_recall(["000_a.txt"], sources) == 0.5
    assert citation_precision([], sources) is None
    assert citation_recall([], sources) == 0.0
    assert citation_recall(["000_a.txt"], []) is None


def test_ranking_metrics() -> None:
    ranked = ["x.txt", "y.txt", {"z.txt", "gold.txt"}, "gold.txt"]
    assert first_relevant_rank(ranked, ["gold.txt"]) == 3
    assert not hit_at_k(ranked, ["gold.txt"], 2)
    assert hit_at_k(ranked, ["gold.txt"], 3)
    assert reciprocal_rank(ranked, ["gold.txt"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, ["gold.txt"], k=2) == 0.0
    assert first_relevant_rank(ranked, ["none.txt"]) is None
    assert reciprocal_rank([], ["gold.txt"]) == 0.0


def test_mean() -> None:
    assert mean([1.0, None, 0.0, True]) == pytest.approx(2 / 3)
    assert mean([None]) is None


# -- gold files ----------------------------------------------------------------------------------


def test_load_gold_reads_the_seed_questions() -> None:
    items = load_gold(SEEDS_QA)
    assert len(items) == 20
    by_id = {i.id: i for i in items}
    assert by_id["s01"].key_facts == [["50 milliarden", "50 mrd"], ["euro"]]
    assert by_id["s18"].answerable is False and by_id["s18"].sources == []
    assert [t["role"] for t in by_id["s20"].history] == ["user", "assistant"]
    assert by_id["s20"].history[1]["content"] == "Rund 50 Milliarden Euro [1]."
    assert by_id["s01"].history == []


GOOD = {
    "id": "q1",
    "question": "Wo?",
    "answer": "In Wiesbaden.",
    "key_facts": [["wiesbaden"]],
    "sources": ["000_a.txt"],
    "type": "factoid",
    "answerable": True,
}


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", r"gold\.jsonl:3: invalid JSON"),
        ("[1, 2]", r"gold\.jsonl:3: expected a JSON object"),
        (json.dumps({**GOOD, "id": "q2", "question": " "}), r":3 \(id 'q2'\): 'question' must be"),
        (json.dumps({**GOOD, "id": "q2", "key_facts": ["wiesbaden"]}), r":3 .*'key_facts' must be a list of"),
        (json.dumps({**GOOD, "id": "q2", "key_facts": [[]]}), r":3 .*'key_facts'"),
        (json.dumps({**GOOD, "id": "q2", "key_facts": []}), r":3 .*answerable question needs"),
        (json.dumps({**GOOD, "id": "q2", "answerable": "yes"}), r":3 .*'answerable' must be true or false"),
        (json.dumps({**GOOD, "id": "q2", "sources": "000_a.txt"}), r":3 .*'sources'"),
        (json.dumps({**GOOD, "id": "q2", "history": [{"role": "bot", "content": "x"}]}), r":3 .*'history'"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "type"} | {"id": "q2"}), r":3 .*'type'"),
        (json.dumps(GOOD), r":3: id 'q1' already used on line 1"),
    ],
)
def test_load_gold_names_the_bad_line(tmp_path: Path, bad_line: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(GoldFormatError, match=message):
        load_gold(path)


def test_load_gold_rejects_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(GoldFormatError, match="no questions"):
        load_gold(path)


# -- summaries and reports -----------------------------------------------------------------------


def _row(qid: str, kind: str, answerable: bool, correct: bool, abstained: bool, rank: int | None) -> dict:
    return {
        "id": qid,
        "type": kind,
        "question": f"Frage {qid}?",
        "standalone_question": f"Frage {qid}?",
        "answer": "Dazu finde ich nichts." if abstained else f"Antwort {qid} [1].",
        "short_answer": None if abstained else f"Antwort {qid}",
        "abstained": abstained,
        "answerable": answerable,
        "correct": correct,
        "expected": f"Erwartet {qid}",
        "sources": ["000_a.txt"] if answerable else [],
        "cited_docs": [] if abstained else ["000_a.txt"],
        "retrieved_docs": ["000_a.txt", "004_b.txt#1"],
        "gold_rank": rank,
        "token_f1": 0.5 if answerable else None,
        "citation_precision": (None if abstained else 1.0) if answerable else None,
        "citation_recall": (0.0 if abstained else 1.0) if answerable else None,
        "latency_ms": 100.0 * len(qid),
    }


ROWS = [
    _row("a1", "numeric", True, True, False, 1),
    _row("a2", "numeric", True, False, False, 4),
    _row("a3", "factoid", True, False, True, None),
    _row("u11", "unanswerable", False, True, True, None),
]


def test_summarize_gold() -> None:
    s = summarize_gold(ROWS)
    assert s["n"] == 4 and s["n_answerable"] == 3
    assert s["accuracy"] == 0.5
    assert s["key_fact_accuracy"] == pytest.approx(0.3333)
    assert (s["abstention_precision"], s["abstention_recall"]) == (0.5, 1.0)
    assert s["citation_precision"] == 1.0  # a3 cited nothing: not counted
    assert s["citation_recall"] == pytest.approx(0.6667)
    assert [s["hit_at_1"], s["hit_at_3"], s["hit_at_5"]] == [0.3333, 0.3333, 0.6667]
    assert s["mrr"] == pytest.approx((1 + 0.25 + 0) / 3, abs=1e-4)
    assert s["token_f1"] == 0.5
    assert s["latency_p50_ms"] == 200.0 and s["latency_p95_ms"] == pytest.approx(285.0)


def test_summarize_squad() -> None:
    keys = ("gold_rank", "exact_match", "f1", "contains_gold", "abstained", "latency_ms")
    values = [(1, True, 1.0, True, False, 10.0), (7, False, 0.5, True, False, 30.0)]
    values.append((None, False, 0.0, False, True, 20.0))
    rows = [dict(zip(keys, v)) for v in values]
    s = summarize_squad(rows)
    assert s["n"] == 3
    assert [s[f"recall_at_{k}"] for k in (1, 3, 5, 10)] == [0.3333, 0.3333, 0.3333, 0.6667]
    assert s["mrr_at_10"] == pytest.approx((1 + 1 / 7) / 3, abs=1e-4)
    assert (s["exact_match"], s["f1"], s["answer_contains_gold"]) == (0.3333, 0.5, 0.6667)
    assert s["abstention_rate"] == 0.3333 and s["latency_p50_ms"] == 20.0


def test_write_outputs_for_a_gold_run(tmp_path: Path) -> None:
    summary = {"gold_file": "gold.jsonl", **summarize_gold(ROWS)}
    kinds = ("numeric", "factoid")
    summary["by_type"] = {t: summarize_gold([r for r in ROWS if r["type"] == t]) for t in kinds}
    write_outputs(summary, ROWS, tmp_path, "Gold evaluation: test")

    for name in (
        "summary.json",
        "questions.jsonl",
        "questions.csv",
        "report.md",
        "latency.png",
        "accuracy_by_type.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    assert (tmp_path / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert saved["key_fact_accuracy"] == pytest.approx(0.3333) and saved["by_type"]["numeric"]["n"] == 2
    lines = (tmp_path / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a1", "a2", "a3", "u11"]
    with (tmp_path / "questions.csv").open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert table[0]["retrieved_docs"] == "000_a.txt | 004_b.txt#1" and table[2]["gold_rank"] == ""

    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Gold evaluation: test")
    assert "| key_fact_accuracy | 0.333 |" in report
    assert "| abstention_recall | 1.000 |" in report
    assert "| latency_p95_ms | 285.0 |" in report
    assert "| numeric | 2 | 0.500 |" in report and "| factoid | 1 | 0.000 |" in report
    assert "![latency](latency.png)" in report and "![accuracy_by_type](accuracy_by_type.png)" in report
    assert "## Wrong answers (2 of 4)" in report
    assert "- Question: Frage a2?" in report and "- Expected: Erwartet a2" in report
    assert "- Got: **Antwort a2** — Antwort a2 [1]." in report
    assert "- Got: (abstained) Dazu finde ich nichts." in report
    assert "Frage a1?" not in report  # correct answers are not listed


def test_write_report_for_a_squad_run(tmp_path: Path) -> None:
    summary = {
        "n": 2,
        "recall_at_1": 0.5,
        "recall_at_3": 0.5,
        "recall_at_5": 1.0,
        "recall_at_10": 1.0,
        "f1": 0.25,
    }
    summary["notes"] = ["2 questions got fewer than 10 passages."]
    rows = [
        {
            "id": "q1",
            "question": "Wer?",
            "expected": ["Broncos", "Denver Broncos"],
            "answer": "Die Panthers.",
            "correct": False,
            "latency_ms": 5.0,
        },
        {
            "id": "q2",
            "question": "Wie viele?",
            "expected": ["308"],
            "answer": "308 Punkte.",
            "correct": True,
            "latency_ms": 7.0,
        },
    ]
    path = write_report(summary, rows, tmp_path, "SQuAD evaluation: tiny")

    assert path == tmp_path / "report.md"
    assert (tmp_path / "recall_at_k.png").stat().st_size > 0 and (tmp_path / "latency.png").exists()
    assert not (tmp_path / "accuracy_by_type.png").exists()
    report = path.read_text(encoding="utf-8")
    assert "| recall_at_5 | 1.000 |" in report and "| f1 | 0.250 |" in report
    assert "- 2 questions got fewer than 10 passages." in report
    assert "- Expected: Broncos / Denver Broncos" in report and "Wie viele?" not in report
