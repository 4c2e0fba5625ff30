"""Reading the training data the way LLaMA-Factory describes it: `dataset` names looked up in
`dataset_dir/dataset_info.json` (alpaca or sharegpt `formatting`, `columns`, `tags`), or file names
directly. Every sample becomes `{"messages": [{"role", "content"}...], "tools": ..., "where": ...}`.

JSONL/JSON are read here (errors name the file and line); .arrow/.parquet and save_to_disk folders
go through `datasets` (or pyarrow for parquet) when installed.
"""

import json
from pathlib import Path

from .errors import DataError

ALPACA_COLUMNS = {
    "prompt": "instruction",
    "query": "input",
    "response": "output",
    "history": None,
    "system": None,
    "tools": None,
}
SHAREGPT_COLUMNS = {"messages": "conversations", "system": None, "tools": None}
SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
    "system_tag": "system",
}
OPENAI_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
    "observation_tag": "tool",
    "function_tag": "function_call",
    "system_tag": "system",
}
FILE_SUFFIXES = (".jsonl", ".json", ".arrow", ".parquet")


def read_dataset_info(dataset_dir):
    info_path = Path(dataset_dir) / "dataset_info.json"
    if not info_path.exists():
        return {}, info_path
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError("invalid JSON: %s" % e.msg, file=info_path, line=e.lineno, col=e.colno) from None
    if not isinstance(info, dict):
        raise DataError("dataset_info.json must map dataset names to entries", file=info_path, line=1, col=1)
    return info, info_path


def resolve_entry(name, dataset_dir, info, info_path):
    """The dataset_info entry for `name`, or one made up for a plain file name."""
    if name in info:
        entry = dict(info[name])
        if "file_name" not in entry:
            raise DataError(
                "dataset '%s' has no file_name (hf_hub_url/ms_hub_url are not downloaded)" % name,
                file=info_path,
                line=_line_of(info_path, '"%s"' % name),
                col=1,
            )
        entry["path"] = Path(dataset_dir) / entry["file_name"]
        entry["source"] = info_path
        return entry
    direct = Path(name) if Path(name).is_absolute() else Path(dataset_dir) / name
    if direct.exists():
        return {"path": direct, "formatting": None, "source": None}
    where = info_path if info else Path(dataset_dir)
    known = ", ".join(sorted(info)) or "none"
    raise DataError(
        "dataset '%s' is neither in %s (known: %s) nor a file in %s" % (name, info_path.name, known, dataset_dir),
        file=where if info else None,
        line=1,
        col=1,
    )


def _line_of(path, needle):
    try:
        for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return i
    except OSError:
        pass
    return 1


def iter_rows(path):
    """Yields (row dict, 1-based line or row number) from a JSONL/JSON/arrow/parquet file or folder."""
    path = Path(path)
    if path.is_dir():
        if (path / "state.json").exists() or (path / "dataset_info.json").exists() and list(path.glob("*.arrow")):
            yield from _iter_hf(path, folder=True)
            return
        files = sorted(p for p in path.iterdir() if p.suffix in FILE_SUFFIXES)
        if not files:
            raise DataError("folder has no .jsonl/.json/.arrow/.parquet files", file=path, line=1, col=1)
        for f in files:
            yield from iter_rows(f)
        return
    if not path.exists():
        raise DataError("file not found", file=path, line=1, col=1)
    if path.suffix == ".jsonl":
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise DataError("invalid JSON: %s" % e.msg, file=path, line=lineno, col=e.colno) from None
                if not isinstance(row, dict):
                    raise DataError("each line must be a JSON object", file=path, line=lineno, col=1)
                yield row, lineno
    elif path.suffix == ".json":
        text = path.read_text(encoding="utf-8")
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError("invalid JSON: %s" % e.msg, file=path, line=e.lineno, col=e.colno) from None
        if not isinstance(rows, list):
            raise DataError("a .json dataset must be a list of objects", file=path, line=1, col=1)
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise DataError("item %d is not an object" % i, file=path, line=1, col=1)
            yield row, i + 1
    elif path.suffix in (".arrow", ".parquet"):
        yield from _iter_hf(path, folder=False)
    else:
        raise DataError(
            "unsupported file type '%s' (use .jsonl, .json, .arrow or .parquet)" % path.suffix, file=path, line=1, col=1
        )


def _iter_hf(path, folder):
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DataError(
                "reading parquet needs pyarrow: python -m pip install pyarrow", file=path, line=1, col=1
            ) from None
        for i, row in enumerate(pq.read_table(str(path)).to_pylist()):
            yield row, i + 1
        return
    try:
        import datasets
    except ImportError:
        raise DataError(
            "reading .arrow needs the datasets package: python -m pip install datasets", file=path, line=1, col=1
        ) from None
    ds = datasets.load_from_disk(str(path)) if folder else datasets.Dataset.from_file(str(path))
    if isinstance(ds, datasets.DatasetDict):
        ds = ds["train"] if "train" in ds else ds[list(ds)[0]]
    for i, row in enumerate(ds):
        yield row, i + 1


def _text(value, file, line, what):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    raise DataError("%s must be text, got %s" % (what, type(value).__name__), file=file, line=line, col=1)


def alpaca_messages(row, columns, file, line):
    cols = dict(ALPACA_COLUMNS, **(columns or {}))
    messages = []
    system = row.get(cols["system"]) if cols.get("system") else None
    if system:
        messages.append({"role": "system", "content": _text(system, file, line, "system")})
    history = row.get(cols["history"]) if cols.get("history") else None
    for turn in history or []:
        if not isinstance(turn, (list, tuple)) or len(turn) != 2:
            raise DataError("history must be a list of [prompt, response] pairs", file=file, line=line, col=1)
        messages.append({"role": "user", "content": _text(turn[0], file, line, "history")})
        messages.append({"role": "assistant", "content": _text(turn[1], file, line, "history")})
    prompt = _text(row.get(cols["prompt"]), file, line, cols["prompt"])
    query = _text(row.get(cols["query"]), file, line, cols["query"]) if cols.get("query") else ""
    if query:
        prompt = prompt + "\n" + query if prompt else query
    if cols["response"] not in row:
        raise DataError("missing column '%s' (the response)" % cols["response"], file=file, line=line, col=1)
    messages.append({"role": "user", "content": prompt})
    messages.append({"role": "assistant", "content": _text(row.get(cols["response"]), file, line, cols["response"])})
    tools = row.get(cols["tools"]) if cols.get("tools") else None
    return messages, tools


def sharegpt_messages(row, columns, tags, file, line):
    cols = dict(SHAREGPT_COLUMNS, **(columns or {}))
    turns = row.get(cols["messages"])
    if not isinstance(turns, list) or not turns:
        raise DataError(
            "column '%s' must be a non-empty list of messages" % cols["messages"], file=file, line=line, col=1
        )
    if tags is None:  # LLaMA-Factory's defaults, or the OpenAI layout when the rows use it
        first = turns[0] if isinstance(turns[0], dict) else {}
        tags = OPENAI_TAGS if ("role" in first and "from" not in first) else SHAREGPT_TAGS
    else:
        tags = dict(SHAREGPT_TAGS, **tags)
    roles = {
        tags["user_tag"]: "user",
        tags["assistant_tag"]: "assistant",
        tags["observation_tag"]: "tool",
        tags["function_tag"]: "assistant",
        tags["system_tag"]: "system",
    }
    messages = []
    system = row.get(cols["system"]) if cols.get("system") else None
    if system:
        messages.append({"role": "system", "content": _text(system, file, line, "system")})
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise DataError("message %d is not an object" % i, file=file, line=line, col=1)
        who = turn.get(tags["role_tag"])
        if who not in roles:
            raise DataError(
                "message %d: %s '%s' is not one of %s" % (i, tags["role_tag"], who, ", ".join(map(repr, roles))),
                file=file,
                line=line,
                col=1,
            )
        messages.append(
            {"role": roles[who], "content": _text(turn.get(tags["content_tag"]), file, line, tags["content_tag"])}
        )
    tools = row.get(cols["tools"]) if cols.get("tools") else None
    return messages, tools


def load_conversations(dataset_names, dataset_dir, max_samples=None):
    """All samples of all named datasets, in order. `max_samples` caps each dataset (as LLaMA-Factory)."""
    info, info_path = read_dataset_info(dataset_dir)
    samples = []
    for name in dataset_names:
        entry = resolve_entry(name, dataset_dir, info, info_path)
        formatting = entry.get("formatting")
        count = 0
        for row, line in iter_rows(entry["path"]):
            fmt = formatting or ("sharegpt" if ("conversations" in row or "messages" in row) else "alpaca")
            if fmt == "alpaca":
                messages, tools = alpaca_messages(row, entry.get("columns"), entry["path"], line)
            elif fmt == "sharegpt":
                columns = entry.get("columns")
                if formatting is None and "messages" in row and "conversations" not in row:
                    columns = {"messages": "messages"}
                messages, tools = sharegpt_messages(row, columns, entry.get("tags"), entry["path"], line)
            else:
                raise DataError(
                    "dataset '%s': formatting '%s' is not alpaca or sharegpt" % (name, fmt),
                    file=entry.get("source"),
                    line=_line_of(entry.get("source"), '"%s"' % name) if entry.get("source") else 1,
                    col=1,
                )
            samples.append({"messages": messages, "tools": tools or None, "file": str(entry["path"]), "line": line})
            count += 1
            if max_samples and count >= max_samples:
                break
        if count == 0:
            raise DataError("dataset '%s' has no rows" % name, file=entry["path"], line=1, col=1)
    return samples
