"""docs/python.md is executable: its ``python`` blocks run in order, in one namespace."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "python.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks():
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_guide_has_examples():
    assert len(blocks()) >= 8


def test_every_example_runs():
    namespace: dict = {"__name__": "docs_python_md"}
    for index, code in enumerate(blocks()):
        try:
            exec(compile(code, f"{DOC.name}[block {index + 1}]", "exec"), namespace)
        except Exception as e:  # name the block that failed
            raise AssertionError(f"block {index + 1} of docs/python.md failed: {e!r}\n{code}") from e
