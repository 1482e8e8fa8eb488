from __future__ import annotations

import pytest

from rag.answer.followup import Turn, is_followup, previous_answer, standalone_question

HISTORY: list[Turn] = [
    {
        "role": "user",
        "content": "Wie viel Sicherheitsunterstützung mobilisierten die Nato-Alliierten 2024 für die Ukraine?",
    },
    {"role": "assistant", "content": "Rund 50 Milliarden Euro [1]."},
]
ABSTENTION = "Dazu finde ich in den Artikeln keine Angaben. Am nächsten kommen: „Greg Holst übernimmt“ (2024-01-05)."


def turns(question: str, answer: str | None = None) -> list[Turn]:
    out: list[Turn] = [{"role": "user", "content": question}]
    return [*out, {"role": "assistant", "content": answer}] if answer is not None else out


VSV = turns(
    "Wer folgt beim VSV auf Trainer Hannu Järvenpää?",
    "Greg Holst [1].\n\n„Der Kanadier Greg Holst übernimmt das Traineramt beim VSV.“ [1]",
)
TIGERS = turns("Wie viele Tiger leben in Nepal?", "Rund 355 [1].\n\n„In Nepal leben 355 Tiger.“ [1]")


# Fragments go into the previous question.


def test_new_year_replaces_the_old_one() -> None:
    assert standalone_question("Und für 2025?", HISTORY) == (
        "Wie viel Sicherheitsunterstützung mobilisierten die Nato-Alliierten 2025 für die Ukraine?"
    )


def test_the_year_before_counts_back_from_the_previous_year() -> None:
    assert standalone_question("Und im Jahr davor?", HISTORY) == (
        "Wie viel Sicherheitsunterstützung mobilisierten die Nato-Alliierten 2023 für die Ukraine?"
    )
    assert standalone_question("Und im Folgejahr?", HISTORY).count("2025") == 1


def test_new_country_replaces_the_old_one() -> None:
    history = turns("Wie viel Geld hat Deutschland bereitgestellt?")
    assert standalone_question("Und Polen?", history) == "Wie viel Geld hat Polen bereitgestellt?"
    assert standalone_question("Was ist mit Polen?", history) == "Wie viel Geld hat Polen bereitgestellt?"


def test_new_place_phrase_replaces_the_old_one() -> None:
    assert standalone_question("Und in Indien?", TIGERS) == "Wie viele Tiger leben in Indien?"
    sms = turns("Wie viele SMS wurden in Österreich im 3. Quartal 2015 verschickt?")
    assert "in Österreich" in standalone_question("Und im Quartal davor?", sms)  # „im Quartal“ is no place


def test_the_month_or_quarter_before_counts_back_from_the_previous_one() -> None:
    sms = turns("Wie viele SMS wurden in Österreich im 3. Quartal 2015 verschickt?", "Nur mehr 857 Millionen [1].")
    assert standalone_question("Und im Quartal davor?", sms) == (
        "Wie viele SMS wurden in Österreich im 2. Quartal 2015 verschickt?"
    )
    rate = turns("Wie hoch war Österreichs Arbeitslosenquote laut Eurostat im April?", "5,7 Prozent [1].")
    assert standalone_question("Und im Monat davor?", rate) == (
        "Wie hoch war Österreichs Arbeitslosenquote laut Eurostat im März?"
    )
    sales = turns("Wie viel Umsatz machte Apple im Jänner 2025?")
    assert standalone_question("Und im Vormonat?", sales) == "Wie viel Umsatz machte Apple im Dezember 2024?"
    sales = turns("Wie viel Umsatz machte Apple im 4. Quartal 2024?")
    assert standalone_question("Und im Quartal danach?", sales) == "Wie viel Umsatz machte Apple im 1. Quartal 2025?"


def test_english_fragment() -> None:
    history = turns("How much aid was pledged in 2024?", "Rund 50 Milliarden Euro [1].")
    assert standalone_question("And for 2025?", history) == "How much aid was pledged in 2025?"


def test_other_topic_is_added_to_the_previous_question() -> None:
    out = standalone_question("Und die Munition?", HISTORY)
    assert out.startswith("Wie viel Sicherheitsunterstützung") and "Munition" in out


# Complete questions keep their wording, with pronouns replaced by what they stand for.


def test_he_is_the_person_the_answer_named_and_there_the_place_asked_about() -> None:
    out = standalone_question("Und seit wann ist er dort?", VSV)
    assert out == "Seit wann ist Greg Holst beim VSV?"
    assert "Wer folgt" not in out


def test_he_is_the_person_the_question_asked_about() -> None:
    for answer in (None, "Slowakischer Eishockeyspieler [1].\n\n„Peter Hlinka ist ein Eishockeyspieler.“ [1]"):
        assert standalone_question("Wie alt ist er?", turns("Wer ist Peter Hlinka?", answer)) == (
            "Wie alt ist Peter Hlinka?"
        )


def test_him_in_a_full_question() -> None:
    history = turns("Wer wechselt vom FC Barcelona zu Paris Saint-Germain?", "Ousmane Dembélé [1].")
    assert standalone_question("Und wie viel Ablöse bekommt Barcelona für ihn?", history) == (
        "Wie viel Ablöse bekommt Barcelona für Ousmane Dembélé?"
    )


def test_context_is_added_when_the_question_keeps_too_little_of_the_previous_one() -> None:
    history = turns("Wer gewann den Marathon in Berlin?", "Eliud Kipchoge [1].")
    assert standalone_question("Wie lange hat er für die Strecke gebraucht?", history) == (
        "Wie lange hat Eliud Kipchoge für die Strecke gebraucht? (Marathon, Berlin)"
    )


def test_she_is_the_topic_when_no_person_was_named() -> None:
    pensions = turns("Um wie viel steigen die Pensionen in Österreich im kommenden Jahr?", "Um 1,2 Prozent [1].")
    out = standalone_question("Und um wie viel wurden sie heuer erhöht?", pensions)
    assert out.startswith("Um wie viel wurden die Pensionen heuer erhöht?")


def test_a_chain_of_follow_ups_resolves_each_previous_question_first() -> None:
    history = [*VSV, *turns("Und seit wann ist er dort?", "Seit 2023 [1].")]
    assert standalone_question("Und wie alt ist er?", history) == "Wie alt ist Greg Holst?"
    history = [*HISTORY, *turns("Und für 2025?", "Rund 20 Milliarden Euro [1].")]
    assert standalone_question("Und im Jahr davor?", history) == HISTORY[0]["content"]


def test_two_pronouns_are_not_the_same_person() -> None:
    history = turns("Who is Ursula Meier?", "A Swiss film director [1].")
    assert standalone_question("When did she marry him?", history) == "When did Ursula Meier marry him?"


def test_sie_with_a_plural_verb_is_not_the_person() -> None:
    history = turns("Wer wurde von den Erpressern bedroht?", "Der Ashley-Madison-Nutzer Bernhard Mayer [1].")
    assert standalone_question("Wann haben sie sich wieder bei ihm gemeldet?", history).startswith(
        "Wann haben sie sich wieder bei Bernhard Mayer gemeldet?"
    )
    assert standalone_question("Wann hat sie sich gemeldet?", history).startswith("Wann hat Bernhard Mayer")


def test_possessive_becomes_a_genitive() -> None:
    assert standalone_question("Wie alt ist seine Frau?", VSV).startswith("Wie alt ist Greg Holsts Frau?")


def test_there_is_the_place_the_answer_gave() -> None:
    history = turns("Wo spielt Lionel Messi?", "In Miami [1].\n\n„Messi spielt in Miami.“ [1]")
    assert standalone_question("Und was verdient er dort?", history) == "Was verdient Lionel Messi in Miami?"
    history = turns("Wo findet das Finale statt?", "In Philadelphia [1].")
    assert standalone_question("Und wie viele Zuschauer passen dort hinein?", history).startswith(
        "Wie viele Zuschauer passen in Philadelphia hinein?"
    )


def test_count_follow_up_names_what_was_counted_and_where() -> None:
    assert standalone_question("Und wie viele hatte man dort vorher geschätzt?", TIGERS) == (
        "Wie viele Tiger hatte man in Nepal vorher geschätzt?"
    )
    out = standalone_question("Und wie viele davon sind Weibchen?", TIGERS)
    assert out.startswith("Wie viele der Tiger sind Weibchen?") and "Nepal" in out
    assert standalone_question("Und wo leben sie sonst?", TIGERS) == "Wo leben Tiger sonst?"


def test_da_words_stand_for_the_topic_of_the_previous_question() -> None:
    out = standalone_question("Und was sagte Rubio dazu?", HISTORY)
    assert out.startswith("Was sagte Rubio zu Sicherheitsunterstützung?") and "Ukraine" in out
    budget = turns("Wie hoch ist der Haushalt 2025?", "Rund 480 Milliarden Euro [1].")
    assert standalone_question("Und wer stimmte dagegen?", budget) == "Wer stimmte gegen den Haushalt 2025?"
    assert standalone_question("Und wann wurde er beschlossen?", budget) == "Wann wurde der Haushalt 2025 beschlossen?"


def test_es_stands_for_a_neuter_topic_but_not_in_es_gibt() -> None:
    law = turns("Was sieht das neue Heizungsgesetz vor?", "Mehr erneuerbare Energien [1].")
    assert standalone_question("Und wann wurde es beschlossen?", law) == (
        "Wann wurde das neue Heizungsgesetz beschlossen?"
    )
    assert standalone_question("Und gibt es dort noch Tiger?", TIGERS) == "Gibt es in Nepal noch Tiger?"


def test_english_he() -> None:
    history = turns("Who is Peter Hlinka?", "A Slovak ice hockey player [1].")
    assert standalone_question("And how old is he?", history) == "How old is Peter Hlinka?"
    history = turns("Who won the Boston Marathon?", "Evans Chebet [1].")
    assert standalone_question("How old is he?", history).startswith("How old is Evans Chebet?")
    assert standalone_question("How old is his wife?", history).startswith("How old is Evans Chebet's wife?")


def test_an_abstention_gives_no_referent() -> None:
    history = turns("Wer folgt beim VSV auf Trainer Hannu Järvenpää?", ABSTENTION)
    out = standalone_question("Und seit wann ist er dort?", history)
    assert out == "Seit wann ist er beim VSV?"  # not Greg Holst from the titles, not the predecessor
    history = turns("Wo spielt Peter Hlinka?", ABSTENTION)
    assert standalone_question("Und seit wann ist er dort?", history) == "Seit wann ist Peter Hlinka dort?"


def test_a_question_word_fragment_gets_the_previous_key_words() -> None:
    assert standalone_question("Und wann?", VSV) == "Wann? (VSV, Trainer Hannu Järvenpää, Greg Holst)"


def test_formal_sie_is_not_a_reference() -> None:
    assert standalone_question("Können Sie mir sagen, wer dort trainiert?", VSV) == (
        "Können Sie mir sagen, wer beim VSV trainiert?"
    )


# Detection.


def test_standalone_questions_are_left_alone() -> None:
    assert not is_followup("Wer vertritt Marco Rubio beim Treffen?")
    assert not is_followup("Gibt es in Nepal Tiger?")
    assert not is_followup("Was sagen Sie zur Inflation in Deutschland?")
    assert (
        standalone_question("Wer vertritt Marco Rubio beim Treffen?", HISTORY)
        == "Wer vertritt Marco Rubio beim Treffen?"
    )
    assert standalone_question("Und für 2025?", []) == "Und für 2025?"
    assert standalone_question("Wie alt ist er?", None) == "Wie alt ist er?"
    assert standalone_question("Wie alt ist er?", [{"role": "assistant", "content": "Hallo!"}]) == "Wie alt ist er?"


def test_follow_ups_are_recognised() -> None:
    for question in ("Und für 2025?", "Was ist mit Polen?", "Wie alt ist er?", "Wie viele sind es dort?", "And him?"):
        assert is_followup(question), question
    assert is_followup("What about 2025?") and is_followup("How many live there?")
    assert not is_followup("Is there snow in Berlin today?")


@pytest.mark.parametrize(
    "question",
    [
        "Wieso eigentlich?",  # short: nothing of its own
        "Bei welcher Firmware klappt der?",  # der, die, das standing for a noun
        "Bis wann sollen die aufsperren?",
        "Woher kommen die meisten?",
        "Wie viele Mandate werden da vergeben?",  # da, dadurch
        "Welche U-Bahn-Linien werden dadurch voller?",
        "Wie viele waren es insgesamt?",
        "Where exactly did that happen?",
        "When did they announce it?",
    ],
)
def test_pronouns_and_short_questions_lean_on_the_previous_turn(question: str) -> None:
    assert is_followup(question)
    resolved = standalone_question(
        question, turns("Wann beginnt die Parlamentswahl in Ägypten?", "Am 17. Oktober [1].")
    )
    assert resolved.endswith("(Parlamentswahl, Ägypten)")


@pytest.mark.parametrize(
    "question",
    ["Wie viele Menschen leben in der Steiermark?", "Wer ist der neue Trainer von Rapid Wien?", "Gibt es dort Tiger?"],
)
def test_an_article_before_a_noun_is_no_pronoun(question: str) -> None:
    assert is_followup(question) == ("dort" in question)


def test_das_standing_alone_and_demonstratives_point_back() -> None:
    for question in (
        "In welchem Jahr war das?",
        "Welchem Trainer wird das vor allem zugeschrieben?",
        "Warum wurden die beiden nicht mitgezählt?",
        "Warum gilt dieses Rennen als attraktiv?",
        "Wer hat dabei zweimal getroffen?",
    ):
        assert is_followup(question), question
    assert not is_followup("Wie viel kostet das Projekt?")  # „das“ before a noun is its article
    assert not is_followup("Was kostet das neue Stadion?")
    history = turns("Wann sprach Ban Ki-moon vor dem Nationalrat?", "Am 3. Mai [1].")
    assert standalone_question("In welchem Jahr war das?", history) == (
        "In welchem Jahr war das? (Ban Ki-moon, Nationalrat)"
    )


def test_sein_before_a_noun_points_back() -> None:
    history = turns("Wer hat die Deutschland-Rallye in Trier gewonnen?", "Sebastien Ogier im VW Polo [1].")
    assert standalone_question("Wie groß ist sein Vorsprung?", history).startswith(
        "Wie groß ist Sebastien Ogiers Vorsprung?"
    )
    assert not is_followup("Wer könnte der nächste Kanzler sein?")


def test_a_word_pointing_back_to_no_one_noun_brings_the_previous_question_s_words() -> None:
    history = turns("Wie viele Zivilisten starben bei der Offensive gegen die PKK?", "198 Zivilisten [1].")
    assert standalone_question("Wie viele Kinder waren darunter?", history) == (
        "Wie viele Kinder waren darunter? (Zivilisten, Offensive, PKK)"
    )


def test_who_is_with_a_role_asks_for_the_person_the_answer_names() -> None:
    history = turns("Wer ist neuer Trainer beim SC Wiener Neustadt?", "René Wagner, bisher Co-Trainer [1].")
    assert standalone_question("Und was hat er vorher gemacht?", history).startswith(
        "Was hat René Wagner vorher gemacht?"
    )


def test_a_count_answer_names_no_one_so_he_is_the_person_the_question_named() -> None:
    history = turns(
        "Wie viele Jahre Haft fordert der Staatsanwalt für Alt-Landeshauptmann Luis Durnwalder?", "Drei Jahre Haft [1]."
    )
    assert standalone_question("Wie alt ist er?", history).startswith("Wie alt ist Luis Durnwalder?")


def test_a_party_or_body_named_with_an_acronym_is_no_person() -> None:
    """„er“ after „Wann hält die SPÖ Oberösterreich ihren nächsten Landesparteitag ab?“ is the Parteitag,
    not „SPÖ Oberösterreich“; the question keeps the previous one's key words instead."""
    party = turns("Wann hält die SPÖ Oberösterreich ihren nächsten Landesparteitag ab?", "Am 16. Jänner [1].")
    assert standalone_question("Und wo findet er statt?", party) == (
        "Wo findet er statt? (SPÖ Oberösterreich, Landesparteitag)"
    )
    coach = turns("Wer ist neuer ÖFB-Teamchef?", "ÖFB-Teamchef Franco Foda [1].")
    assert standalone_question("Wie alt ist er?", coach).startswith("Wie alt ist Franco Foda?")  # a person still


def test_beside_a_personal_pronoun_the_possessive_is_left_as_it_stands() -> None:
    """„seine Bilanz gegen ihn“ speaks of two people, „er … seiner Zeit“ of one: the pronoun names the person."""
    match = turns("Gegen wen spielt Djokovic im Viertelfinale?", "Gegen den Kroaten Marin Cilic [1].")
    assert standalone_question("Wie sieht seine Bilanz gegen ihn aus?", match).startswith(
        "Wie sieht seine Bilanz gegen Marin Cilic aus?"
    )
    coach = turns("Wer ist neuer Trainer beim SC Wiener Neustadt?", "René Wagner [1].")
    assert standalone_question("Was hat er vor seiner Zeit dort gemacht?", coach).startswith(
        "Was hat René Wagner vor seiner Zeit"
    )
    assert standalone_question("Wie alt ist seine Frau?", coach).startswith("Wie alt ist René Wagners Frau?")


def test_there_is_the_place_a_which_place_question_was_answered_with() -> None:
    previous = turns("An welchem Standort hat ver.di im März zum Streik aufgerufen?", "In Koblenz [1].")
    assert standalone_question("Und was verlangt die Gewerkschaft dort?", previous).startswith(
        "Was verlangt die Gewerkschaft in Koblenz?"
    )


def test_there_is_never_a_time_of_the_previous_question() -> None:
    previous = turns("Wie viele Besucher kamen im Vorjahr zum Festival in Wiesen?", "Rund 20.000 [1].")
    assert "in Wiesen" in standalone_question("Und wie viele waren es dort?", previous)
    previous = turns("Wer siegte am Sonntag in Nischnij Tagil?", "Daniela Iraschko-Stolz [1].")
    assert "am Sonntag" not in standalone_question("Und wer wurde dort Dritte?", previous).split("?")[0]


def test_he_is_the_person_a_question_with_a_preposition_was_answered_with() -> None:
    previous = turns("Mit wem hat sich Erdogan getroffen?", "Mit dem CHP-Abgeordneten Deniz Baykal [1].")
    assert standalone_question("Und was hat er danach gesagt?", previous).startswith(
        "Was hat Deniz Baykal danach gesagt?"
    )
    previous = turns("Mit wem ist Madonna verheiratet?", "Mit Guy Ritchie [1].")
    assert standalone_question("Und wo ist er geboren?", previous).startswith("Wo ist Guy Ritchie geboren?")


def test_a_follow_up_leans_on_the_last_answer() -> None:
    history = turns("Wie viele Tiger wurden in Bhutan gezählt?", "103 Tiger [1].")
    assert previous_answer("Und wie viele hatte man vorher geschätzt?", history) == "103 Tiger [1]."
    assert previous_answer("Wie viele Tiger leben in Nepal?", history) is None  # stands alone
    assert previous_answer("Und wie viele hatte man vorher geschätzt?", []) is None


def test_an_answer_to_a_question_for_no_person_names_one_only_by_a_first_name() -> None:
    base = "Welche Militärbasis wollte der US-Nationalgardist Hasan E. angreifen?"
    resolved = standalone_question("Mit wem wollte er das durchziehen?", turns(base, "Die Armeebasis Joliet [1]."))
    assert resolved.startswith("Mit wem wollte Hasan E ")
    photographer = turns("Welcher Fotograf klagt Strache?", "Kurier-Fotograf Jürg Christandl [1].")
    assert standalone_question("Wen klagt er außerdem?", photographer).startswith("Wen klagt Jürg Christandl außerdem?")
