from __future__ import annotations

import pytest

from rag.answer.question import analyse
from rag.answer.spans import (
    NUMBER,
    UNKNOWN,
    about_other_states,
    asks_for_a_persons_name,
    counts_the_unasked,
    find_span,
    holds_a_quantity,
    is_whole_phrase,
    names_a_person,
)


def span(question: str, sentence: str) -> str | None:
    return find_span(sentence, analyse(question))


def test_amount_with_qualifier() -> None:
    s = "Im vergangenen Jahr hatten die Alliierten Unterstützung im Wert von rund 50 Milliarden Euro mobilisiert."
    assert span("Wie viel Hilfe wurde 2024 zugesagt?", s) == "rund 50 Milliarden Euro"


def test_count_prefers_the_noun_asked_for() -> None:
    s = "Man müsse daran denken, dass Russland monatlich 20.000 Soldaten verliere."
    assert span("Wie viele Soldaten verliert Russland pro Monat?", s) == "20.000 Soldaten"


@pytest.mark.parametrize(
    ("question", "sentence", "unasked"),
    [
        ("Wie viele Pilger starben?", "Beim Unglück starben 21 Pilger.", False),
        ("Wie viele Todesopfer gab es?", "Dabei starben zwei Polizisten.", True),
        ("Wie viel Unterhalt schuldet er?", "Er wird in zwei Fällen gesucht.", True),
        ("Wie viel kostet die Brücke?", "Die Brücke kostet 12 Millionen Euro.", False),  # money counts no noun
    ],
)
def test_a_count_of_something_else_than_asked(question: str, sentence: str, unasked: bool) -> None:
    q = analyse(question)
    found = find_span(sentence, q)
    assert found is not None and counts_the_unasked(found, q) == unasked


def test_money_counts_nothing_but_money() -> None:
    assert span("Wie viele Alben umfasst der Vertrag?", "Der Vertrag ist 90 Millionen Pfund wert.") is None
    assert (
        span("Wie viele Alben umfasst der Vertrag?", "Für 90 Millionen Pfund liefert sie sechs Alben.") == "sechs Alben"
    )
    assert span("Wie viele Euro kostet das Ticket?", "Das Ticket kostet 40 Euro.") == "40 Euro"


def test_fraction_count() -> None:
    s = "Zwei Drittel der Nato-Mitglieder hätten sich der Initiative angeschlossen."
    assert span("Wie viele Nato-Mitglieder haben sich angeschlossen?", s) == "Zwei Drittel der Nato-Mitglieder"


def test_person_not_named_in_the_question() -> None:
    s = "Rubio lässt sich von seinem Stellvertreter Christopher Landau vertreten."
    assert span("Wer vertritt Marco Rubio beim Nato-Außenministertreffen?", s) == "Christopher Landau"


@pytest.mark.parametrize(
    ("sentence", "answer"),
    [
        ("Die Gespräche vermittelten Katar und Ägypten, hieß es in Washington.", "Katar und Ägypten"),
        ("Geld für den Wiederaufbau kommt vor allem von der Weltbank.", "Weltbank"),
        ("Die Gespräche fanden in Paris statt.", None),  # a city is a place, not who did it
    ],
)
def test_who_without_a_person_is_a_country_or_organisation(sentence: str, answer: str | None) -> None:
    assert span("Wer hat zwischen Israel und der Hamas vermittelt?", sentence) == answer


@pytest.mark.parametrize(
    ("sentence", "answer"),
    [
        ("Der Markt ist künftig jeden letzten Samstag im Monat geöffnet.", "jeden letzten Samstag im Monat"),
        ("Die Messe findet alle zwei Jahre in Wels statt.", "alle zwei Jahre"),
        ("Geöffnet wird einmal pro Woche.", "einmal pro Woche"),
    ],
)
def test_when_is_answered_by_a_recurring_time(sentence: str, answer: str) -> None:
    assert span("Wann ist der Bauernmarkt geöffnet?", sentence) == answer


def test_place_with_article() -> None:
    s = "Eine neue Zielvorgabe soll beim nächsten Gipfeltreffen im Juni in Den Haag vereinbart werden."
    assert span("Wo soll die neue Zielvorgabe vereinbart werden?", s) == "Den Haag"


def test_list_of_countries() -> None:
    s = "Kanada, Deutschland, Norwegen und Polen wollen Rutte zufolge mehr Mittel bereitstellen."
    assert span("Welche Länder wollen mehr Mittel bereitstellen?", s) == "Kanada, Deutschland, Norwegen und Polen"


def test_quoted_name_with_acronym() -> None:
    s = 'Ein Nato-General spricht über das neue Konzept, das "Eastern Flank Deterrence Line" (EDFL) genannt wird.'
    assert span("Wie heißt das neue Verteidigungskonzept?", s) == "Eastern Flank Deterrence Line (EDFL)"


def test_date() -> None:
    s = "Antony Blinken und Mark Rutte am 13. November während einer Pressekonferenz in Brüssel"
    assert span("Wann traf sich Blinken mit Rutte in Brüssel?", s) == "13. November"
    s = "Ein Ehemann wurde ihr vermittelt, mit dem sie im September 2014 nach Syrien ausreiste."
    assert span("Wann ist sie nach Syrien ausgereist?", s) == "September 2014"  # the month keeps its year


def test_explanation_has_no_span() -> None:
    assert span("Was sieht die Purl-Initiative vor?", "Sie sieht vor, dass Waffen verkauft werden.") is None


def test_count_needs_a_noun_not_a_verb_particle() -> None:
    s = "Aus dem Bericht gehen 15 hervor, die Zahl der Einsätze stieg auf 3.412 Einsätze."
    assert span("Wie viele Einsätze gab es?", s) == "3.412 Einsätze"


@pytest.mark.parametrize("fragment", ["15 hervor", "Einigung auf", "Über eine neue", "der", "folgt", "und Polen"])
def test_fragments_are_not_whole_phrases(fragment: str) -> None:
    assert not is_whole_phrase(fragment)


@pytest.mark.parametrize(
    "phrase", ["rund 50 Milliarden Euro", "Christopher Landau", "13. November", "Den Haag", "2024"]
)
def test_typed_answers_are_whole_phrases(phrase: str) -> None:
    assert is_whole_phrase(phrase)


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # a known place, not a noun after a preposition („in Form“)
        (
            "Wo wird die Perle ausgestellt?",
            "Die Perle ist in Form und soll im Museum von Perth ausgestellt werden.",
            "Perth",
        ),
        ("Wo wurde operiert?", "Philadelphia – Einem Buben sind zwei Hände transplantiert worden.", "Philadelphia"),
        ("Wo wurde operiert?", "Die Operation gelang in großer Sorge um das Kind.", None),
        ("Von wo wird koordiniert?", "Die Armee ist in der Lage, im Zug zu bleiben.", None),  # towns named like nouns
        ("Woher kam er?", "Er kam aus der Schweiz.", "Schweiz"),
        # a person by a first name from the name list, not a capitalised noun pair
        ("Wer sang?", "Die US-Schauspielerin Nichelle Nichols sang.", "Nichelle Nichols"),
        ("Wer sang?", "Die Spanische Hofreitschule sang.", None),
        ("Wer sprach?", "Der Nato-Generalsekretär Mark Rutte sprach.", "Mark Rutte"),  # „Nato“ alone is a first name
        ("Wer sprach?", "Nato-Generalsekretär Mark Rutte sprach.", "Mark Rutte"),
        ("Wer sprach?", "Der Politiker Karl-Heinz Grasser sprach.", "Karl-Heinz Grasser"),
        # a family name with its particles, never a first name and a particle alone
        ("Wer gewann?", "Gewonnen hat Alexander Van der Bellen mit 53 Prozent.", "Alexander Van der Bellen"),
        ("Wer gewann?", "Den Titel holte Kevin De Bruyne.", "Kevin De Bruyne"),
        ("Wer gewann?", "Den Titel holte am Ende Kevin De.", None),
        # organisations after the word for their kind, or by a club's abbreviation
        ("Von welchem Verein kommt er?", "Er kommt vom deutschen Drittligisten VfR Aalen.", "VfR Aalen"),
        ("Which company did he run?", "Er stand an der Spitze der Software-Firma Intuit.", "Intuit"),
        # durations with all their parts, dates with a part of the year
        (
            "Wie lange brauchte er?",
            "Er fuhr in 3 Tagen 14 Stunden und 44 Minuten ins Ziel.",
            "3 Tagen 14 Stunden und 44 Minuten",
        ),
        ("Wie lange brauchte er?", "26 Minuten nach Mitternacht kam er ins Ziel.", None),
        ("Wann öffnet der Saal wieder?", "Bis Ende 2016 sollen wieder Konzerte möglich sein.", "Ende 2016"),
        ("Wann wurde eröffnet?", "Die Brücke wurde am 15. Jänner 2015 eröffnet.", "15. Jänner 2015"),  # Austrian
        # a number the question states is not its answer
        ("Wie viele der 150 Mitarbeiter gehen?", "Wie viele der 150 Mitarbeiter gehen, ist unklar.", None),
        ("Wie viele der 150 Mitarbeiter gehen?", "Von den 150 Mitarbeitern gehen 40 Mitarbeiter.", "40 Mitarbeiter"),
        ("Wie viel kostet es mit 2 Euro Rabatt?", "Mit 2 Euro Rabatt kostet es 12,50 Euro.", "12,50 Euro"),
        # ages as news writes them
        ("Wie alt ist Leonhard Kaufmann?", "Der 26-Jährige unterschrieb am Montag.", "26 Jahre"),
        ("How old was Robert Stigwood when he died?", "Stigwood starb im Alter von 81 Jahren.", "81 Jahre"),
        ("Wie alt ist der 23-jährige Hasan E.?", "Der 23-jährige Hasan E. wurde festgenommen.", None),
    ],
)
def test_typed_spans(question: str, sentence: str, expected: str | None) -> None:
    assert span(question, sentence) == expected


def test_organisation_questions_get_no_person() -> None:
    s = "Campbell beriet Steve Jobs und stand an der Spitze der Software-Firma Intuit."
    assert span("Which software company did Campbell run?", s) == "Intuit"
    assert span("Which software company did Campbell run?", "Campbell beriet Steve Jobs.") is None


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "In welcher Stadt wird das Schiff gebaut?",
            "Es wird in der nordchinesischen Hafenstadt Dalian gebaut.",
            "Dalian",
        ),
        (
            "Wo wurde der Wagen gestoppt?",
            "Im Februar wurde im Bezirk Mistelbach (NÖ) ein Wagen gestoppt.",
            "Mistelbach",
        ),
        (
            "In welcher Stadt starben sie?",
            "Sie starben in Kambodschas Hauptstadt Phnom Penh – am selben Ort.",
            "Phnom Penh",
        ),
        (
            "Von welchem Land übernimmt die Slowakei?",
            "Die Slowakei übernimmt den Vorsitz von den Niederlanden.",
            "Niederlande",
        ),
        (
            "Mit wem teilt sich Wayne Rooney den Rekord?",
            "Rooney ist nun mit Sir Bobby Charlton Englands Rekordtorschütze.",
            "Bobby Charlton",
        ),
    ],
)
def test_places_by_their_kind_and_names_inside_longer_runs(question: str, sentence: str, expected: str) -> None:
    assert span(question, sentence) == expected


@pytest.mark.parametrize(
    ("question", "person"),
    [
        ("Wie heißt der achtjährige Bub, dem beide Hände transplantiert wurden?", True),
        ("Wie hieß der Lehrer, der nach der Attacke starb?", True),
        ("Wie heißt der 21-Jährige, der durch Saalfelden raste?", True),
        ("Wie heißt der neue FP-Bürgermeister von Wels?", True),  # the compound's head is a role
        ("Wie heißt der Belgier, der in Marokko festgenommen wurde?", True),  # someone from a place
        ("Wie heißt die Österreicherin, die den Preis gewann?", True),
        ("Wie heißt der Wiener Verein, der aufstieg?", False),  # the place's adjective before a noun
        ("Wie heißt der Roboter, mit dem Yamaha Motorräder fahren lässt?", False),
        ("Wie heißt das neue Verteidigungskonzept der Nato?", False),
    ],
)
def test_questions_that_can_only_be_answered_by_a_persons_name(question: str, person: bool) -> None:
    assert asks_for_a_persons_name(question) is person


def test_a_sentence_that_withholds_the_name_names_no_person() -> None:
    q = analyse("Wie heißt der achtjährige Bub, dem in Philadelphia Hände transplantiert wurden?")
    assert not names_a_person(
        "Einem acht Jahre alten Burschen sind in Philadelphia zwei Hände transplantiert worden.", q
    )
    assert names_a_person("Der achtjährige Zion Harvey aus Baltimore erhielt zwei neue Hände.", q)


@pytest.mark.parametrize(
    ("sentence", "has_number"),
    [
        ("Es starben 12 Menschen.", True),
        ("Vierzig Menschen kamen.", True),
        ("Es gab keine Toten.", True),  # none is a count too
        ("Dutzende Papageien wurden gefunden.", True),
        ("Ein Mann wurde angezeigt.", False),  # „ein“ is mostly the article
        ("Die Zollfahndung hat einen Papageienhändler angezeigt.", False),
    ],
)
def test_a_number_in_digits_or_words(sentence: str, has_number: bool) -> None:
    assert bool(NUMBER.search(sentence)) == has_number


@pytest.mark.parametrize(
    ("question", "sentence", "elsewhere"),
    [
        ("Wie hoch war Chinas Forschungsquote?", "Es folgen Deutschland (2,84) und die USA mit 2,74 Prozent.", True),
        ("Wie hoch war Chinas Forschungsquote?", "China investierte 2,1 Prozent, die USA 2,74 Prozent.", False),
        ("Wie hoch war die Forschungsquote?", "Es folgen Deutschland (2,84) und die USA mit 2,74 Prozent.", False),
        (
            "Wer unterstützt Russland in dem Krieg?",
            "China, der Iran und Nordkorea helfen.",
            False,
        ),  # „Wer“ asks for others
        ("Wohin reiste Merkel nach ihrem Besuch in China?", "Danach flog sie nach Japan.", False),
        ("Welche Länder unterstützen die Ukraine neben Deutschland?", "Kanada und Polen helfen auch.", False),
    ],
)
def test_a_sentence_about_other_states(question: str, sentence: str, elsewhere: bool) -> None:
    assert about_other_states(sentence, analyse(question)) == elsewhere


@pytest.mark.parametrize(
    ("sentence", "unknown"),
    [
        ("Wie viele der 150 Mitarbeiter ihren Job verlieren, ist noch nicht klar.", True),
        ("Der Euro-Preis wurde nicht genannt.", True),
        ("Die Ursache des Brandes war zunächst unklar.", True),
        ("Die Polizei machte keine näheren Angaben.", True),
        ("Einen favorisierten Kandidaten wollte Abwerzger indes nicht nennen.", True),
        ("Wer die Partei anführt, steht noch nicht fest.", True),
        ("Der Termin verschob sich, ein neues Datum steht nicht fest.", True),
        ("Der Termin ist noch offen.", True),
        ("Wie lang der Grenzeinsatz dauern wird, ist ungewiss.", True),
        ("Für die Behörde sind sie unsicher und gefährlich.", False),  # unsafe, not unknown
        ("Er wollte das Amt nicht verlieren.", False),
        ("Die Ursache ist klar: ein Kurzschluss.", False),
        ("Der Preis wurde mit 500 Euro genannt.", False),
    ],
)
def test_a_sentence_saying_it_is_not_known(sentence: str, unknown: bool) -> None:
    assert bool(UNKNOWN.search(sentence)) == unknown


@pytest.mark.parametrize(
    ("question", "sentence", "count"),
    [
        ("Wie viele Männer kamen?", "Einundzwanzig Männer kamen.", "Einundzwanzig Männer"),
        ("Wie viele Männer kamen?", "Es kamen Hunderte Männer.", "Hunderte Männer"),
        ("Wie viele Stimmen bekam er?", "Er wurde fünfter Ausländer in der Wertung.", None),  # an ordinal
        ("Wie viel höher liegt die Stimme?", "In der eingängigen Fachliteratur steht es.", None),  # „ein…“ only
        ("Wie viele Personen wurden befragt?", "Gut eine Woche vor der Wahl liegt er vorn.", None),  # a time
        ("Wie viele Karten gingen weg?", "Für 20.30 Uhr sind 35.000 Tickets verkauft.", "35.000 Tickets"),
        ("How many megapixels does it have?", "Dazu kommen die f/2.0 Blende und der Blitz.", None),  # no whole number
    ],
)
def test_numbers_in_words_are_whole_number_words(question: str, sentence: str, count: str | None) -> None:
    assert span(question, sentence) == count


def test_a_count_is_answered_by_a_number_a_counted_phrase_or_the_counted_one_by_one() -> None:
    listing = "Kanada, Deutschland, Norwegen und Polen wollen mehr Mittel bereitstellen."
    assert holds_a_quantity(listing, None, count=True)
    assert not holds_a_quantity(listing, None, count=False)  # „Wie viel Geld …?“ wants a figure
    assert holds_a_quantity("Ein Mann wurde angezeigt.", "Ein Mann", count=True)
    assert not holds_a_quantity("Die Zollfahndung hat Papageien beschlagnahmt.", None, count=True)
