"""The pure dedup modules import neither Beam nor torch."""
import subprocess
import sys


def test_pure_dedup_modules_do_not_import_beam_or_torch():
    code = (
        "import sys\n"
        "import pipeline.dedup.urls, pipeline.dedup.shingles, pipeline.dedup.minhash, pipeline.dedup.lsh\n"
        "import pipeline.dedup.components, pipeline.dedup.lines, pipeline.dedup.keys\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('apache_beam', 'torch'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
