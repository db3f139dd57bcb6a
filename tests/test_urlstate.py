from core.service.urlstate import Param, encode, parse

SCHEMA = {
    "c": Param("float", 0.75, 0.0, 1.0),
    "n": Param("int", 1, 1, None),
    "k": Param("choice", "logspec", options=["stft162", "logspec", "chroma"]),
    "ks": Param("choices", [], options=list(range(12))),
    "yr": Param("range", None, 0, 3000),
    "q": Param("str", ""),
}


def test_valid_parameters_are_typed():
    values, warnings = parse({"c": "0.5", "n": "3", "k": "chroma", "ks": "0,7", "yr": "1990,2000", "q": "x"}, SCHEMA)
    assert warnings == []
    assert values == {"c": 0.5, "n": 3, "k": "chroma", "ks": [0, 7], "yr": (1990.0, 2000.0), "q": "x"}


def test_missing_parameters_take_defaults():
    values, warnings = parse({"other_page": "1"}, SCHEMA)
    assert warnings == [] and values == {name: spec.default for name, spec in SCHEMA.items()}


def test_each_malformed_parameter_warns_and_falls_back():
    bad = {"c": "1.5", "n": "abc", "k": "mel", "ks": "3,99", "yr": "2000,1990", "q": "x" * 500}
    values, warnings = parse(bad, SCHEMA)
    assert len(warnings) == len(bad)
    assert values == {name: spec.default for name, spec in SCHEMA.items()}
    assert any("c='1.5'" in w for w in warnings)
    assert parse({"c": "nan"}, SCHEMA)[1]


def test_encode_leaves_defaults_out_and_round_trips():
    values = {"c": 0.6, "n": 1, "k": "logspec", "ks": [2, 5], "yr": (1980, 1990), "q": ""}
    encoded = encode(values, SCHEMA)
    assert encoded == {"c": "0.6", "ks": "2,5", "yr": "1980,1990"}
    parsed, warnings = parse(encoded, SCHEMA)
    assert warnings == [] and parsed["ks"] == [2, 5] and parsed["c"] == 0.6


def test_warnings_name_the_bound_crossed_and_an_empty_default_plainly():
    schema = {"n": Param("int", 1, 1), "w": Param("float", 20.0, 5.0, 60.0), "s": Param("str", "")}
    _, warnings = parse({"n": "0", "w": "99"}, schema)
    assert warnings == ["Ignored URL parameter n='0' (below the lowest allowed, 1); using the default '1'.",
                        "Ignored URL parameter w='99' (above the highest allowed, 60); using the default '20.0'."]
    _, warnings = parse({"s": "x" * 201}, schema)
    assert warnings[0].endswith("(longer than 200 characters); left unset.")
    assert not any("None" in w or "''" in w for w in warnings)
