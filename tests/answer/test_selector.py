"""Candidate features, the shipped selector and its training, without the embedding model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.answer import training
from rag.answer.extractive import Scored, answering, close_second, continued, of_other_years
from rag.answer.features import FEATURES, Candidate, candidates
from rag.answer.names import mentions, names_the_asked_place, other_place
from rag.answer.question import analyse
from rag.answer.selector import INPUTS, KINDS, LONG_DOCUMENT, MODEL_FILE, LogisticModel, Selector, document_kind
from rag.answer.training import Example, _question_outcomes, choose_threshold, fit, fit_model
from rag.index.store import ArticleSentences
from rag.types import Passage

ROOT = Path(__file__).resolve().parents[2]
BODY = (
    "Die Stadt Berlin plant eine neue Brücke über die Spree. "
    "Die Brücke kostet 12 Millionen Euro und soll 2027 fertig sein. "
    "Der Bürgermeister lobte das Projekt am Montag."
)


def _setup() -> tuple[Passage, dict[str, ArticleSentences], np.ndarray]:
    spans, start = [], 0
    for sentence in BODY.split(". "):
        s = BODY.index(sentence, start)
        spans.append((s, s + len(sentence) + (1 if not sentence.endswith(".") else 0)))
        start = s + len(sentence)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(spans), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    passage = Passage("a.txt::0", "a.txt", "Neue Brücke", "2025-04", None, BODY, 0, len(BODY), 0.03)
    return passage, {"a.txt": ArticleSentences(spans, vectors.astype(np.float16))}, vectors[1]


def _features(question: str) -> dict[str, dict[str, float]]:
    passage, sentences, query = _setup()
    cands = candidates(analyse(question), [passage], sentences, {"a.txt": BODY}, query, lambda t: 1.0, set())
    return {c.text: dict(zip(FEATURES, c.features.tolist(), strict=True)) for c in cands}


def test_every_sentence_is_a_candidate_with_named_features() -> None:
    feats = _features("Wie viel kostet die neue Brücke in Berlin?")
    assert len(feats) == 3
    cost = next(f for t, f in feats.items() if "12 Millionen" in t)
    praise = next(f for t, f in feats.items() if "Bürgermeister" in t)
    assert cost["span_found"] == 1.0 and praise["span_missing"] == 1.0
    assert cost["dense"] == pytest.approx(1.0, abs=1e-2) and cost["dense_gap"] == pytest.approx(0.0, abs=1e-6)
    assert cost["lexical"] > praise["lexical"]


def test_time_fit_and_conflict() -> None:
    fit_2027 = _features("Wann ist die Brücke 2027 fertig?")
    fit_2030 = _features("Wird die Brücke 2030 fertig?")
    assert max(f["time_fit"] for f in fit_2027.values()) == 1.0
    assert max(f["time_conflict"] for f in fit_2030.values()) == 1.0
    # the article's date (2025-04) fits every sentence alike: no sentence fits by it; one stating 2027 conflicts
    by_date = _features("Was plante Berlin im April 2025?")
    assert all(f["time_fit"] == 0.0 for f in by_date.values())
    assert [f["time_conflict"] for f in by_date.values()] == [0.0, 1.0, 0.0]


@pytest.mark.parametrize(
    ("sentence", "gives_a_reason"),
    [
        ("Als Motiv gab der Mann Liebeskummer an.", True),
        ("Um Abwerbungen vorzubeugen, haben die Mitarbeiter keine fixen Adressen.", True),  # a purpose
        ('Er wechselt sein Handy, um "Verfolger abzuhängen".', True),
        ("Sie sprühten WD40 in den Rechner, um die Lautstärke der Lüftung zu verringern.", True),
        ("Begründung: Das Gericht habe nicht genau genug geprüft.", True),
        ("Schuld ist die linke Hirnhälfte.", True),
        ("Die Miete stieg um 20 Prozent zu Jahresbeginn.", False),  # „um“ a figure, not a purpose
        ("Er kommt um sieben Uhr zu Besuch.", False),
    ],
)
def test_sentences_giving_a_reason_or_purpose_are_told_for_why_questions(sentence: str, gives_a_reason: bool) -> None:
    passage = Passage("r.txt::0", "r.txt", "T", None, None, sentence, 0, len(sentence), 0.03)
    stored = {"r.txt": ArticleSentences([(0, len(sentence))], np.ones((1, 8), dtype=np.float16))}
    query = np.ones(8, dtype=np.float32) / np.sqrt(8)
    why, what = (analyse(q) for q in ("Warum tat er das?", "Was tat er?"))
    reason = [
        candidates(q, [passage], stored, {"r.txt": sentence}, query, lambda t: 1.0, set())[0] for q in (why, what)
    ]
    assert [c.features[FEATURES.index("reason_cue")] for c in reason] == [float(gives_a_reason), 0.0]


@pytest.mark.parametrize(
    ("sentence", "off_span"),
    [
        ("Die Zählung ergab 106 Tiger, weniger als vorher geschätzt wurden.", True),  # the number is the count
        ("Vorher hatte man 75 Tiger geschätzt.", False),
        ("Vorher wurden viele Tiere geschätzt.", False),  # no short answer: nothing is off it
    ],
)
def test_question_words_outside_the_clause_of_the_short_answer(sentence: str, off_span: bool) -> None:
    passage = Passage("t.txt::0", "t.txt", "T", None, None, sentence, 0, len(sentence), 0.03)
    stored = {"t.txt": ArticleSentences([(0, len(sentence))], np.ones((1, 8), dtype=np.float16))}
    query = np.ones(8, dtype=np.float32) / np.sqrt(8)
    q = analyse("Wie viele Tiger hatte man vorher geschätzt?")
    cand = candidates(q, [passage], stored, {"t.txt": sentence}, query, lambda t: 1.0, set())[0]
    assert (cand.features[FEATURES.index("lexical_off_span")] > 0) == off_span


def test_a_follow_up_knows_the_sentence_that_gave_the_previous_answer_and_those_after_it() -> None:
    body = (
        "In Bhutan wurden erstmals Tiger gezählt. 103 Tiere leben dort in freier Wildbahn. "
        "Bei einer früheren Schätzung war von 75 Raubkatzen ausgegangen worden. Der WWF ist zufrieden. "
        "Der Verband lobt die Regierung. In Bangladesch ergab die Zählung 106 Tiger. Im Zoo lebt 1 Tiger."
    )
    sentences = [s if s.endswith(".") else s + "." for s in body.split(". ")]
    spans = [(body.index(s), body.index(s) + len(s)) for s in sentences]
    passage = Passage("t.txt::0", "t.txt", "Tiger", None, None, body, 0, len(body), 0.03)
    stored = {"t.txt": ArticleSentences(spans, np.ones((len(spans), 8), dtype=np.float16))}
    query = np.ones(8, dtype=np.float32) / np.sqrt(8)
    question = "Wie viele Tiger hatte man vorher geschätzt? (Bhutan)"

    def column(name: str, previous: str | None) -> list[float]:
        q = analyse(question, previous_answer=previous)
        cands = candidates(q, [passage], stored, {"t.txt": body}, query, lambda t: 1.0, set())
        return [float(c.features[FEATURES.index(name)]) for c in cands]

    assert column("previous_sentence", "103 Tiger [1].") == [0, 1, 0, 0, 0, 0, 0]
    assert column("previous_near", "103 Tiger [1].") == pytest.approx([1, 0, 1, 0.5, 1 / 3, 0, 0])
    assert column("repeats_previous", "103 Tiger [1].") == [0, 1, 0, 0, 0, 0, 0]  # not „1 Tiger“ by „[1]“
    for name in ("previous_sentence", "previous_near", "repeats_previous"):  # no previous answer, or none said
        assert column(name, None) == column(name, "Christoph Strasser.") == [0] * 7


def test_residual_cosine_prefers_the_detail_to_the_lead() -> None:
    """The lead restates the story (its topic direction); the other sentences add each their own detail,
    the question asks the topic plus one of them. Plain cosine ranks the lead first; with the article's
    common direction taken out, the sentence with the asked detail wins."""
    body = " ".join(f"Satz {i} über die Brücke." for i in range(7))
    spans = [(body.index(f"Satz {i}"), body.index(f"Satz {i}") + len(f"Satz {i} über die Brücke.")) for i in range(7)]
    axes = np.eye(8, dtype=np.float32)
    vectors = np.vstack([axes[0]] + [axes[0] + 1.5 * axes[i] for i in range(1, 7)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = axes[0] + 0.4 * axes[1]
    query /= np.linalg.norm(query)
    passage = Passage("b.txt::0", "b.txt", "Brücke", None, None, body, 0, len(body), 0.03)
    stored = {"b.txt": ArticleSentences(spans, vectors.astype(np.float16))}
    cands = candidates(analyse("Was kostet sie?"), [passage], stored, {"b.txt": body}, query, lambda t: 1.0, set())
    dense = [c.features[FEATURES.index("dense")] for c in cands]
    residual = [c.features[FEATURES.index("dense_residual")] for c in cands]
    assert np.argmax(dense) == 0 and np.argmax(residual) == 1


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("greg holst", "Trainer Holst übernimmt."),  # a person by the last name
        ("südindien", "in südindischen Städten"),  # a word by its stem
        ("sächsischen gärten", "Ogród Saski (Sächsischer Garten)"),  # an umlaut plural
        ("john sheeshanks", "John Sheepshanks spendete 233 Gemälde."),  # a long name misspelt by one letter
        ("marconis funkdemonstration", "Als Guglielmo Marconi 1901 funkte"),  # the possessor's name
        ("ponts schießpulverunternehmen", "E. I. du Pont gründete die Pulvermühlen."),  # a short name's genitive
        ("oxforder turm", "Oxfords Magdalen Tower"),  # the place of a place adjective
        ("römer angst", "Die Römer bauten einen Wall."),  # two nouns side by side: either
        ("rapid-spieler", "Rapid gewann."),  # a hyphenated compound by a part
    ],
)
def test_a_name_is_mentioned_in_its_other_forms(name: str, text: str) -> None:
    assert mentions(text, name)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("japan", "China sagte Hilfe zu."),
        ("donald trump", "Donald Tusk sagte Hilfe zu."),  # a first name alone names nobody
        ("fords produktionsstätten", "Die Forderungen der Gewerkschaft"),  # „Ford“ only inside another word
        ("ponts brücke", "Pontius Pilatus"),  # a genitive's name only as a whole word
        ("slowenien", "die Slowakei"),  # a word this short is not taken as misspelt
    ],
)
def test_another_name_is_not_mentioned(name: str, text: str) -> None:
    assert not mentions(text, name)


def test_an_article_is_of_other_years_only_when_its_times_say_so() -> None:
    assert of_other_years("Der Umsatz stieg 2023 um vier Prozent.", "2015", "2024-03-01")
    assert of_other_years("Der Umsatz stieg kräftig.", "2015", "2024-03-01")  # its date
    assert not of_other_years("Der Umsatz stieg im vergangenen Jahr.", "2023", "2024-03-01")  # meant, not written
    assert not of_other_years("Die Verteidigung gab nur 308 Punkte ab.", "2015", None)  # no date, no time: any year
    # undated: written in or after the latest year it names, which it may mean without writing it
    assert not of_other_years("Der Film von 2015 gewann den Oscar.", "2016", None)
    assert of_other_years("2003 waren es 2,2 Millionen Tonnen, 2015 noch 1,6.", "2010", None)


def test_english_questions_get_no_lexical_evidence() -> None:
    feats = _features("How much does the new bridge in Berlin cost?")
    assert all(f["lexical"] == 0.0 and f["dense_english"] == f["dense"] for f in feats.values())


def test_the_shipped_selector_matches_the_features_and_was_trained() -> None:
    selector = Selector.load()
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == INPUTS and set(selector.models) == set(KINDS)
    for model in selector.models.values():
        assert np.abs(model.coef).sum() > 0 and 0.0 < model.threshold < 1.0
    assert selector.models["passages"].info["questions"]["xquad-de"] > 0
    assert any(k.startswith("news_qa") for k in selector.models["articles"].info["questions"])
    held_out = {p.stem for p in (ROOT / "training" / "heldout").glob("*.jsonl")}
    assert held_out and not held_out & set(selector.models["articles"].info["questions"])


def test_training_questions_stay_off_the_development_articles() -> None:
    """Questions written for training (and the held-out ones) are over other articles than the dev set's."""
    dev = ROOT.parent / "shared" / "news" / "dev_qa.jsonl"
    if not dev.is_file():
        pytest.skip("needs ../shared/news/dev_qa.jsonl")

    def articles(path: Path) -> set[str]:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {a for r in rows for a in [*r["sources"], *([r["near"]] if r.get("near") else [])]}

    written = set().union(*(articles(p) for p in (ROOT / "training").rglob("news_qa_*.jsonl")))
    assert len(written) > 500 and not written & articles(dev)


def test_documents_choose_the_model() -> None:
    assert document_kind(5) == "passages" and document_kind(LONG_DOCUMENT + 1) == "articles"


def test_selector_save_load_round_trip(tmp_path: Path) -> None:
    n = len(INPUTS)
    coef = np.linspace(-1, 1, n).astype(np.float32)
    model = LogisticModel(np.zeros(n), np.ones(n), coef, 0.5, 0.3)
    Selector({"passages": model, "articles": model}).save(tmp_path / "s.json")
    loaded = Selector.load(tmp_path / "s.json").for_documents(20)
    x = np.eye(len(FEATURES), dtype=np.float32)
    inputs = np.hstack([x, x - 1 / len(FEATURES)])  # each feature, and against its mean over the candidates
    expected = 1 / (1 + np.exp(-(inputs @ coef + 0.5)))
    assert np.allclose(loaded.probabilities(x), expected, atol=1e-5) and loaded.threshold == 0.3


def test_a_selector_for_other_features_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"features": ["dense"], "models": {}}))
    with pytest.raises(ValueError, match="train-selector"):
        Selector.load(path)


def _synthetic(n_questions: int, seed: int) -> list[Example]:
    """Questions with 6 candidates; the answer (when there is one) has a high first feature."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_questions):
        x = rng.normal(size=(6, len(FEATURES))).astype(np.float32)
        labels = np.zeros(6, dtype=np.int8)
        answerable = i % 4 != 0
        if answerable:
            x[2, 0] += 4.0
            labels[2] = 1
        out.append(Example(f"g{i % 10}", "synthetic", answerable, x, labels))
    return out


def test_fit_learns_the_signal_and_calibrates_abstention() -> None:
    selector = fit_model(_synthetic(200, 0))
    n = len(FEATURES)
    assert selector.coef[0] + selector.coef[n] > 1.0  # the informative feature carries the weight
    test = _synthetic(80, 1)
    best = [selector.probabilities(ex.features).max() for ex in test]
    chosen = [int(np.argmax(selector.probabilities(ex.features))) for ex in test if ex.answerable]
    assert np.mean([c == 2 for c in chosen]) > 0.9
    answered = [b >= selector.threshold for b in best]
    assert np.mean([a for a, ex in zip(answered, test) if not ex.answerable]) < 0.5
    assert selector.info["out_of_fold"]["n_unanswerable"] == 50


def test_fit_trains_one_model_per_document_kind() -> None:
    short = [replace(ex, documents="passages") for ex in _synthetic(60, 2)]
    selector = fit(short + _synthetic(60, 3))
    assert selector.models["passages"].info["questions"] == selector.models["articles"].info["questions"]
    assert not np.allclose(selector.models["passages"].coef, selector.models["articles"].coef)


def test_a_quoted_close_second_of_the_same_article_counts_as_right() -> None:
    """The answer quotes the runner-up of the best sentence's article when it is at least half as likely;
    the threshold is chosen on what the answer quotes, not on the best sentence alone."""
    labels = np.array([0, 1, 1], dtype=np.int8)
    x = np.zeros((3, len(FEATURES)), dtype=np.float32)
    same = Example("g", "k", True, x, labels, articles=np.array([0, 0, 1]))
    other = Example("g", "k", True, x, labels, articles=np.array([0, 1, 1]))
    p = np.array([0.6, 0.4, 0.1])
    _, right, _, _ = _question_outcomes([same, other], [p, p])
    assert right.tolist() == [True, False]
    _, right, _, _ = _question_outcomes([same], [np.array([0.6, 0.2, 0.1])])  # below half: not quoted
    assert right.tolist() == [False]


def test_threshold_balances_answers_and_abstentions() -> None:
    best = np.concatenate([np.linspace(0.5, 0.95, 20), np.linspace(0.05, 0.3, 20)])
    answerable = np.arange(40) < 20
    t, figures = choose_threshold(best, answerable.copy(), answerable)
    assert 0.2 < t <= 0.5 and figures["answerable_correct"] == 1.0 and figures["abstention_recall"] >= 0.9


def test_questions_are_weighted_to_the_share_of_answers_in_the_lead() -> None:
    """One lead question among four: it weighs as much as ``LEAD_SHARE`` of them; XQuAD's (unknown) weigh 1."""
    x, labels = np.zeros((2, len(FEATURES)), dtype=np.float32), np.array([1, 0], dtype=np.int8)
    written = [Example("g", "k", True, x, labels, lead=n == 0) for n in range(4)]
    examples = [*written, Example("x", "k", True, x, labels)]
    w = training.question_weights(examples)
    assert w[0] / w[:4].sum() == pytest.approx(training.LEAD_SHARE)
    assert w[:4].sum() == pytest.approx(4) and w[4] == 1.0
    best, answerable = np.array([0.9, 0.2, 0.2, 0.2]), np.ones(4, dtype=bool)
    right = np.array([True, False, False, False])
    _, figures = choose_threshold(best, right, answerable, w[:4])  # the lead question right: its share right
    assert figures["answerable_correct"] == pytest.approx(training.LEAD_SHARE)


def test_a_narrow_peak_of_the_accuracy_curve_is_not_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Between two unanswerable questions at 0.30 and 0.31 and an answerable one at 0.32 the expected
    accuracy peaks for one hundredth; below 0.05 it is nearly as high over a wide range."""
    right_at = [0.9] * 6 + [0.32, 0.05]
    unanswerable_at = [0.30, 0.31, 0.10, 0.11, 0.12, 0.13]
    best = np.asarray(right_at + unanswerable_at)
    answerable = np.arange(len(best)) < len(right_at)
    assert choose_threshold(best, answerable.copy(), answerable)[0] <= 0.05
    monkeypatch.setattr(training, "SMOOTHING", 1.0)  # the bare argmax
    assert 0.31 < choose_threshold(best, answerable.copy(), answerable)[0] <= 0.32


def _scored(
    doc: str, start: int, probability: float, span: str | None = None, lacks_span: bool = False, reason: bool = False
) -> Scored:
    passage = Passage(f"{doc}::0", doc, "T", None, None, BODY, 0, len(BODY), 0.03)
    end = start + 20
    features = np.zeros(len(FEATURES))
    features[FEATURES.index("span_missing")] = float(lacks_span)  # a typed question, no phrase of its type
    features[FEATURES.index("reason_cue")] = float(reason)  # a „Warum …?“ question, a sentence giving a reason
    candidate = Candidate(passage, 1, start, end, BODY[start:end], span, (), features)
    return Scored(candidate, probability)


def test_aclose_second_sentence_of_the_same_article_is_quoted_too() -> None:
    best = _scored("a.txt", 0, 0.6)
    second, other_article, overlapping = _scored("a.txt", 60, 0.4), _scored("b.txt", 0, 0.5), _scored("a.txt", 10, 0.55)
    assert close_second(best, [best, overlapping, other_article, second], 0.1) is second
    assert close_second(best, [best, _scored("a.txt", 60, 0.2)], 0.1) is None  # under half as likely
    assert close_second(best, [best, second], 0.45) is None  # under the threshold


def test_a_second_sentence_with_the_asked_phrase_is_quoted_at_a_lower_bar_when_the_best_has_none() -> None:
    """„Wo …?“: the best sentence names „die US-Ostküstenstadt“, the next one „Philadelphia“."""
    untyped = _scored("a.txt", 0, 0.4, lacks_span=True)
    place, plain = _scored("a.txt", 60, 0.15, span="Philadelphia"), _scored("a.txt", 60, 0.15)
    assert close_second(untyped, [untyped, place], 0.1) is place
    assert close_second(untyped, [untyped, plain], 0.1) is None  # without the phrase: half as likely, as before
    typed = _scored("a.txt", 0, 0.4, span="Boston")
    assert close_second(typed, [typed, place], 0.1) is None  # the best sentence has its own phrase


def test_a_second_sentence_giving_a_reason_is_quoted_at_the_lower_bar_for_why_questions() -> None:
    """„Warum ist er gerast?“: the best sentence restates the event, the third one gives the motive."""
    event, motive = _scored("a.txt", 0, 0.9), _scored("a.txt", 60, 0.28, reason=True)
    detail = _scored("a.txt", 30, 0.29)
    assert close_second(event, [event, detail, motive], 0.07, asks_reason=True) is motive
    assert close_second(event, [event, detail, motive], 0.07) is None  # not a why-question: a third as likely
    reasoned = _scored("a.txt", 0, 0.9, reason=True)
    assert close_second(reasoned, [reasoned, motive], 0.07, asks_reason=True) is None  # the best gives a reason


def test_the_sentence_that_holds_what_is_asked_comes_before_a_likelier_one_that_does_not() -> None:
    """„Warum ist er gerast?“: after the event, „Er brachte es gar auf 160 km/h“ is likelier than the motive;
    „Wo …?“: a likelier sentence without a place comes after the one naming „Philadelphia“."""
    event, motive, detail = _scored("a.txt", 0, 0.9), _scored("a.txt", 60, 0.28, reason=True), _scored("a.txt", 30, 0.6)
    assert close_second(event, [event, detail, motive], 0.07, asks_reason=True) is motive
    assert close_second(event, [event, detail, motive], 0.07) is detail  # not a why-question
    untyped = _scored("a.txt", 0, 0.4, lacks_span=True)
    place, plain = _scored("a.txt", 60, 0.15, span="Philadelphia"), _scored("a.txt", 30, 0.3)
    assert close_second(untyped, [untyped, plain, place], 0.1) is place


def test_a_best_sentence_that_cannot_answer_gives_way_to_the_next_one_of_its_article() -> None:
    """„Wann ist sie nach Syrien ausgereist?“: the best sentence puts its statement in Italien."""
    question = "Wann ist sie nach Syrien ausgereist?"
    text = "Seit 2014 sind 81 Personen aus Italien in den Krieg gezogen. Sie reiste im September 2014 nach Syrien aus."
    split = text.index(" Sie")

    def scored(doc: str, start: int, end: int, probability: float) -> Scored:
        passage = Passage(f"{doc}::0", doc, "T", None, None, text, 0, len(text), 0.03)
        features = np.zeros(len(FEATURES))
        return Scored(Candidate(passage, 1, start, end, text[start:end], "2014", (), features), probability)

    def elsewhere(c: Candidate, quoted: list[Candidate]) -> bool:
        return other_place(question, c.text) is not None

    def unknown(c: Candidate) -> bool:
        return c.text.startswith("Seit")

    def never(c: Candidate) -> bool:
        return False

    def in_syria(c: Candidate) -> bool:
        return names_the_asked_place(question, c.text)

    italy, syria = scored("a.txt", 0, split, 0.16), scored("a.txt", split + 1, len(text), 0.14)
    assert answering([italy, syria], 0.06, False, elsewhere, never, in_syria) == (syria, None)
    later = scored("a.txt", split + 1, len(text), 0.07)
    assert answering([italy, later], 0.06, False, elsewhere, never, in_syria) is None  # not half as likely
    other = scored("b.txt", split + 1, len(text), 0.14)
    assert answering([italy, other], 0.06, False, elsewhere, never, in_syria) is None  # another article
    assert answering([syria, italy], 0.06, False, elsewhere, never, in_syria) == (syria, italy)  # the close second
    assert answering([italy, syria], 0.06, False, elsewhere, unknown, in_syria) is None  # „… noch nicht klar.“
    # a next sentence that does not name the asked place may be the same report of another place
    assert answering([italy, syria], 0.06, False, elsewhere, never, lambda c: False) is None


def test_the_best_sentence_is_quoted_with_the_next_one_that_refers_back_to_it() -> None:
    """„Welche Farben …?“: the best sentence names the logo, the next one („Dabei …“) its colours; its
    candidate holds both sentences."""
    text = "2001 wurde das Logo überarbeitet. Dabei blieb es schwarz und gelb. Der Sender wuchs."
    passage = Passage("a.txt::0", "a.txt", "T", None, None, text, 0, len(text), 0.03)
    first, both = text.index(" Dabei"), text.index(" Der")

    def scored(start: int, end: int, probability: float, span: str | None = None) -> Scored:
        features = np.zeros(len(FEATURES))
        return Scored(Candidate(passage, 1, start, end, text[start:end], span, (), features), probability)

    best, joined, other = scored(0, first, 0.6), scored(0, both, 0.2), scored(both + 1, len(text), 0.3)
    assert continued(best, [best, other, joined]) == Scored(joined.candidate, 0.6)  # the best one's probability
    typed = scored(0, first, 0.6, span="2001")
    assert continued(typed, [typed, other, joined]) is typed  # it holds what is asked: quoted alone
    assert continued(other, [other, best, joined]) is other  # no sentence refers back to it
