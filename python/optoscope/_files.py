"""Small file helpers shared by the run and data readers."""

import json
import os


def read_json(path: str, missing: str):
    """The JSON document at ``path``; FileNotFoundError(``missing``) when there is none."""
    if not os.path.isfile(path):
        raise FileNotFoundError(missing)
    with open(path, encoding="utf-8") as f:
        return json.load(f)
