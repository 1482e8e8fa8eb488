"""Pure metric functions: German answer normalisation, key facts, SQuAD EM/F1, citations, ranking.

Per-question metrics whose denominator can be empty (no citations, no gold sources) return None,
so that averages are taken over the questions where the figure is defined (see ``mean``).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from rag.text.lexical import NUMBER_WORDS

# -- German normalisation ----------------------------------------------------------------------

_DIGIT_WORDS = {w: n for w, n in NUMBER_WORDS.items() if 1 <= n <= 9 and w != "eins"}
"""Digit words as they appear inside compounds ("einundzwanzig", "dreihundert")."""
_BELOW_20 = {w: n for w, n in NUMBER_WORDS.items() if n < 20}
_TENS = {w: n for w, n in NUMBER_WORDS.items() if 20 <= n < 100}
_ARTICLE_ONE = {"ein", "eine", "einer", "einen", "einem"}
"""Forms of "ein" that are read as 1 only right before a scale word ("eine Milliarde")."""
_SCALE_WORDS = ("milliarden", "millionen", "tausend", "hundert")

_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:[., '’]\d{3})+)(?!\d)")
_WORD = re.compile(r"[a-zäöüß]+")
_N_TAUSEND = re.compile(r"(?<![\d.,])(\d+) tausend\b")
_DASHES = re.compile(r"[-‐‑‒–—]")


def _below_100(word: str) -> int | None:
    if word in _BELOW_20 and word != "ein":
        return _BELOW_20[word]
    if word in _TENS:
        return _TENS[word]
    unit, sep, tens = word.partition("und")
    if sep and unit in _DIGIT_WORDS and tens in _TENS:
        return _DIGIT_WORDS[unit] + _TENS[tens]
    return None


def _below_1000(word: str) -> int | None:
    head, sep, rest = word.partition("hundert")
    if not sep:
        return _below_100(word)
    hundreds = 1 if head == "" else _DIGIT_WORDS.get(head)
    rest = rest.removeprefix("und")
    below = 0 if not rest else _below_100(rest)
    return None if hundreds is None or below is None else hundreds * 100 + below


def number_word_value(word: str) -> int | None:
    """The value of a German number word up to 999 999 ("fünfzig", "zwanzigtausend"), else None.

    Compounds are parsed the way they are written: ``[N]tausend[M]hundert[u]und[tens]``.
    """
    head, sep, rest = word.partition("tausend")
    if not sep:
        return _below_1000(word)
    thousands = 1 if head in ("", "ein") else _below_1000(head)
    rest = rest.removeprefix("und")
    below = 0 if not rest else _below_1000(rest)
    return None if thousands is None or below is None else thousands * 1000 + below


def _number_words(text: str) -> str:
    """Number words to digits; a lone "tausend"/"hundert" after a number stays a word ("20 tausend")."""
    words = list(_WORD.finditer(text))
    out: list[str] = []
    last = 0
    for i, m in enumerate(words):
        word = m.group()
        before = text[: m.start()].rstrip()
        previous = words[i - 1] if i > 0 and words[i - 1].end() == len(before) else None
        after_number = before[-1:].isdigit() or (
            previous is not None and number_word_value(previous.group()) is not None
        )
        if word in _ARTICLE_ONE:
            following = words[i + 1].group() if i + 1 < len(words) else ""
            value = 1 if following.startswith(_SCALE_WORDS) else None
        elif word in ("tausend", "hundert") and after_number:
            value = None
        else:
            value = number_word_value(word)
        if value is not None:
            out.append(text[last : m.start()] + str(value))
            last = m.end()
    return "".join(out) + text[last:]


_DECIMAL_ZEROS = re.compile(r"(?<![\d.,])(\d+)([.,])(\d*0)(?![\d.,]?\d)")


def normalize(text: str) -> str:
    """Normalise German answer text so that equal facts compare equal as substrings.

    Lower case; citation markers ``[n]`` dropped; "Mrd."/"Mio."/"Tsd." and singular "Milliarde"/
    "Million" become "milliarden"/"millionen"/"tausend"; "€"/"EUR" → "euro", "$"/"USD" → "dollar"
    ("US-Dollar" → "us dollar"); "%" → "prozent"; thousands separators in numbers dropped
    ("20.000", "20 000", "20,000" → "20000", while "1,5" stays); German number words become
    digits ("fünfzig" → "50", "zwanzigtausend" and "zwanzig tausend" → "20000", "eine Milliarde"
    → "1 milliarden"); trailing zeros of decimals dropped ("26,80" → "26,8", "3,0" → "3"); dashes and punctuation become spaces, except "." "," "/" between digits.
    So "50 Mrd. €", "50 Milliarden Euro" and "fünfzig Milliarden Euro" all give "50 milliarden euro".
    """
    s = unicodedata.normalize("NFKC", text).lower()
    s = _MARKER.sub(" ", s)
    s = s.replace("€", " euro ").replace("$", " dollar ").replace("%", " prozent ")
    s = re.sub(r"\beur\b", "euro", s)
    s = re.sub(r"\busd\b", "dollar", s)
    s = re.sub(r"\bmrd\b\.?", "milliarden", s)
    s = re.sub(r"\bmio\b\.?", "millionen", s)
    s = re.sub(r"\btsd\b\.?", "tausend", s)
    s = re.sub(r"\bmilliarde\b", "milliarden", s)
    s = re.sub(r"\bmillion\b", "millionen", s)
    s = _THOUSANDS.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), s)
    s = _DECIMAL_ZEROS.sub(lambda m: m.group(1) + (m.group(3).rstrip("0") and m.group(2) + m.group(3).rstrip("0")), s)
    s = _DASHES.sub(" ", s)
    s = _number_words(s)
    s = _N_TAUSEND.sub(lambda m: str(int(m.group(1)) * 1000), s)
    s = re.sub(r"[^\w\s.,/]", " ", s)
    s = re.sub(r"(?<!\d)[.,/]|[.,/](?!\d)", " ", s)
    return " ".join(s.split())


def contains_fact(normalized_answer: str, normalized_fact: str) -> bool:
    """Substring containment, except that numbers match whole: "50 milliarden" is not in "150 milliarden".

    Letters need no word boundary, so stems work ("verkauf" in "verkauft", "korea" in "nordkorea").
    Both arguments must already be normalised.
    """
    if not normalized_fact:
        return False
    pattern = re.escape(normalized_fact)
    if normalized_fact[0].isdigit():
        pattern = r"(?<!\d)(?<!\d[.,/])" + pattern
    if normalized_fact[-1].isdigit():
        pattern += r"(?![.,/]?\d)"
    return re.search(pattern, normalized_answer) is not None


def key_fact_hit(answer: str, key_facts: Sequence[Sequence[str]]) -> bool:
    """True when every group of key facts has an alternative contained in the answer (both normalised).

    An empty list of groups is vacuously true; callers score unanswerable questions by abstention.
    """
    text = normalize(answer)
    return all(any(contains_fact(text, normalize(alt)) for alt in group) for group in key_facts)


def _f1(pred_tokens: list[str], ref_tokens: list[str]) -> float:
    same = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def token_f1(pred: str, ref: str) -> float:
    """Bag-of-tokens F1 between two German texts after ``normalize``; two empty texts score 1.0."""
    p, r = normalize(pred).split(), normalize(ref).split()
    if not p and not r:
        return 1.0
    return _f1(p, r)


# -- SQuAD v1.1 (official evaluate-v1.1.py behaviour) -----------------------------------------

_PUNCTUATION = frozenset(string.punctuation)


def squad_normalize(text: str) -> str:
    """The official SQuAD v1.1 normalisation: lower, drop ASCII punctuation, English articles, extra spaces.

    Kept exactly as in the official script, so German articles (der/die/das) and typographic
    quotes („“) are not removed; the figures are comparable to published XQuAD numbers.
    """
    no_punct = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    no_articles = re.sub(r"\b(a|an|the)\b", " ", no_punct)
    return " ".join(no_articles.split())


def _golds(gold_answers: str | Sequence[str]) -> list[str]:
    return [gold_answers] if isinstance(gold_answers, str) else list(gold_answers)


def exact_match(pred: str, gold_answers: str | Sequence[str]) -> bool:
    """SQuAD exact match: the normalised prediction equals some normalised gold answer."""
    return any(squad_normalize(pred) == squad_normalize(g) for g in _golds(gold_answers))


def squad_f1(pred: str, gold_answers: str | Sequence[str]) -> float:
    """SQuAD token F1, the maximum over the gold answers (0.0 when there is no overlap at all)."""
    tokens = squad_normalize(pred).split()
    return max((_f1(tokens, squad_normalize(g).split()) for g in _golds(gold_answers)), default=0.0)


# -- abstention, citations, ranking -------------------------------------------------------------


def abstention_precision_recall(
    preds: Sequence[bool], gold_unanswerable: Sequence[bool]
) -> tuple[float | None, float | None]:
    """Precision and recall of abstaining, with "abstained" as the positive class.

    Precision: share of abstentions that were on unanswerable questions; recall: share of
    unanswerable questions the system abstained on. A figure with an empty denominator (the
    system never abstained; there was no unanswerable question) is None, not a made-up 0 or 1.
    """
    if len(preds) != len(gold_unanswerable):
        raise ValueError(f"{len(preds)} predictions but {len(gold_unanswerable)} gold labels")
    both = sum(p and g for p, g in zip(preds, gold_unanswerable))
    abstained, unanswerable = sum(preds), sum(gold_unanswerable)
    return (both / abstained if abstained else None, both / unanswerable if unanswerable else None)


Ranked = Sequence[str | Collection[str]]
"""Ranked (or cited) entries: each a doc id, or the set of ids one passage or citation stands for."""


def _ids(entry: str | Collection[str]) -> set[str]:
    return {entry} if isinstance(entry, str) else set(entry)


def citation_precision(cited: Ranked, sources: Collection[str]) -> float | None:
    """Share of cited articles that are gold sources; None when nothing was cited.

    Each entry is one cited article: a doc id, or the set of ids it stands for (the article and
    the near-duplicates collapsed into it); equal entries count once.
    """
    articles = {frozenset(_ids(e)) for e in cited}
    if not articles:
        return None
    return sum(bool(a & set(sources)) for a in articles) / len(articles)


def citation_recall(cited: Ranked, sources: Collection[str]) -> float | None:
    """Share of gold sources that some citation stands for; None when there are no gold sources."""
    if not sources:
        return None
    covered = set().union(*map(_ids, cited))
    return len(set(sources) & covered) / len(set(sources))


def first_relevant_rank(ranked: Ranked, gold: Collection[str]) -> int | None:
    """1-based position of the first ranked entry that stands for a gold id, or None."""
    gold_set = set(gold)
    return next((rank for rank, e in enumerate(ranked, start=1) if _ids(e) & gold_set), None)


def hit_at_k(ranked: Ranked, gold: Collection[str], k: int) -> bool:
    """True when one of the first ``k`` ranked entries stands for a gold id."""
    return first_relevant_rank(ranked[:k], gold) is not None


def reciprocal_rank(ranked: Ranked, gold: Collection[str], k: int | None = None) -> float:
    """1 / rank of the first gold entry within the first ``k`` (all when None); 0.0 if there is none."""
    rank = first_relevant_rank(ranked if k is None else ranked[:k], gold)
    return 1.0 / rank if rank else 0.0


# -- aggregation --------------------------------------------------------------------------------


def mean(values: Iterable[float | bool | None]) -> float | None:
    """Arithmetic mean of the defined values (None skipped); None when no value is defined."""
    defined = [float(v) for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None
