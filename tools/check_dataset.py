#!/usr/bin/python3
"""Cross-checks rlc's Minari/D4RL files with h5py (Debian python3-h5py): files rlc writes must
have Minari's/D4RL's layout and the same arrays, and files h5py writes must read back in rlc.

usage: /usr/bin/python3 tools/check_dataset.py --rlc build/release/rlc   (full round trip)
       /usr/bin/python3 tools/check_dataset.py PATH                       (validate one dataset)
Exit status 0 when every check passes.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

FAILS = []


def check(cond, msg):
    print(("ok    " if cond else "FAIL  ") + msg)
    if not cond:
        FAILS.append(msg)


def load_minari(path):
    """Episodes of a Minari dataset folder (or main_data.hdf5) as a list of dicts."""
    h5 = path
    if os.path.isdir(path):
        h5 = os.path.join(path, "data", "main_data.hdf5")
    meta_path = os.path.join(os.path.dirname(h5), "metadata.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    eps = []
    with h5py.File(h5, "r") as f:
        i = 0
        while f"episode_{i}" in f:
            g = f[f"episode_{i}"]
            ep = {k: g[k][()] for k in ("observations", "actions", "rewards", "terminations",
                                        "truncations")}
            T = ep["actions"].shape[0]
            check(ep["observations"].shape[0] == T + 1,
                  f"episode_{i}: observations {ep['observations'].shape} has T+1 = {T + 1} rows")
            check(ep["rewards"].shape == (T,), f"episode_{i}: rewards shape (T,)")
            for k in ("terminations", "truncations"):
                check(ep[k].dtype == np.bool_, f"episode_{i}: {k} dtype bool ({ep[k].dtype})")
            check(int(g.attrs["id"]) == i and int(g.attrs["total_steps"]) == T,
                  f"episode_{i}: attrs id={g.attrs.get('id')} "
                  f"total_steps={g.attrs.get('total_steps')}")
            eps.append(ep)
            i += 1
    if meta:
        check(meta["total_episodes"] == len(eps),
              f"metadata total_episodes {meta['total_episodes']}")
        check(meta["total_steps"] == sum(e["actions"].shape[0] for e in eps),
              f"metadata total_steps {meta['total_steps']}")
        for k in ("observation_space", "action_space"):
            if k in meta:
                sp = json.loads(meta[k])  # Minari stores the space as a JSON string
                check(sp["type"] in ("Box", "Discrete", "MultiDiscrete"), f"{k} type {sp['type']}")
    return eps, meta


def load_d4rl(path):
    with h5py.File(path, "r") as f:
        d = {k: f[k][()] for k in f.keys() if isinstance(f[k], h5py.Dataset)}
        for k in ("observations", "actions", "rewards", "terminals", "timeouts"):
            check(k in d, f"D4RL dataset '{k}' present")
            if k in f:
                check(f[k].compression == "gzip", f"D4RL '{k}' is gzip-compressed")
    return d


def returns(eps):
    return np.array([float(np.sum(e["rewards"], dtype=np.float64)) for e in eps])


def rlc_info(rlc, path):
    out = subprocess.run([rlc, "dataset", "info", path], capture_output=True, text=True)
    check(out.returncode == 0, f"rlc dataset info {path}: {out.stderr.strip()}")
    info = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            info[parts[0]] = parts[1]
    return info


def round_trip(rlc):
    tmp = tempfile.mkdtemp(prefix="rlc_check_dataset_")
    # 1. rlc writes (Minari), converts to D4RL; h5py compares both with each other.
    mdir = os.path.join(tmp, "cp")
    subprocess.run([rlc, "dataset", "collect", "--env", "CartPole-v1", "--policy", "random",
                    "--steps", "500", "--seed", "1", "--out", mdir], check=True)
    eps, meta = load_minari(mdir)
    check(sum(e["actions"].shape[0] for e in eps) == 500, "collected 500 steps")
    check(eps[0]["actions"].dtype == np.int64 and eps[0]["actions"].ndim == 1,
          "Discrete actions stored as int64 (T,)")
    check(meta.get("dataset_id", "").startswith("rlc/CartPole-v1"), "metadata dataset_id")
    dfile = os.path.join(tmp, "cp.hdf5")
    subprocess.run([rlc, "dataset", "convert", "--from", "minari", mdir, "--to", "d4rl", dfile],
                   check=True)
    d = load_d4rl(dfile)
    obs = np.concatenate([e["observations"][:-1] for e in eps])
    nxt = np.concatenate([e["observations"][1:] for e in eps])
    check(np.array_equal(d["observations"], obs), "D4RL observations == Minari rows 0..T-1")
    check(np.array_equal(d["next_observations"], nxt), "D4RL next_observations == rows 1..T")
    check(np.array_equal(d["actions"], np.concatenate([e["actions"] for e in eps])),
          "D4RL actions == Minari actions")
    rew_m = np.concatenate([e["rewards"] for e in eps]).astype(np.float32)
    check(np.array_equal(d["rewards"], rew_m),
          "D4RL rewards == Minari rewards")
    ends = np.flatnonzero(d["terminals"] | d["timeouts"])
    check(len(ends) == len(eps) and ends[-1] == len(obs) - 1,
          f"D4RL episode split: {len(ends)} ends for {len(eps)} episodes")
    info = rlc_info(rlc, mdir)
    mean = returns(eps).mean()
    check(abs(float(info["return_mean"]) - mean) < 1e-4 * max(1, abs(mean)),
          f"rlc return_mean {info['return_mean']} == h5py {returns(eps).mean():.6g}")

    # 2. h5py writes a Minari file and a gzip D4RL file; rlc reads them.
    rng = np.random.default_rng(0)
    pm = os.path.join(tmp, "py_minari")
    os.makedirs(os.path.join(pm, "data"))
    lens = [5, 9, 3]
    pyeps = []
    with h5py.File(os.path.join(pm, "data", "main_data.hdf5"), "w") as f:
        for i, T in enumerate(lens):
            g = f.create_group(f"episode_{i}")
            e = {"observations": rng.standard_normal((T + 1, 3)),
                 "actions": rng.uniform(-1, 1, (T, 2)).astype(np.float32),
                 "rewards": rng.standard_normal(T),
                 "terminations": np.zeros(T, bool), "truncations": np.zeros(T, bool)}
            e["terminations"][-1] = True
            for k, v in e.items():
                g.create_dataset(k, data=v, maxshape=(None,) + v.shape[1:], chunks=True)
            g.attrs["id"] = i
            g.attrs["total_steps"] = T
            pyeps.append(e)
    json.dump({"total_episodes": 3, "total_steps": sum(lens), "dataset_id": "py/test-v0",
               "ref_min_score": -10.0, "ref_max_score": 10.0},
              open(os.path.join(pm, "data", "metadata.json"), "w"))
    info = rlc_info(rlc, pm)
    check(info.get("episodes") == "3" and info.get("steps") == str(sum(lens)),
          f"rlc reads h5py Minari: {info.get('episodes')} episodes, {info.get('steps')} steps")
    check(abs(float(info["return_mean"]) - returns(pyeps).mean()) < 1e-4,
          f"rlc return_mean {info['return_mean']} == {returns(pyeps).mean():.6g}")
    check(abs(float(info["TQ"]) - (returns(pyeps).mean() + 10) / 20) < 1e-4, f"rlc TQ {info['TQ']}")
    pd = os.path.join(tmp, "py_d4rl.hdf5")
    N = 50
    term = np.zeros(N, bool)
    tout = np.zeros(N, bool)
    term[[9, 29]] = True
    tout[[19, 49]] = True
    rew = rng.standard_normal(N).astype(np.float32)
    with h5py.File(pd, "w") as f:
        f.create_dataset("observations", data=rng.standard_normal((N, 4)), compression="gzip")
        f.create_dataset("next_observations", data=rng.standard_normal((N, 4)), compression="gzip")
        f.create_dataset("actions", data=rng.standard_normal((N, 2)).astype(np.float32),
                         compression="gzip")
        f.create_dataset("rewards", data=rew, compression="gzip")
        f.create_dataset("terminals", data=term, compression="gzip")
        f.create_dataset("timeouts", data=tout, compression="gzip")
    info = rlc_info(rlc, pd)
    spans = [(0, 9), (10, 19), (20, 29), (30, 49)]
    rets = [rew[a:b + 1].astype(np.float64).sum() for a, b in spans]
    check(info.get("episodes") == "4" and info.get("steps") == "50",
          f"rlc splits h5py D4RL at terminals|timeouts: {info.get('episodes')} episodes")
    check(abs(float(info["return_mean"]) - np.mean(rets)) < 1e-4,
          f"rlc return_mean {info['return_mean']} == {np.mean(rets):.6g}")
    # 3. rlc converts the h5py D4RL file to Minari; arrays survive.
    out = os.path.join(tmp, "py_d4rl_as_minari")
    subprocess.run([rlc, "dataset", "convert", "--from", "d4rl", pd, "--to", "minari", out],
                   check=True)
    eps2, _ = load_minari(out)
    with h5py.File(pd, "r") as f:
        check(np.allclose(np.concatenate([e["observations"][:-1] for e in eps2]),
                          f["observations"][()], atol=1e-6),
              "D4RL -> Minari observations (float32 precision)")
        check(np.array_equal(np.concatenate([e["terminations"] for e in eps2]), term),
              "D4RL -> Minari terminations")
    shutil.rmtree(tmp)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--rlc":
        round_trip(sys.argv[2])
    elif len(sys.argv) == 2:
        p = sys.argv[1]
        if os.path.isdir(p) or "episode_0" in h5py.File(p, "r"):
            eps, _ = load_minari(p)
            print(f"{len(eps)} episodes, returns mean {returns(eps).mean():.6g}")
        else:
            d = load_d4rl(p)
            print(f"{len(d['observations'])} transitions")
    else:
        print(__doc__)
        return 2
    print(f"{'FAILED: ' + str(len(FAILS)) if FAILS else 'all checks passed'}")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
