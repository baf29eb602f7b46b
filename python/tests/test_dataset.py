"""Datasets: a Minari dataset written by `rlc dataset collect` loads through rlc.Dataset.load
with T+1 observation rows per episode, per-episode reward sums equal to the returns that
`rlc dataset info` prints and the C stats; the arrays match h5py's reading of main_data.hdf5
(when h5py is installed); missing and malformed files raise RlcError subclasses naming them."""

import os
import re
import subprocess
import unittest

import numpy as np

import rlc
from rlc import dataset as rds
from helpers import TmpDirCase, rlc_binary

try:
    import h5py
except ImportError:  # pragma: no cover - optional
    h5py = None


@unittest.skipUnless(rds.have_hdf5(), "librlc.so built without libhdf5")
@unittest.skipUnless(rlc_binary(), "the rlc program is not next to the library (set RLC_BUILD)")
class DatasetLoad(TmpDirCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.tmp, "ds")
        subprocess.run([rlc_binary(), "dataset", "collect", "--env", "CartPole-v1", "--policy",
                        "random", "--steps", "500", "--seed", "0", "--out", self.path],
                       check=True, stdout=subprocess.DEVNULL)
        self.ds = rlc.Dataset.load(self.path)

    def test_shapes(self):
        ds = self.ds
        E, N = ds.episodes, ds.steps
        self.assertEqual(N, 500)
        self.assertGreater(E, 1)
        self.assertEqual(len(ds), E)
        self.assertEqual(ds.episode_offsets.shape, (E + 1,))
        self.assertEqual(ds.episode_offsets[0], 0)
        self.assertTrue(np.all(np.diff(ds.episode_offsets) >= 1))
        self.assertEqual(ds.observations.shape, (N + E, 4))
        self.assertEqual(ds.observations.dtype, np.float32)
        self.assertEqual(ds.actions.shape, (N,))  # Discrete: int64 indices
        self.assertEqual(ds.actions.dtype, np.int64)
        self.assertTrue(set(np.unique(ds.actions)) <= {0, 1})
        for col in (ds.rewards, ds.terminations, ds.truncations):
            self.assertEqual(col.shape, (N,))
        self.assertEqual(ds.terminations.dtype, np.bool_)
        self.assertEqual(ds.returns.shape, (E,))
        self.assertEqual(ds.meta["env_id"], "CartPole-v1")
        self.assertTrue(ds.meta["discrete_actions"])
        total = 0
        for e in range(E):
            ep = ds.episode(e)
            T = len(ep.rewards)
            self.assertEqual(T, ds.lengths[e])
            self.assertEqual(ep.observations.shape, (T + 1, 4))
            self.assertEqual(ep.actions.shape, (T,))
            # every episode ends terminated or (the last, cut one) truncated
            self.assertTrue(ep.terminations[-1] or ep.truncations[-1])
            self.assertFalse(np.any(ep.terminations[:-1] | ep.truncations[:-1]))
            total += T + 1
        self.assertEqual(total, len(ds.observations))
        last = ds.episode(-1)
        self.assertTrue(last.truncations[-1])
        with self.assertRaises(IndexError):
            ds.episode(E)
        # the arrays are copies: writable, not tied to freed C memory
        self.assertTrue(ds.observations.flags.writeable and ds.rewards.flags.writeable)

    def test_returns_match_cli_and_stats(self):
        ds = self.ds
        sums = np.add.reduceat(ds.rewards.astype(np.float64), ds.episode_offsets[:-1])
        np.testing.assert_allclose(sums, ds.returns, rtol=0, atol=1e-9)
        np.testing.assert_allclose([ds.episode(e).rewards.sum() for e in range(ds.episodes)],
                                   ds.returns, rtol=0, atol=1e-6)
        st = ds.stats
        self.assertEqual(st["episodes"], ds.episodes)
        self.assertEqual(st["steps"], ds.steps)
        self.assertAlmostEqual(st["return_mean"], sums.mean(), places=9)
        self.assertAlmostEqual(st["return_std"], sums.std(), places=9)
        self.assertEqual(st["return_min"], sums.min())
        self.assertEqual(st["return_max"], sums.max())
        out = subprocess.run([rlc_binary(), "dataset", "info", self.path], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
        info = dict(re.findall(r"^(\w+)\s+(\S+)", out, re.M))
        self.assertEqual(int(info["episodes"]), ds.episodes)
        self.assertEqual(int(info["steps"]), ds.steps)
        self.assertAlmostEqual(float(info["return_mean"]), sums.mean(), places=3)
        self.assertAlmostEqual(float(info["return_std"]), sums.std(), places=3)
        self.assertEqual(float(info["return_min"]), sums.min())
        self.assertEqual(float(info["return_max"]), sums.max())
        self.assertEqual(int(info["unique_sa"]), st["unique_sa"])

    @unittest.skipUnless(h5py is not None, "h5py not installed")
    def test_matches_h5py(self):
        ds = self.ds
        with h5py.File(os.path.join(self.path, "data", "main_data.hdf5"), "r") as f:
            names = sorted((k for k in f.keys() if k.startswith("episode_")),
                           key=lambda k: int(k.split("_")[1]))
            self.assertEqual(len(names), ds.episodes)
            for e, name in enumerate(names):
                g, ep = f[name], ds.episode(e)
                np.testing.assert_array_equal(ep.observations,
                                              np.asarray(g["observations"], dtype=np.float32))
                np.testing.assert_array_equal(ep.actions, np.asarray(g["actions"]).reshape(-1))
                np.testing.assert_array_equal(ep.rewards,
                                              np.asarray(g["rewards"], dtype=np.float32))
                np.testing.assert_array_equal(ep.terminations, np.asarray(g["terminations"]))
                np.testing.assert_array_equal(ep.truncations, np.asarray(g["truncations"]))

    def test_load_forms(self):
        # the data/ folder and main_data.hdf5 itself load the same dataset
        for p in (os.path.join(self.path, "data"),
                  os.path.join(self.path, "data", "main_data.hdf5")):
            other = rlc.Dataset.load(p)
            np.testing.assert_array_equal(other.observations, self.ds.observations)
            np.testing.assert_array_equal(other.episode_offsets, self.ds.episode_offsets)


@unittest.skipUnless(rds.have_hdf5(), "librlc.so built without libhdf5")
class DatasetErrors(TmpDirCase):

    def test_missing(self):
        p = os.path.join(self.tmp, "no-such-dataset")
        with self.assertRaises(rlc.RlcError) as cm:
            rlc.Dataset.load(p)
        self.assertIn(p, str(cm.exception))
        self.assertIsInstance(cm.exception, rlc.RlcIOError)
        self.assertIsInstance(cm.exception, OSError)

    def test_malformed(self):
        p = os.path.join(self.tmp, "bad.hdf5")
        with open(p, "wb") as f:
            f.write(b"this is not an HDF5 file\n" * 10)
        with self.assertRaises(rlc.RlcError) as cm:
            rlc.Dataset.load(p)
        self.assertIn(p, str(cm.exception))
        self.assertIn(cm.exception.status_name, ("RLC_ERR_FORMAT", "RLC_ERR_IO"))


if __name__ == "__main__":
    unittest.main()
