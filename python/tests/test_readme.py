"""The README's reproduction script (the block after `<!-- reproduce.py -->`), run as written against the
fixture run: it must print every eval set with |torch - engine| within 1e-5."""

import os
import re
import subprocess
import sys
import tempfile
import unittest

from fixture import REPO, fixture


class ReadmeScript(unittest.TestCase):
    def test_reproduce_script_reproduces_the_final_eval_losses(self):
        paths = fixture()
        with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        m = re.search(r"<!-- reproduce\.py -->\s*```python\n(.*?)```", readme, re.S)
        self.assertIsNotNone(m, "README has no <!-- reproduce.py --> block")
        script = m.group(1)
        self.assertLessEqual(len([l for l in script.splitlines() if l.strip()]), 10)
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "runs"))
            os.symlink(paths["run"], os.path.join(d, "runs", "smoke"))
            os.symlink(paths["data"], os.path.join(d, "smoke-data"))
            env = {**os.environ, "PYTHONPATH": os.path.join(REPO, "python")}
            r = subprocess.run([sys.executable, "-c", script], cwd=d, capture_output=True, text=True, env=env, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(len(lines), 4, r.stdout)
        for line in lines:
            diff = float(re.search(r"\|diff\| (\S+)", line).group(1))
            self.assertLess(diff, 1e-5, line)


if __name__ == "__main__":
    unittest.main()
