"""Templates the model knows, whatever a site calls them: memegen.link's `drake` is the corpus's
`drake-hotline-bling`. Each template in a model's templates.json carries an "aliases" list (the corpus index's name
and alternative names, memegen's key and name), and `resolve` finds the model's slug for a site's slug or name.

    python -m ml.captions.aliases MODEL_DIR --index templates_index.json --mapping mapping.json

adds the aliases to a trained model's templates.json."""
from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

TEMPLATES = "templates.json"


def template_aliases(index: Mapping[str, Mapping], mapping: Iterable[Mapping]) -> dict[str, list[str]]:
    """Model slug (the corpus slug, lower-case) -> other names for the template: from the corpus index (imgflip slug
    -> {"name", "alternative_names": "a, b"}) and the memegen mapping ([{"imgflip_slug", "memegen_key",
    "memegen_name"}])."""
    names: dict[str, list[str]] = {}
    for slug, entry in index.items():
        alternatives = (entry.get("alternative_names") or "").split(",")
        names.setdefault(slug.lower(), []).extend([entry.get("name") or "", *alternatives])
    for row in mapping:
        names.setdefault(row["imgflip_slug"].lower(), []).extend([row.get("memegen_key") or "", row.get("memegen_name") or ""])
    return {slug: _distinct(aliases) for slug, aliases in names.items()}


def add_aliases(model_dir: str | Path, aliases: Mapping[str, list[str]]) -> None:
    """Write each template's aliases into the model's templates.json (its "aliases" list; [] when none)."""
    path = Path(model_dir) / TEMPLATES
    templates = json.loads(path.read_text())
    for template in templates:
        template["aliases"] = list(aliases.get(template["slug"], []))
    path.write_text(json.dumps(templates, indent=1, ensure_ascii=False))


class KnownTemplates(dict):
    """slug -> the template's name and aliases, with resolve's lookups built once (a site resolves a template on
    every caption request, and building them costs 6 ms). Read-only once made."""

    def __init__(self, known: Mapping[str, Iterable[str]]):
        super().__init__({slug: list(names) for slug, names in known.items()})
        self.by_slug = {key(model_slug): model_slug for model_slug in self}
        owners: dict[str, set[str]] = {}
        for model_slug, aliases in self.items():
            for alias in aliases:
                owners.setdefault(key(alias), set()).add(model_slug)
        self.by_alias = {alias: next(iter(slugs)) for alias, slugs in owners.items() if len(slugs) == 1}  # shared: unsure


def known_templates(model_dir: str | Path) -> KnownTemplates:
    """The model's templates: slug -> its name and aliases, as resolve takes them."""
    templates = json.loads((Path(model_dir) / TEMPLATES).read_text())
    return KnownTemplates({t["slug"]: [t.get("name", ""), *t.get("aliases", [])] for t in templates})


def resolve(slug: str, name: str, known: Mapping[str, Iterable[str]]) -> str | None:
    """The model's slug for a template a site calls `slug` and `name`, or None when the model never learned it:
    the same slug first, then a name or alias of exactly one of the model's templates, compared without case,
    accents, spaces or punctuation ("Drake Hotline Bling" is "drake-hotline-bling")."""
    known = known if isinstance(known, KnownTemplates) else KnownTemplates(known)
    for lookup, text in ((known.by_slug, slug), (known.by_alias, slug), (known.by_slug, name), (known.by_alias, name)):
        if found := lookup.get(key(text)):
            return found
    return None


def key(text: str) -> str:
    """What two spellings of one name have in common: lower-case letters and digits, "and" for "&"."""
    text = unicodedata.normalize("NFKD", text.lower().replace("&", "and"))
    return re.sub(r"[^a-z0-9]", "", "".join(ch for ch in text if not unicodedata.combining(ch)))


def _distinct(names: Iterable[str]) -> list[str]:
    seen, kept = set(), []
    for name in (name.strip() for name in names):
        if name and key(name) and key(name) not in seen:
            seen.add(key(name))
            kept.append(name)
    return kept


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Add the corpus's template aliases to a model's templates.json.")
    parser.add_argument("model", type=Path, help="a trained model's folder")
    parser.add_argument("--index", type=Path, required=True, help="the corpus's templates_index.json")
    parser.add_argument("--mapping", type=Path, required=True, help="imgflip slug <-> memegen key, mapping.json")
    args = parser.parse_args(argv)
    aliases = template_aliases(json.loads(args.index.read_text()), json.loads(args.mapping.read_text()))
    add_aliases(args.model, aliases)
    known = known_templates(args.model)
    print(f"{sum(bool(known[slug][1:]) for slug in known)} of {len(known)} templates have aliases")


if __name__ == "__main__":
    main()
