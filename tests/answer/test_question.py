"""Question analysis: answer type and what an amount or count question measures."""

from __future__ import annotations

import re

import pytest

from rag.answer.question import analyse


@pytest.mark.parametrize(
    ("question", "answer_type", "measured"),
    [
        ("Wie hoch war die Inflation in Deutschland 2024?", "amount", "Inflation"),
        ("Wie viel Geld hat Deutschland für die Purl-Initiative bereitgestellt?", "amount", "Deutschland"),
        ("Wie viele Nato-Mitglieder haben sich angeschlossen?", "count", "Nato-Mitglieder"),
        ("Wie viele Soldaten verliert Russland pro Monat?", "count", "Soldaten"),
        ("Wer vertritt Marco Rubio beim Nato-Außenministertreffen?", "person", None),
        ("How many countries are ready to help Kyiv?", "count", None),  # not looked up in German words
    ],
)
def test_what_a_question_measures(question: str, answer_type: str, measured: str | None) -> None:
    info = analyse(question)
    assert info.answer_type == answer_type and info.measured == measured


@pytest.mark.parametrize(
    ("question", "english"),
    [
        ("How many soldiers does Russia lose per month according to Rutte?", True),
        ("Who is representing Marco Rubio at the meeting?", True),
        ("Wer hat das Gedicht The Mask of Anarchy geschrieben?", False),
        ("Wo liegen die Harvard Medical School und die School of Public Health?", False),
        ("Wie viel Hilfe wurde 2024 zugesagt?", False),
    ],
)
def test_english_questions_are_recognised(question: str, english: bool) -> None:
    assert analyse(question).english is english


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("Ist die Militärhilfe dauerhaft eingestellt worden?", "yesno"),
        ("Hat Rutte die Alliierten gelobt?", "yesno"),
        ("Was kostet die Brücke?", "amount"),  # German "was" is no yes/no question
        ("Did Russia lose soldiers?", "yesno"),
    ],
)
def test_yes_no_questions(question: str, answer_type: str) -> None:
    assert analyse(question).answer_type == answer_type


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("Gegen wen verlor die Austria im Finale?", "person"),  # after a preposition
        ("Auf wen entfielen die meisten Stimmen?", "person"),
        ("Welcher Rapid-Spieler fehlt gesperrt?", "person"),  # „welcher“ and a word for people
        ("Welche Forscher haben die Studie geleitet?", "person"),
        ("In welchem Grazer Bezirk brannte es?", "place"),  # an adjective before the word for a place
        ("Nahe welcher Grenzstadt wurde das Lager gefunden?", "place"),
        ("Zwischen welchen Orten fährt die neue Bahn?", "place"),
        ("Welcher Sport ist in Österreich am beliebtesten?", "other"),  # „Sport“ holds „ort“: no place
        ("Welches Wort des Jahres wurde gewählt?", "other"),
        ("thiem buenos aires 2016 halbfinale gegen wen", "person"),  # keywords, the question word last
        ("inflation eurozone oktober 2015 wie hoch", "amount"),
        ("Aus welchem Netzwerk wurde Tsai Ing Wen gelöscht?", "other"),  # „Wen“ in a name asks nothing
        ("Aus wie vielen Ländern kommen die Gründer?", "count"),  # the dative „wie vielen“
        ("Wie vielen Abgeordneten wird die Immunität entzogen?", "count"),
        ("Nach wie vielen Jahren kehrte er zurück?", "duration"),
        ("Mit wie vielen Jahren starb er?", "age"),  # the preposition tells an age from a duration
        ("In welchem Alter starb er?", "age"),
        ("Und in welchem Alter?", "age"),
        ("At what age did he die?", "age"),
        ("In welchem Bundesstaat wurde er verurteilt?", "place"),
        ("An welchem Standort wurde gestreikt?", "place"),  # of the compounds of „Ort“ only these
        ("In welchen Städten fahren die Autos?", "list"),  # „welchen“ and a plural
        ("Welchen Umsatz erzielte das Unternehmen?", "other"),  # „welchen“ and a singular
    ],
)
def test_what_kind_of_answer_a_question_asks_for(question: str, answer_type: str) -> None:
    assert analyse(question).answer_type == answer_type


@pytest.mark.parametrize(
    ("question", "sentence_unit"),
    [
        ("Wie viel wiegt der Kuschelpolster?", "5 Kilogramm"),
        ("Was soll der Polster kosten?", "10.000 Yen"),
        ("How old was Robert Stigwood when he died?", "81 Jahre"),
        ("Wie hoch war der Marktanteil von Servus TV?", "1,7 Prozent"),  # the compound's head names it
        ("Wie hoch ist der Anteil der Befragten, die nie in der Schule waren?", "ein Viertel"),
        ("Wie hoch sind die Nachtzulagen?", "120 Euro"),
        ("Zu welchem Preis wird das Spiel verkauft?", "rund 10 Euro"),  # the noun asked for
        ("Wie schwer ist die teuerste Insel?", "40 Tonnen"),  # „wie schwer“, not „teuer“
        ("Wie alt ist der Bundesschulsprecher?", "der 18-Jährige"),
    ],
)
def test_units_a_quantity_question_implies(question: str, sentence_unit: str) -> None:
    unit = analyse(question).unit
    assert unit is not None and re.search(unit, sentence_unit, re.IGNORECASE)


def test_a_weight_is_not_a_length() -> None:
    unit = analyse("Wie schwer ist das Objekt 2014 MU69?").unit
    assert unit is not None and re.search(unit, "wiegt rund 20 Kilo", re.IGNORECASE)
    assert not re.search(unit, "einen Durchmesser von 30 bis 45 Kilometern", re.IGNORECASE)


def test_a_unit_the_question_names_is_the_one_the_answer_must_carry() -> None:
    unit = analyse("Wie viel kostet die Brille in Euro?").unit
    assert unit is not None and re.search(unit, "rund 500 Euro", re.IGNORECASE)
    assert not re.search(unit, "800 Dollar", re.IGNORECASE)
    assert analyse("Wie viel kostet eine Wohnung in Wien?").unit != unit  # a place, not a unit


@pytest.mark.parametrize(
    "question",
    [
        "Wie viele Tiger leben in Nepal?",  # a count's unit is its noun
        "Wie hieß der Lehrer, der nach der Schwertattacke starb?",  # „Schwert“ is no „schwer“
        "Wie groß ist die teuerste Insel?",  # „groß“ may be an area, a length, a number of people
        "Wie hoch ist die Monatspension?",  # a height, a price or a rate: „hoch“ alone says none
        "Welcher Panthers-Spieler erhielt eine Strafe?",  # a person, whatever the sentence says of money
        "Wie lange nutzten die Hugenotten französische Namen?",  # „bis ins 18. Jahrhundert“
    ],
)
def test_no_unit_where_the_question_implies_none(question: str) -> None:
    assert analyse(question).unit is None


def test_the_age_unit_is_an_age_not_any_year() -> None:
    unit = analyse("Wie alt ist Mark Rutte?").unit
    assert unit is not None and not re.search(unit, "im Jahr 2025", re.IGNORECASE)


def test_relative_times_count_from_the_reference_date_and_say_so() -> None:
    q = analyse("Wie viel Hilfe wurde letztes Jahr zugesagt?", "2026-11-26", "heute (2026-11-26)")
    assert q.times == ("2025",)
    assert q.time_notes == ("„letztes Jahr“ = 2025, bezogen auf heute (2026-11-26)",)
    arithmetic = analyse("Wie viel Hilfe wurde im Jahr vor 2025 zugesagt?", "2026-11-26", "heute")
    assert arithmetic.times == ("2024",) and arithmetic.time_notes == ("„im Jahr vor 2025“ = 2024",)
    assert analyse("Wie viel Hilfe wurde 2024 zugesagt?", "2026-11-26", "heute").time_notes == ()


def test_a_worked_out_year_replaces_the_one_written() -> None:
    q = analyse("Wie viel Hilfe wurde im Jahr vor 2025 zugesagt?", "2026-11-26", "heute")
    assert "2025" not in q.terms and "2025" not in q.focus and "2024" in q.focus


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("Ab wie viel Euro im Monat gibt es das Paket?", "amount"),  # after a preposition
        ("Was soll das Kissen kosten?", "amount"),
        ("Von welchem Verein kommt der Verteidiger?", "name"),
        ("Which software company did he run?", "name"),
        ("Wie lange hat er für die Strecke gebraucht?", "duration"),
        ("Und seit wann ist er dort?", "date"),
        ("In which city was it built?", "place"),
        ("On what date is the election?", "date"),
        ("Since when has he been a professor?", "date"),
        ("Which EU commissioner defended the initiative?", "person"),  # a role asks for a person
        ("What German ruler invited Huguenot immigration?", "person"),
        ("What share of the population was Jewish?", "amount"),
        ("What does the doctor do when his body is damaged?", "explanation"),
        ("What did President Obama say about it?", "other"),  # what he said, not who
    ],
)
def test_question_words_after_prepositions_and_in_english(question: str, answer_type: str) -> None:
    assert analyse(question).answer_type == answer_type


@pytest.mark.parametrize(
    "question", ["In welchem Jahr wurde er geboren?", "An welchem Tag war das?", "Seit wann gilt das?"]
)
def test_date_questions_behind_prepositions(question: str) -> None:
    assert analyse(question).answer_type == "date"


def test_the_words_a_follow_up_carries_over_find_the_story_not_the_sentence() -> None:
    info = analyse("Wo hatten die Opfer gewohnt? (Explosionen, Afghanistan, Ashraf Ghani)")
    asked = info.as_asked()
    assert asked.text == "Wo hatten die Opfer gewohnt?"
    assert {"explosion", "afghanistan"} <= set(info.terms) and not {"explosion", "afghanistan"} & set(asked.terms)
    assert {"afghanistan", "ashraf ghani"} <= set(info.focus) and not asked.focus  # a name ends at a comma
    assert "opf" in asked.terms  # what is asked now stays
    thin = analyse("In welchem Land? (Adolf Eichmann, Kriegsende, Altaussee)")
    assert thin.as_asked() == thin  # nothing asked beyond the carried words: they are the question
    plain = analyse("Wo hatten die Opfer gewohnt?")
    assert plain.as_asked() == plain
