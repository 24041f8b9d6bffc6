import json

from ml.captions.aliases import add_aliases, key, known_templates, main, resolve, template_aliases

INDEX = {
    "Drake-Hotline-Bling": {"name": "Drake Hotline Bling", "alternative_names": "drakeposting, drake no yes, "},
    "10-Guy": {"name": "10 Guy", "alternative_names": "Really High Guy, stoned guy, ten guy"},
    "Grumpy-Cat": {"name": "Grumpy Cat", "alternative_names": ""},
}
MAPPING = [
    {"imgflip_slug": "Drake-Hotline-Bling", "memegen_key": "drake", "memegen_name": "Drakeposting"},
    {"imgflip_slug": "10-Guy", "memegen_key": "tenguy", "memegen_name": "10 Guy"},
]
MODEL_TEMPLATES = [
    {"slug": "drake-hotline-bling", "name": "Drakeposting", "n_boxes": 2, "tags": [], "examples": []},
    {"slug": "10-guy", "name": "10 Guy", "n_boxes": 2, "tags": [], "examples": []},
    {"slug": "grumpy-cat", "name": "Grumpy Cat", "n_boxes": 2, "tags": [], "examples": []},
]


def test_aliases_gather_the_index_names_and_memegens_key_once_each():
    aliases = template_aliases(INDEX, MAPPING)
    assert aliases["drake-hotline-bling"] == ["Drake Hotline Bling", "drakeposting", "drake no yes", "drake"]
    assert aliases["10-guy"] == ["10 Guy", "Really High Guy", "stoned guy", "ten guy"]  # "tenguy" is "ten guy"
    assert aliases["grumpy-cat"] == ["Grumpy Cat"]


def model_dir(tmp_path):
    (tmp_path / "templates.json").write_text(json.dumps(MODEL_TEMPLATES))
    return tmp_path


def test_aliases_are_kept_in_the_models_templates_file(tmp_path):
    folder = model_dir(tmp_path)
    add_aliases(folder, template_aliases(INDEX, MAPPING))
    stored = json.loads((folder / "templates.json").read_text())
    assert stored[0]["aliases"][-1] == "drake" and stored[0]["n_boxes"] == 2
    assert known_templates(folder)["10-guy"][0] == "10 Guy" and "ten guy" in known_templates(folder)["10-guy"]


def test_resolve_finds_the_models_slug_by_slug_name_or_alias(tmp_path):
    folder = model_dir(tmp_path)
    add_aliases(folder, template_aliases(INDEX, MAPPING))
    known = known_templates(folder)
    assert resolve("drake", "Drake", known) == "drake-hotline-bling"  # memegen's key
    assert resolve("hotline", "Drake Hotline Bling", known) == "drake-hotline-bling"  # the corpus's name
    assert resolve("Grumpy_Cat", "whatever", known) == "grumpy-cat"  # the slug, spelled otherwise
    assert resolve("tenguy", "Ten Guy", known) == "10-guy"
    assert resolve("grey", "Plain Grey", known) is None


def test_an_alias_two_templates_share_resolves_to_neither():
    known = {"a-cat": ["Cat", "grumpy"], "b-cat": ["Other Cat", "grumpy"]}
    assert resolve("grumpy", "Grumpy", known) is None
    assert resolve("x", "other cat", known) == "b-cat"


def test_names_compare_without_case_accents_or_punctuation():
    assert key("Pokémon & Friends!") == key("pokemon-and-friends") == "pokemonandfriends"


def test_the_command_adds_aliases_to_a_model(tmp_path, capsys):
    (tmp_path / "model").mkdir()
    folder = model_dir(tmp_path / "model")
    (tmp_path / "index.json").write_text(json.dumps(INDEX))
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING))
    main([str(folder), "--index", str(tmp_path / "index.json"), "--mapping", str(tmp_path / "mapping.json")])
    assert "3 of 3 templates have aliases" in capsys.readouterr().out
    assert resolve("drake", "", known_templates(folder)) == "drake-hotline-bling"


def test_the_bundled_model_knows_memegens_names_for_its_templates():
    known = known_templates("ml/captions/pretrained")
    assert resolve("drake", "Drakeposting", known) == "drake-hotline-bling"
    assert resolve("tenguy", "10 Guy", known) == "10-guy"
