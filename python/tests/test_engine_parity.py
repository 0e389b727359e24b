"""The PyTorch module against a real Optoscope run trained by the engine (fixture.py): logged eval losses,
Adam steps between checkpoints, and recorded site activations. The engine's numbers are read from its files
(metrics.jsonl, checkpoints, `opto eval --record`); nothing here is computed by optoscope and then compared
with itself."""

import json
import os
import unittest

import numpy as np
import torch

import optoscope
import optoscope.torch as ot
from fixture import fixture

torch.set_num_threads(1)


def setUpModule():
    global RUN, DATA, PATHS
    PATHS = fixture()
    RUN = optoscope.load_run(PATHS["run"])
    DATA = optoscope.load_data(PATHS["data"])


def adam_update(p, g, m0, v0, t, o, moment_betas=None):
    """The engine's Adam update (spec 3.1) in float64, elementwise. ``moment_betas`` (beta1, beta2) replaces
    the betas in the moment updates only (the bias corrections keep ``o``'s), as the engine's kernel does
    with its float32 copies."""
    b1, b2 = moment_betas or (o["beta1"], o["beta2"])
    m = b1 * m0 + (1 - b1) * g
    v = b2 * v0 + (1 - b2) * g * g
    return p - o["lr"] * (m / (1 - o["beta1"] ** t)) / (np.sqrt(v / (1 - o["beta2"] ** t)) + o["eps"])


class EngineParity(unittest.TestCase):
    def test_module_names_and_shapes_are_the_checkpoints(self):
        ck = RUN.checkpoint()
        sd = ot.Model(ck.config).state_dict()
        self.assertEqual(sorted(sd), sorted(ck.tensors))
        self.assertEqual(len(sd), 15)
        for n, t in sd.items():
            self.assertEqual(tuple(t.shape), ck[n].shape, n)

    def test_eval_losses_at_two_checkpoints(self):
        evals = sorted({r["seqs"] for r in RUN.metrics if r["kind"] == "eval"} & set(RUN.checkpoints))
        self.assertGreaterEqual(len(evals), 2)
        for seqs in evals[-2:]:
            logged = {r["set"]: r for r in RUN.metrics if r["kind"] == "eval" and r["seqs"] == seqs}
            self.assertEqual(set(logged), set(DATA.eval_sets))
            model = ot.Model.from_checkpoint(RUN.checkpoints[seqs])
            with torch.no_grad():
                for name, seqs_ in DATA.eval_sets.items():
                    got = optoscope.eval_metrics(model(DATA.features, seqs_), seqs_)
                    for k in ("loss", "prob", "in_context_prob", "use_context_prob"):
                        self.assertLess(abs(got[k] - logged[name][k]), 1e-5, f"{name} {k} at {seqs}: torch {got[k]} engine {logged[name][k]}")

    def _step_and_compare(self, start, batch, state, target):
        o = RUN.config["optim"]
        model = ot.Model.from_checkpoint(start)
        opt = ot.adam(model, o, state)
        opt.zero_grad()
        model.loss(DATA.features, batch).backward()
        grads = {n: p.grad.double().numpy() for n, p in model.named_parameters()}
        opt.step()
        t = (state.t if state else 0) + 1
        strict = total = moved = 0
        for n, p in model.named_parameters():
            got, ref, base = p.detach().numpy(), target[n], start[n]
            g = grads[n]
            m0 = state.m[n].astype(np.float64) if state else 0.0
            v0 = state.v[n].astype(np.float64) if state else 0.0
            # Float32 rounding: 2 ulp of the parameter, plus how far the update moves when
            # - the gradient moves by its own float32 rounding (1e-6 of the tensor's largest gradient): the
            #   update g/(|g|+eps) of a gradient near zero depends on digits float32 does not keep;
            # - the hyperparameters are float32: the engine's kernel forms 1 - beta2 from float32(0.999),
            #   1.3e-5 off 0.001 (torch forms it in double), which moves an update by ~6e-6 of itself.
            dg = 1e-6 * np.abs(g).max()
            b32 = (float(np.float32(o["beta1"])), float(np.float32(o["beta2"])))
            outs = [adam_update(base.astype(np.float64), g + s * dg, m0, v0, t, o, b) for s in (-1, -0.5, 0, 0.5, 1) for b in (None, b32)]
            band = np.max(outs, axis=0) - np.min(outs, axis=0)
            # and 8 ulp of the float32 update itself.
            tol = 2 * np.spacing(np.abs(ref)) + band + 8 * np.spacing(np.abs(ref - base))
            diff = np.abs(got.astype(np.float64) - ref)
            bad = diff > tol
            self.assertFalse(bad.any(), f"{n}: {bad.sum()} of {bad.size} off by up to {diff[bad].max() if bad.any() else 0}")
            strict += int((diff <= 4 * np.spacing(np.abs(ref))).sum())
            total += diff.size
            moved += int((np.abs(base.astype(np.float64) - ref) > tol).sum())
        self.assertGreater(strict / total, 0.99, "fewer than 99% of parameters within 4 ulp")
        # The tolerance is far tighter than the step: not stepping at all would fail it almost everywhere.
        self.assertGreater(moved / total, 0.95, "tolerance too loose to tell a step from no step")

    def test_adam_step_from_init_matches_next_checkpoint(self):
        self.assertIsNotNone(DATA.train)
        self._step_and_compare(RUN.checkpoint(0), DATA.train.array[0], None, RUN.checkpoint(min(s for s in RUN.checkpoints if s > 0)))

    def test_adam_step_from_resume_state_matches_final_checkpoint(self):
        prev = RUN.state(previous=True)
        final = RUN.checkpoint()
        self.assertEqual(final.step, prev.step + 1, "the fixture must checkpoint every step")
        self.assertGreater(prev.t, 1)
        self._step_and_compare(prev, DATA.train.array[prev.step], prev, final)

    def test_site_activations_match_the_engines_record(self):
        rec, meta, _ = optoscope.read_safetensors(PATHS["sites"])
        ck = RUN.checkpoint(int(meta["checkpoint"]))
        model = ot.Model.from_checkpoint(ck)
        with torch.no_grad():
            logits, sites = model.run_with_sites(DATA.features, DATA.eval_sets["fsl_train"])
        names = json.loads(json.dumps([k.split("/", 1)[1] for k in rec]))
        self.assertEqual(sorted(sites), sorted(names))
        self.assertEqual(len(names), 3 + 11 * int(ck.config["nLayers"]))
        for name, got in sites.items():
            ref = rec[f"sequences/{name}"]
            self.assertEqual(tuple(got.shape), ref.shape, name)
            err = float(np.abs(got.numpy() - ref).max())
            self.assertLess(err, 1e-5, f"{name}: max |torch - engine| = {err}")

    def test_metrics_frame_is_the_metrics_file(self):
        with open(os.path.join(PATHS["run"], "metrics.jsonl"), encoding="utf-8") as f:
            lines = [json.loads(l) for l in f if l.strip()]
        df = RUN.metrics_frame()
        self.assertEqual(len(df), len(lines))
        ev = df[df.kind == "eval"]
        self.assertEqual(sorted(ev.set.unique()), sorted(DATA.eval_sets))
        last = lines[-1]
        self.assertEqual(df.iloc[-1]["loss"], last["loss"])

    def test_exported_sequences_are_valid_for_the_run(self):
        mf = DATA.manifest
        self.assertEqual(mf["run"]["id"], RUN.record["id"])
        self.assertEqual(DATA.features.shape[-1], RUN.checkpoint().config["featureDim"])
        rows = DATA.feature_rows.shape[0]
        for name, s in DATA.eval_sets.items():
            self.assertEqual(len(s), RUN.config["schedule"]["evalSize"])
            self.assertTrue(((s.x >= 0) & (s.x < rows)).all(), name)
            self.assertTrue((s.labels[:, 0] != s.labels[:, 1]).all(), name)
            self.assertTrue(((s.targets == s.labels[:, 0]) | (s.targets == s.labels[:, 1])).all(), name)
        self.assertEqual(DATA.train.array.shape, (10, RUN.config["optim"]["batchSize"], 6))


class VariantParity(unittest.TestCase):
    """A model variant (fixture.VARIANT: 3 layers, GELU(tanh) MLPs, learned positions, headDim 12) trained by
    the engine: checkpoint names and shapes, logged eval losses and every recorded site, MLP sites included."""

    @classmethod
    def setUpClass(cls):
        cls.paths = fixture(variant=True)
        cls.vrun = optoscope.load_run(cls.paths["run"])
        cls.vdata = optoscope.load_data(cls.paths["data"])

    def test_checkpoint_tensors_are_the_modules(self):
        ck = self.vrun.checkpoint()
        self.assertEqual(ck.config.get("positions"), "learned")
        self.assertEqual(list(ot.Model(ck.config).state_dict()), optoscope.param_names(ck.config))
        self.assertEqual(sorted(optoscope.param_names(ck.config)), sorted(ck.tensors))
        self.assertEqual(ck["embed.pos.weight"].shape, (5, 64))
        self.assertEqual(ck["blocks.2.mlp.fc1.weight"].shape, (128, 64))
        self.assertEqual(ck["blocks.0.attn.qkv.weight"].shape, (144, 64))

    def test_eval_losses_at_the_final_checkpoint(self):
        seqs = max(set(r["seqs"] for r in self.vrun.metrics if r["kind"] == "eval") & set(self.vrun.checkpoints))
        logged = {r["set"]: r for r in self.vrun.metrics if r["kind"] == "eval" and r["seqs"] == seqs}
        model = ot.Model.from_checkpoint(self.vrun.checkpoints[seqs])
        with torch.no_grad():
            for name, seqs_ in self.vdata.eval_sets.items():
                got = optoscope.eval_metrics(model(self.vdata.features, seqs_), seqs_)
                self.assertLess(abs(got["loss"] - logged[name]["loss"]), 1e-5, f"{name}: torch {got['loss']} engine {logged[name]['loss']}")

    def test_site_activations_match_the_engines_record(self):
        rec, meta, _ = optoscope.read_safetensors(self.paths["sites"])
        model = ot.Model.from_checkpoint(self.vrun.checkpoint(int(meta["checkpoint"])))
        with torch.no_grad():
            _, sites = model.run_with_sites(self.vdata.features, self.vdata.eval_sets["fsl_train"])
        names = [k.split("/", 1)[1] for k in rec]
        self.assertEqual(sorted(sites), sorted(names))
        self.assertEqual(len(names), 3 + 15 * 3)
        self.assertIn("blocks.2.mlp.pre", names)
        for name, got in sites.items():
            ref = rec[f"sequences/{name}"]
            self.assertEqual(tuple(got.shape), ref.shape, name)
            err = float(np.abs(got.numpy() - ref).max())
            self.assertLess(err, 1e-5, f"{name}: max |torch - engine| = {err}")


if __name__ == "__main__":
    unittest.main()
