"""scripts/retire_weights.py: the shipped weights' tag and a bitstream of theirs are kept, so that
images they wrote fail with a hint naming the commits that read them once new weights ship."""

import json
import shutil
from pathlib import Path

import pytest

from securecomp.codec import zoo
from securecomp.codec.learned import DEFAULT_MODEL

VECTORS = Path(__file__).parent / "vectors"


@pytest.fixture
def script(repo_script, tmp_path, monkeypatch):
    module = repo_script("scripts/retire_weights.py")
    for name in ("learned.json", "learned-retired.json"):
        shutil.copy(VECTORS / name, tmp_path / name)
    shutil.copy(zoo.RETIRED, tmp_path / "retired-weights.json")
    monkeypatch.setattr(module, "VECTORS", tmp_path)
    monkeypatch.setattr(zoo, "RETIRED", tmp_path / "retired-weights.json")
    return module


def test_retiring_records_the_tag_the_commits_and_a_vector(script, tmp_path):
    tag = script.retire("abc1234 to def5678", "session 99")
    assert tag == zoo.manifest()[DEFAULT_MODEL][zoo.ALL_QUALITIES]["sha256"][:8]
    note = json.loads((tmp_path / "retired-weights.json").read_text())[DEFAULT_MODEL][tag]
    assert "abc1234 to def5678" in note and tag in note
    kept = json.loads((tmp_path / "learned-retired.json").read_text())
    assert len(kept) == len(json.loads((VECTORS / "learned-retired.json").read_text())) + 1
    assert kept[-1]["written_by"] == "abc1234 to def5678" and "session 99" in kept[-1]["note"]
    assert bytes.fromhex(tag) in bytes.fromhex(kept[-1]["bitstream"])
    with pytest.raises(SystemExit, match="already retired"):
        script.retire("abc1234 to def5678", "session 99")


def test_retiring_refuses_vectors_of_other_weights(script, tmp_path):
    vectors = json.loads((tmp_path / "learned.json").read_text())
    for vector in vectors:
        vector["bitstream"] = "00" * 16
    (tmp_path / "learned.json").write_text(json.dumps(vectors))
    with pytest.raises(SystemExit, match="regenerate"):
        script.retire("abc1234 to def5678", "session 99")
    assert zoo.RETIRED.read_text() == (Path(zoo.__file__).parent / "retired-weights.json").read_text()
