#!/usr/bin/env python3
"""Run the optoscope Python suite (unittest, this directory) and write one JSON result per test, so the
repository's vitest run can report each Python test as its own case (tools/src/python/optoscope.test.ts).

    run_json.py --list             test ids, one JSON array on stdout
    run_json.py --out results.json [ids...]   run (all, or the ids given); {id: {status, message}}
"""

import argparse
import json
import os
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # the optoscope package, without installing it


def tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from tests(t)
        else:
            yield t


class JsonResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.results = {}
        self._t0 = 0.0

    def startTest(self, test):
        super().startTest(test)
        self._t0 = time.perf_counter()

    def _put(self, test, status, message=""):
        self.results[test.id()] = {"status": status, "message": message, "seconds": round(time.perf_counter() - self._t0, 3)}

    def addSuccess(self, test):
        super().addSuccess(test)
        self._put(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._put(test, "failed", "".join(traceback.format_exception_only(err[0], err[1])).strip())

    def addError(self, test, err):
        super().addError(test, err)
        # A module-level fixture error (setUpModule) arrives as a pseudo-test: record it for every test
        # of that module, which then never runs.
        self._put(test, "failed", "".join(traceback.format_exception(*err))[-3000:])

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._put(test, "failed", f"skipped ({reason}); the suite allows no skips")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("ids", nargs="*")
    args = ap.parse_args()
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    all_tests = list(tests(suite))
    broken = [t for t in all_tests if t.id().startswith("unittest.loader._FailedTest")]
    if broken:
        print(json.dumps({"import_errors": [t.id() for t in broken], "message": str(getattr(broken[0], "_exception", ""))}))
        sys.exit(2)
    if args.list:
        print(json.dumps([t.id() for t in all_tests]))
        return
    chosen = unittest.TestSuite(t for t in all_tests if not args.ids or t.id() in args.ids)
    result = JsonResult()
    chosen.run(result)
    # setUpModule failures are reported against a pseudo-test named after the module.
    for test_id, r in list(result.results.items()):
        if test_id.startswith("setUpModule (") or "_ErrorHolder" in test_id:
            module = test_id[test_id.index("(") + 1 : test_id.rindex(")")]
            for t in all_tests:
                if t.id().startswith(module + ".") and t.id() not in result.results:
                    result.results[t.id()] = {"status": "failed", "message": f"setUpModule failed: {r['message']}", "seconds": 0}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result.results, f, indent=1)


if __name__ == "__main__":
    main()
