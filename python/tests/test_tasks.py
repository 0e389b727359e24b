"""The tasks beyond the paper's (issue 23: k shots, bursty contexts, repeated tokens) in Python: each run is
trained, exported and recorded by the real CLI (fixture.task_fixture), then read here. The exported rows are
checked against the task's own rules (written here from the task's definition, not from the exporter), the
PyTorch module reproduces the engine's logged eval metrics from them, and its activations match the
engine's ``opto eval --record``."""

import json
import unittest

import numpy as np
import torch

import optoscope
import optoscope.torch as ot
from fixture import TASK_SCHEDULE, TASKS, task_fixture

torch.set_num_threads(1)


class _TaskParity:
    name = ""

    @classmethod
    def setUpClass(cls):
        cls.paths = task_fixture(cls.name)
        cls.task_run = optoscope.load_run(cls.paths["run"])
        cls.data = optoscope.load_data(cls.paths["data"])
        cls.cfg = TASKS[cls.name]

    def test_eval_metrics_from_the_exported_rows_are_the_logged_ones(self):
        seqs = TASK_SCHEDULE["seqs"]
        logged = {r["set"]: r for r in self.task_run.metrics if r["kind"] == "eval" and r["seqs"] == seqs}
        self.assertEqual(sorted(logged), sorted(self.data.eval_sets))
        model = ot.Model.from_checkpoint(self.task_run.checkpoint(seqs))
        with torch.no_grad():
            for name, s in self.data.eval_sets.items():
                got = optoscope.eval_metrics(model(self.data.features, s), s)
                for k in ("loss", "prob", "in_context_prob", "out_context_prob", "use_context_prob"):
                    self.assertLess(abs(got[k] - logged[name][k]), 1e-5, f"{name} {k}: torch {got[k]} engine {logged[name][k]}")

    def test_site_activations_match_the_engines_record(self):
        rec, meta, _ = optoscope.read_safetensors(self.paths["sites"])
        self.assertEqual(json.loads(meta["task"])["kind"], self.cfg["task"]["kind"])
        model = ot.Model.from_checkpoint(self.task_run.checkpoint(int(meta["checkpoint"])))
        first = self.data.manifest["eval_sets"][0]["name"]
        with torch.no_grad():
            _, sites = model.run_with_sites(self.data.features, self.data.eval_sets[first])
        self.assertEqual(sorted(sites), sorted(k.split("/", 1)[1] for k in rec))
        T = self.data.eval_sets[first].seq_len
        self.assertEqual(rec["sequences/blocks.0.attn.pattern"].shape, (TASK_SCHEDULE["evalSize"], model.H, T, T))
        for name, got in sites.items():
            ref = rec[f"sequences/{name}"]
            self.assertEqual(tuple(got.shape), ref.shape, name)
            err = float(np.abs(got.numpy() - ref).max())
            self.assertLess(err, 1e-5, f"{name}: max |torch - engine| = {err}")


class KShot(_TaskParity, unittest.TestCase):
    name = "kshot"

    def test_rows_obey_the_k_shot_rules(self):
        self.assertEqual(self.data.columns, optoscope.few_shot_columns(3))
        nex = self.data.features.shape[1]
        for name, s in self.data.eval_sets.items():
            cls = s.x // nex
            labels = s.labels
            self.assertTrue((np.sort(labels, axis=1)[:, 1:] != np.sort(labels, axis=1)[:, :-1]).all(), f"{name}: labels of a context differ")
            self.assertTrue((np.sort(cls[:, :3], axis=1)[:, 1:] != np.sort(cls[:, :3], axis=1)[:, :-1]).all(), f"{name}: classes of a context differ")
            # The query's class sits in the pair whose label is the target.
            slot = (labels == s.targets[:, None]).argmax(axis=1)
            self.assertTrue((cls[np.arange(len(s)), slot] == cls[:, 3]).all(), name)


class Bursty(_TaskParity, unittest.TestCase):
    name = "bursty"

    def test_rows_obey_the_bursty_rules(self):
        b = self.cfg["task"]["bursty"]
        self.assertEqual(self.data.columns, optoscope.few_shot_columns(b["contextPairs"]))
        nex = self.data.features.shape[1]
        n_classes = self.data.features.shape[0]
        icl = self.data.eval_sets["icl_holdout"]
        self.assertTrue((icl.x // nex >= n_classes - b["holdoutClasses"]).all())
        self.assertTrue((icl.labels == icl.targets[:, None]).any(axis=1).all(), "icl_holdout: the target is in the context")
        iwl = self.data.eval_sets["iwl_common"]
        self.assertTrue((iwl.x[:, -1] // nex < b["commonClasses"]).all())
        self.assertFalse((iwl.x[:, :-1] // nex == (iwl.x[:, -1:] // nex)).any(), "iwl_common: the query's class is not in the context")


class RepeatTokens(_TaskParity, unittest.TestCase):
    name = "repeat"

    def test_rows_obey_the_repeated_token_rules(self):
        r = self.cfg["task"]["repeat"]
        n, m = r["prefixLength"], r["repeatLength"]
        self.assertEqual(self.data.columns, optoscope.repeat_columns(n, m))
        s = self.data.eval_sets["repeat"]
        self.assertEqual(s.x.shape[1], 0)
        p, rep = s.tokens[:, :n], s.tokens[:, n:]
        self.assertTrue(all(len(set(row)) == n for row in p.tolist()), "prefix tokens are distinct")
        for i in range(len(s)):
            j = int(np.where(p[i] == rep[i, 0])[0][0])
            self.assertEqual(list(p[i, j : j + m]), list(rep[i]))
            self.assertEqual(p[i, j + m], s.targets[i])


del _TaskParity

if __name__ == "__main__":
    unittest.main()
