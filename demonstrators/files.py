"""The demonstration file: a plain .npz (numpy.savez's zip of named arrays, read without pickle).

    states   (N, obs_dim)   the observations, as the environment returns them (flat)
    actions  (N, act_dim)   the demonstrator's action at each state, inside the action box
Transitions extend it with optional arrays, one row per transition (`OPTIONAL_ARRAYS`):
rewards (N,), next_states (N, obs_dim), dones (N,) terminated, timeouts (N,) True at an episode's
last step, episode_starts (N,) True at its first.

Every bad file is refused with a one-line ValueError that starts with the path: a missing file, a
folder, an unreadable or damaged file, a file that is not an .npz, missing arrays, wrong shapes,
non-numeric arrays, NaN or infinite values.
"""

import pathlib
import zipfile
import zlib

import numpy as np

REQUIRED = ("states", "actions")
OPTIONAL_ARRAYS = {"rewards": "float", "next_states": "float", "dones": "bool", "timeouts": "bool", "episode_starts": "bool"}
NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats: what converts to float32 without loss of meaning


def save_demonstrations(path, states, actions):
    """Write `states` and `actions` as float32 arrays of an .npz (no pickle)."""
    np.savez(path, states=np.asarray(states, dtype=np.float32), actions=np.asarray(actions, dtype=np.float32))


def load_demonstrations(path):
    """(states, actions) as float32 arrays from an .npz of the documented format; a one-line ValueError otherwise."""
    data = _read(path, REQUIRED)
    states, actions = data["states"], data["actions"]
    _check_pairs(path, states, actions)
    return states, actions


def save_transitions(path, data):
    """Write a dict like rollout_dataset's (states and actions required; rewards, next_states,
    dones, timeouts, episode_starts optional; other keys ignored) as a plain .npz."""
    keys = list(REQUIRED) + [k for k in OPTIONAL_ARRAYS if k in data]
    arrays = {k: np.asarray(data[k], dtype=bool if OPTIONAL_ARRAYS.get(k) == "bool" else np.float32) for k in keys}
    _check_pairs(path, arrays["states"], arrays["actions"])
    _check_optional(path, arrays)
    np.savez(path, **arrays)


def load_transitions(path):
    """The arrays of a transitions .npz as a dict (float32, and bool for the flags): `states` and
    `actions` as load_demonstrations reads them, plus the optional arrays the file holds."""
    states, actions = load_demonstrations(path)
    data = {"states": states, "actions": actions, **_read(path, (), optional=OPTIONAL_ARRAYS)}
    _check_optional(path, data)
    return data


def _read(path, required, optional=()):
    """The `required` arrays and those of `optional` the file holds, as float32 (bool for the
    optional "bool" ones), each checked to be numeric and finite."""
    raw = _read_npz(path, required, optional)
    data = {}
    for k, v in raw.items():
        if v.dtype.kind not in NUMERIC_KINDS:
            raise ValueError(f"{path}: `{k}` has dtype {v.dtype}; expected numbers (float, int or bool)")
        if OPTIONAL_ARRAYS.get(k) == "bool":
            data[k] = v.astype(bool)
            continue
        with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf, refused below
            data[k] = v.astype(np.float32)
        bad = ~np.isfinite(data[k])
        if bad.any():
            where = f"; the first in row {np.argwhere(bad)[0][0]}" if bad.ndim else ""
            raise ValueError(f"{path}: `{k}` has {int(bad.sum())} NaN or infinite values (as float32{where})")
    return data


def _read_npz(path, required, optional):
    """The raw arrays, with numpy's, zipfile's and the OS's errors turned into one-line ValueErrors."""
    p = pathlib.Path(path)
    if not p.exists():
        raise ValueError(f"{path}: no such file")
    if p.is_dir():
        raise ValueError(f"{path}: is a folder, not an .npz file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(6)
            if head == b"\x93NUMPY":
                raise ValueError(f"{path}: a single .npy array, not an .npz file of named arrays (`states`, `actions`)")
            fh.seek(0)
            if not zipfile.is_zipfile(fh):
                raise ValueError(
                    f"{path}: not an .npz file (numpy.savez's zip of named arrays, as demonstrators.save_demonstrations "
                    "writes), or a truncated one"
                )
            fh.seek(0)
            with np.load(fh, allow_pickle=False) as f:
                missing = [k for k in required if k not in f.files]
                if missing:
                    has = ", ".join(f.files) or "none"
                    expected = "expected `states` (N, obs_dim) and `actions` (N, act_dim)"
                    raise ValueError(f"{path}: missing arrays {missing}; {expected}; it has {has}")
                return {k: _array(path, f, k) for k in [*required, *(k for k in optional if k in f.files)]}
    except OSError as e:
        raise ValueError(f"{path}: cannot read it ({e.strerror or _one_line(e)})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
        raise ValueError(f"{path}: a damaged .npz file ({_one_line(e)})") from None


def _array(path, f, k):
    try:
        return f[k]
    except ValueError as e:  # numpy refuses object arrays without pickle, and names a bad .npy header
        if "allow_pickle" in str(e):
            raise ValueError(f"{path}: `{k}` holds Python objects (dtype object), not numbers; pickle is not loaded") from None
        raise ValueError(f"{path}: cannot read `{k}` ({_one_line(e)})") from None


def _one_line(e):
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0]}" if lines else type(e).__name__


def _check_pairs(path, states, actions):
    if states.ndim != 2 or actions.ndim != 2 or len(states) != len(actions) or len(states) == 0:
        shapes = f"got {states.shape} and {actions.shape}"
        raise ValueError(f"{path}: need 2-d `states` and `actions` with the same number (> 0) of rows; {shapes}")


def _check_optional(path, data):
    for k in OPTIONAL_ARRAYS:
        if k in data:
            want = data["states"].shape if k == "next_states" else (len(data["states"]),)
            if data[k].shape != want:
                raise ValueError(f"{path}: `{k}` must have shape {want} (one per transition), got {data[k].shape}")
