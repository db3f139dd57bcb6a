import mir_eval.key
import pytest

from core.keys import ALL_KEYS, CLASS_NAMES, Key, as_key, circle_of_fifths_order, mirex_score


def test_class_index_and_folder_follow_the_seed():
    assert [k.index for k in ALL_KEYS] == list(range(24))
    assert Key.from_index(0) == Key(0, 0) and CLASS_NAMES[0] == "C minor"
    assert CLASS_NAMES[1] == "C major" and CLASS_NAMES[23] == "B major"
    assert Key.from_folder("7-1").name == "G major"
    assert Key.from_folder("4-0").name == "E minor"
    for key in ALL_KEYS:
        assert Key.from_folder(key.folder) == key
        assert Key.from_index(key.index) == key
        assert key.folder == f"{key.tonic}-{key.mode}"


@pytest.mark.parametrize("text, expected", [
    ("F# minor", (6, 0)), ("Gb", (6, 1)), ("f#m", (6, 0)), ("A min", (9, 0)), ("Bb major", (10, 1)),
    ("am", (9, 0)), ("C", (0, 1)), ("Cb major", (11, 1)), ("E# minor", (5, 0)), ("Db", (1, 1)),
    ("D♭ minor", (1, 0)), ("g sharp minor", (8, 0)), ("B-flat major", (10, 1)), ("e moll", (4, 0)),
])
def test_parse_accepts_common_spellings(text, expected):
    assert Key.parse(text) == Key(*expected)


@pytest.mark.parametrize("text", ["", "H major", "C lydian", "X#", "12", "C# minor major"])
def test_parse_rejects_non_keys_with_a_clear_message(text):
    with pytest.raises(ValueError, match="cannot read"):
        Key.parse(text)


def test_every_name_round_trips_through_parse():
    for key in ALL_KEYS:
        for name in (key.name, key.sharp_name, key.flat_name, key.name.lower()):
            assert Key.parse(name) == key


def test_camelot_codes():
    assert Key.parse("C major").camelot == "8B" and Key.parse("A minor").camelot == "8A"
    assert Key.parse("G major").camelot == "9B" and Key.parse("F major").camelot == "7B"
    assert Key.parse("E minor").camelot == "9A" and Key.parse("B major").camelot == "1B"
    codes = {k.camelot for k in ALL_KEYS}
    assert codes == {f"{n}{m}" for n in range(1, 13) for m in "AB"}
    for key in ALL_KEYS:
        assert Key.from_camelot(key.camelot) == key
        assert key.relative.camelot[:-1] == key.camelot[:-1]  # relatives share a number
        # one step clockwise on the wheel is a fifth up
        assert int(key.dominant.camelot[:-1]) == int(key.camelot[:-1]) % 12 + 1
    with pytest.raises(ValueError):
        Key.from_camelot("13B")


def test_relations_agree_with_mir_eval():
    expected = {"correct": 1.0, "fifth": 0.5, "relative": 0.3, "parallel": 0.2}
    for key in ALL_KEYS:
        for relation, estimate in (("correct", key), ("fifth", key.dominant),
                                   ("relative", key.relative), ("parallel", key.parallel)):
            score = mir_eval.key.weighted_score(key.mir_eval_name, estimate.mir_eval_name)
            assert score == expected[relation], (key, relation, estimate)
            assert estimate.relation_to(key) == relation
            assert mirex_score(key, estimate) == score
        others = [k for k in ALL_KEYS if k not in (key, key.dominant, key.relative, key.parallel)]
        assert len(others) == 20
        assert all(mirex_score(key, o) == 0.0 for o in others)


def test_relations_are_musical():
    c = Key.parse("C major")
    assert c.relative == Key.parse("A minor") and c.relative.relative == c
    assert c.parallel == Key.parse("C minor") and c.dominant == Key.parse("G major")
    assert c.subdominant == Key.parse("F major") and c.transpose(-1) == Key.parse("B major")
    for key in ALL_KEYS:
        assert key.transpose(12) == key and key.transpose(7) == key.dominant


def test_circle_of_fifths_order_and_as_key():
    order = circle_of_fifths_order()
    assert len(set(order)) == 24 and order[0].camelot == "1B" and order[1].camelot == "1A"
    assert as_key(7) == Key(3, 1) and as_key("G") == Key(7, 1) and as_key(Key(1, 0)) == Key(1, 0)
    with pytest.raises(ValueError):
        Key.from_index(24)
    with pytest.raises(ValueError):
        Key(12, 1)


def test_open_key_codes_and_notations():
    assert [Key.parse(k).open_key for k in ("C major", "A minor", "G major", "F major", "F# minor")] == \
        ["1d", "1m", "2d", "12d", "4m"]
    for key in ALL_KEYS:
        assert Key.from_open_key(key.open_key) == key
        assert Key.parse(key.camelot) == key and Key.parse(key.open_key) == key
        assert key.notation("camelot") == key.camelot and key.notation("openkey") == key.open_key
    assert Key.parse("Db major").notation(accidentals="sharps") == "C# major"
    assert Key.parse("C# minor").notation(accidentals="flats") == "Db minor"
    with pytest.raises(ValueError, match="notation must be one of"):
        Key.parse("C").notation("roman")


def test_compatible_keys_follow_the_camelot_wheel():
    from core.keys import compatible_keys, wheel_steps

    key = Key.parse("A minor")  # 8A
    found = compatible_keys(key)
    assert [(k.camelot, relation) for k, relation in found] == [
        ("8A", "same key"), ("8B", "relative"), ("9A", "+1 on the wheel"), ("7A", "-1 on the wheel")]
    boosted = compatible_keys(key, energy_boost=True)
    assert [k.name for k, _ in boosted[4:]] == ["Bb minor", "G# minor"]
    assert all(wheel_steps(key, k) <= 1 for k, _ in found)
    assert wheel_steps("C major", "F# major") == 6 and wheel_steps("12A", "1B") == 2
