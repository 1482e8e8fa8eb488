"""Places from the maintained lists: what a name denotes, and when a sentence speaks of another place."""

import pytest

from rag.answer.names import is_place, other_place, places


@pytest.mark.parametrize("region", ["Lombardei", "Kärnten", "Bayern", "Kalifornien", "Trentino", "Steiermark"])
def test_regions_in_german_are_places(region: str) -> None:
    assert is_place(region)
    assert any(p.level == "region" for p in places(region))


@pytest.mark.parametrize("word", ["Nacht", "Jahr", "Form", "Hand", "Nord", "Mitte"])
def test_common_nouns_are_no_places(word: str) -> None:
    assert not places(word)


def test_places_know_what_contains_them() -> None:
    (europe,) = places("Europa")
    (austria,) = places("Österreich")
    (carinthia,) = places("Kärnten")
    (lombardy,) = places("Lombardei")
    assert europe.contains(austria) and europe.contains(carinthia) and austria.contains(carinthia)
    assert lombardy.apart_from(carinthia) and not austria.apart_from(carinthia)
    assert all(europe.apart_from(p) for p in places("USA") if p.level == "country")


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "Wie viele Braunbären leben derzeit in der Lombardei?",
            "Derzeit leben mehr als 50 Braunbären (Ursus arctos) im Trentino.",
            ("Lombardei", "Trentino"),
        ),
        (
            "Wie viele Autos musste Fiat Chrysler in Europa zurückrufen?",
            "Fiat Chrysler rief in den USA 1,4 Millionen Wagen zurück.",
            ("Europa", "USA"),
        ),
        # a place inside the asked one answers: Vienna is in Austria
        ("Wie viele Menschen starben in Österreich?", "In Wien starben fünf Menschen.", None),
        # a multi-word place and the country that holds it
        (
            "Wo soll die Perle aus Western Australia hin?",
            "Archäologen haben in Australien eine Perle untersucht.",
            None,
        ),
        # the sentence names one of the question's places
        (
            "Warum wollen die Migranten aus dem Lager in Calais nicht in Frankreich bleiben?",
            "Die Migranten wollen nicht in Frankreich bleiben, sie wollen nach Großbritannien.",
            None,
        ),
        # a city and a region of one country may overlap: no claim either way
        ("Wie viele Menschen leben in Kärnten?", "In Graz leben 300.000 Menschen.", None),
        # the sentence's place is named by the question too, if not after a preposition
        (
            "How old is the worker trapped by a machine in Vienna's Donaustadt district?",
            "36-Jähriger in der Donaustadt von Maschine eingeklemmt.",
            None,
        ),
        # the sentence names no place at all
        ("Wie viele Bären leben in der Lombardei?", "Derzeit leben dort mehr als 50 Bären.", None),
    ],
)
def test_a_sentence_about_another_place(question: str, sentence: str, expected: tuple[str, str] | None) -> None:
    assert other_place(question, sentence) == expected
