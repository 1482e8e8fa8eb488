"""German sentence borders and token-bounded, sentence-aligned chunks with exact offsets."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rag.ingest import chunk_article, count_tokens, read_articles, split_sentences
from rag.types import Article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ALL_SEED_ARTICLES = [a for p in sorted(SEEDS.glob("*.txt")) for a in read_articles(p)]


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_no_split_at_abbreviations_and_ordinals() -> None:
    text = (
        "Deutschland finanzierte ein Paket (431 Mio. Euro). Der Umsatz lag bei ca. 3,5 Mrd. Euro, z. B. im "
        "1. Quartal. Rutte traf Blinken am 13. November bzw. kurz danach. Dr. Müller und Prof. Schmidt "
        "kamen u. a. nach St. Petersburg. Das war 44 v. Chr. nicht anders. Der US-Präs. Trump nannte Nr. 5. "
        "Das meldet dpa-AFX. Ob das stimmt? Ja! Donald J. Trump schwieg."
    )
    assert sentences(text) == [
        "Deutschland finanzierte ein Paket (431 Mio. Euro).",
        "Der Umsatz lag bei ca. 3,5 Mrd. Euro, z. B. im 1. Quartal.",
        "Rutte traf Blinken am 13. November bzw. kurz danach.",
        "Dr. Müller und Prof. Schmidt kamen u. a. nach St. Petersburg.",
        "Das war 44 v. Chr. nicht anders.",
        "Der US-Präs. Trump nannte Nr. 5.",
        "Das meldet dpa-AFX.",
        "Ob das stimmt?",
        "Ja!",
        "Donald J. Trump schwieg.",
    ]


def test_a_sentence_may_end_after_a_small_number_or_abbreviation() -> None:
    assert sentences("Die Zahl stieg auf 50. Die Polizei kam. Das war 44 v. Chr. Er starb.") == [
        "Die Zahl stieg auf 50.",
        "Die Polizei kam.",
        "Das war 44 v. Chr.",
        "Er starb.",
    ]


def test_quotes_close_sentences() -> None:
    text = '"Die Bedrohung bleibt", betonte Rutte. Er sagte: „Wir kommen.“ Dann ging er.'
    text += ' "Wir bleiben." Sie auch.'
    assert sentences(text) == [
        '"Die Bedrohung bleibt", betonte Rutte.',
        "Er sagte: „Wir kommen.“",
        "Dann ging er.",
        '"Wir bleiben."',
        "Sie auch.",
    ]


def test_glued_sentences_are_split_but_numbers_and_domains_are_not() -> None:
    text = (
        'Mehr Waffen einlagern."Wir sehen Vorräte", sagte er der "Welt am Sonntag".Zudem gilt das. '
        "Er hat betont.Dass die USA 20.000 Soldaten am 03.12.2025 schicken, meldet dts-nachrichtenagentur.de "
        "laut z.B. Bild.de heute."
    )
    assert sentences(text) == [
        "Mehr Waffen einlagern.",
        '"Wir sehen Vorräte", sagte er der "Welt am Sonntag".',
        "Zudem gilt das.",
        "Er hat betont.",
        "Dass die USA 20.000 Soldaten am 03.12.2025 schicken, meldet dts-nachrichtenagentur.de "
        "laut z.B. Bild.de heute.",
    ]


def test_every_line_break_ends_a_sentence_and_spans_are_trimmed() -> None:
    text = "  Erster Satz ohne Ende\n\nÜberschrift ohne Punkt\nDer Text folgt. Noch einer.  \n"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Erster Satz ohne Ende",
        "Überschrift ohne Punkt",
        "Der Text folgt.",
        "Noch einer.",
    ]
    assert spans[0] == (2, 23)
    assert split_sentences("   \n\n ") == []


def test_count_tokens() -> None:
    assert count_tokens("") == 0
    assert count_tokens("Hallo Welt") == 2
    assert count_tokens("<|endoftext|>") > 1  # special tokens are plain text here


@pytest.mark.parametrize(("max_tokens", "overlap"), [(60, 15), (120, 30), (250, 50), (400, 0)])
def test_chunk_offsets_bounds_and_sentence_borders_on_every_seed(max_tokens: int, overlap: int) -> None:
    for article in ALL_SEED_ARTICLES:
        chunks = chunk_article(article, max_tokens, overlap)
        spans = split_sentences(article.body)
        starts, ends = {s for s, _ in spans}, {e for _, e in spans}
        assert [c.seq for c in chunks] == list(range(len(chunks)))
        assert chunks[0].start == spans[0][0] and chunks[-1].end == spans[-1][1]
        for c in chunks:
            assert c.doc_id == article.doc_id and c.chunk_id == f"{article.doc_id}::{c.seq}"
            assert article.body[c.start : c.end] == c.text
            assert c.n_tokens == count_tokens(c.text) <= max_tokens
        for a, b in zip(chunks, chunks[1:]):
            assert a.start < b.start <= a.end + 2, "no gaps, and every chunk brings new text"
            assert b.end > a.end
        # sentences that fit are never cut
        for c in chunks:
            if all(count_tokens(article.body[s:e]) <= max_tokens for s, e in spans):
                assert c.start in starts and c.end in ends


def test_invariants_hold_on_random_paragraphs_and_headings() -> None:
    rng = random.Random(7)
    words = ["Nato", "Rutte", "sagte", "die", "Ukraine", "Hilfe", "Mio.", "13.", "Euro", "„Wir", "kommen“"]

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 30))).capitalize() + "."

    for _ in range(60):
        blocks = [
            rng.choice(["Zwischentitel ohne Punkt", " ".join(sentence() for _ in range(rng.randint(1, 5)))])
            for _ in range(rng.randint(1, 8))
        ]
        body = "\n\n".join(blocks)
        max_tokens, overlap = rng.randint(8, 80), rng.randint(0, 60)
        chunks = chunk_article(Article("r.txt", "T", body), max_tokens, overlap)
        assert all(body[c.start : c.end] == c.text and c.n_tokens <= max_tokens for c in chunks)
        pairs = list(zip(chunks, chunks[1:]))
        assert all(a.start < b.start and a.end < b.end and b.start <= a.end + 2 for a, b in pairs)
        assert chunks[0].start == 0 and chunks[-1].end == len(body)


def test_consecutive_chunks_overlap_by_about_overlap_tokens() -> None:
    [article] = [a for a in ALL_SEED_ARTICLES if a.doc_id.startswith("001")]
    chunks = chunk_article(article, 120, 30)
    pairs = list(zip(chunks, chunks[1:]))
    shared = [count_tokens(article.body[b.start : a.end]) for a, b in pairs if b.start < a.end]
    assert shared and all(0 < n <= 60 for n in shared)
    plain = chunk_article(article, 120, 0)
    assert all(b.start >= a.end for a, b in zip(plain, plain[1:]))


def test_a_cross_heading_starts_a_chunk_and_is_never_its_last_sentence() -> None:
    [article] = [a for a in ALL_SEED_ARTICLES if a.doc_id.startswith("000")]
    heading = "Rutte spricht Trump Anerkennung aus"
    for max_tokens in (80, 120, 160, 200):
        chunks = chunk_article(article, max_tokens, 20)
        assert not any(c.text.endswith(heading) for c in chunks)
        assert any(c.text.startswith(heading) for c in chunks)


def test_paragraph_breaks_are_preferred_ends() -> None:
    para = "Dies ist ein Satz über die Nato und ihre Partner in Europa. " * 4
    body = (para.strip() + "\n\n") * 3
    article = Article("p.txt", "T", body.strip())
    chunks = chunk_article(article, 100, 0)
    assert len(chunks) == 3
    assert all(c.text == para.strip() for c in chunks)


def test_an_overlong_sentence_is_cut_at_token_borders_before_words() -> None:
    body = " ".join(f"Wort{i}" for i in range(400))
    chunks = chunk_article(Article("x.txt", "T", body), 50, 10)
    assert len(chunks) > 5
    assert all(c.n_tokens <= 50 and body[c.start : c.end] == c.text for c in chunks)
    assert all(c.text.startswith("Wort") and body[c.end : c.end + 1] in (" ", "") for c in chunks)
    covered = "".join(body[c.start : c.end] + " " for c in chunks)
    assert covered.split() == body.split()


def test_cuts_inside_multibyte_text_keep_offsets_exact() -> None:
    body = " ".join(["Größenänderung 🇩🇪 Übermäßig—straße"] * 150)
    chunks = chunk_article(Article("u.txt", "T", body), 40, 10)
    assert all(c.n_tokens <= 40 and body[c.start : c.end] == c.text for c in chunks)
    assert " ".join(c.text for c in chunks).split() == body.split()


def test_chunk_times_are_the_resolved_mentions_inside_each_chunk() -> None:
    [article] = [a for a in ALL_SEED_ARTICLES if a.doc_id.startswith("000")]
    chunks = chunk_article(article, 80, 0)
    by_time = {t: [c for c in chunks if t in c.times] for t in ("2024", "2025", "2025-Q1")}
    assert all(by_time.values())
    assert all("Im vergangenen Jahr" in c.text for c in by_time["2024"])
    assert all("In den ersten drei Monaten dieses Jahres" in c.text for c in by_time["2025-Q1"])
    assert all(list(c.times) == sorted(set(c.times)) for c in chunks)
    assert not any(c.times for c in chunks if "vergangen" not in c.text and "2025" not in c.text)


def test_empty_body_and_bad_limits() -> None:
    assert chunk_article(Article("e.txt", "T", ""), 100, 10) == []
    with pytest.raises(ValueError):
        chunk_article(Article("e.txt", "T", "Text."), 0, 0)
