"""Shared helpers for the PyTorch/transformers reference scripts in this folder.

Not a script by itself. It keeps the Hugging Face hub offline (the hub is unreachable here)
and resolves the starter model (sentence-transformers/all-MiniLM-L6-v2) to its folder in the
local hub cache, the way scripts/install-starter-model.sh lays it out.
"""

import os
import sys
from pathlib import Path

# Must be set before transformers / huggingface_hub are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def hub_cache_dir() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface"))
    return Path(home) / "hub"


def resolve_model(name_or_path: str) -> str:
    """Return a local folder for NAME_OR_PATH.

    An existing folder is returned as is. A hub id ("org/name") is looked up in the local hub
    cache: snapshots/<refs/main>, else the only snapshot there. Exits with a message when absent.
    """
    if os.path.isdir(name_or_path):
        return name_or_path
    repo_dir = hub_cache_dir() / ("models--" + name_or_path.replace("/", "--"))
    snapshots = repo_dir / "snapshots"
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        cand = snapshots / ref.read_text().strip()
        if (cand / "config.json").is_file():
            return str(cand)
    if snapshots.is_dir():
        cands = [p for p in snapshots.iterdir() if (p / "config.json").is_file()]
        if len(cands) == 1:
            return str(cands[0])
    sys.exit(
        f"model {name_or_path!r} is neither a folder nor in the hub cache at {repo_dir}; "
        "run scripts/install-starter-model.sh or pass --model FOLDER"
    )
