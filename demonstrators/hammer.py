"""An observation-based phase controller for AdroitHandHammerSparse-v1 (no memory, batched).

Observation (46), as the environment returns it:
    0-1 arm joints (ARRx lowers the palm, ARRy swings it along x)   2-3 wrist (flexion, deviation)
    4-25 finger and thumb joints     26 nail insertion     27-32 hammer velocities
    33-35 palm position     36-38 hammer (handle) position     39-41 hammer orientation (xyz Euler)
    42-44 nail head position     45 nail impact (touch sensor)
Action (26) in [-1, 1]: absolute joint targets, mapped linearly onto each actuator's control range.

Phases, read off the geometry at every step and blended smoothly (`smoothstep` over each
threshold +- a half-width, `BLEND`: 1 cm of height or distance, 0.1 rad of mean flexion) instead of
switched, so that behaviour cloning can copy the controller:
    grasp   the hammer lies on the table: lower the open hand onto the handle; as the palm comes
            low, close the fingers; as they close, raise the arm (lift);
    aim     the hammer is up: the hammer's striking point (computed from the hammer's position
            and orientation) goes behind the nail head, on the nail's axis, at the nail's height;
    strike  aimed (off the axis by less than a tolerance): the target slides from behind the nail
            head to `through` past it along the nail's axis, and the striking point follows.
Arm and wrist targets are the current joint angle plus a gain times the task-space error, so the
controller closes the loop on the observation. Its constants, `PARAMS`, were tuned by
`benchmarks/tune_hammer.py` (numbers and command: demonstrators/README.md).
"""

import json
import pathlib

import numpy as np

from demonstrators.fetch import smoothstep

OBS_DIM, ACT_DIM = 46, 26
NAIL_AXIS = np.array([0.932, 0.362, 0.0])  # the nail goes into the board along this direction
TOOL_OFFSET = np.array([-0.2, 0.0, -0.04])  # the striking face in the hammer's frame
# Control ranges of the arm (ARRx, ARRy) and wrist (WRJ1, WRJ0) actuators.
LOW = np.array([-0.4, -0.3, -0.524, -0.79])
HIGH = np.array([0.25, 0.3, 0.175, 0.61])
ARM_SERVO = 2.5  # the arm's position servos settle at 2.5 x their control (gain 500, bias -200)
FLEX = [5, 6, 7, 9, 10, 11, 13, 14, 15, 18, 19, 20]  # finger flexion joints (J2, J1, J0)
THUMB = [21, 22, 23, 24, 25]

# name: (default, low, high) -- the search space of benchmarks/tune_hammer.py
SPACE = {
    "a0_descend": (0.28, -0.2, 1.0),  # arm action while lowering onto the handle
    "a0_close": (0.88, -0.2, 1.0),  # arm action while closing the fingers
    "grasp_height": (0.075, 0.03, 0.12),  # palm above the handle below which the fingers close
    "closed": (0.9, 0.1, 1.3),  # mean flexion (rad) above which the hand counts as closed
    "flex": (0.43, 0.0, 1.0),  # finger flexion action while grasping/holding
    "th0": (0.27, -1.0, 1.0),
    "th1": (-0.685, -1.0, 1.0),
    "th2": (-0.209, -1.0, 1.0),
    "th3": (-0.004, -1.0, 1.0),
    "th4": (-0.005, -1.0, 1.0),
    "wr1_grasp": (0.64, -1.0, 1.0),
    "wr0_grasp": (-0.01, -1.0, 1.0),
    "palm_dx": (0.02, -0.05, 0.05),  # palm x minus handle x while grasping
    "lifted": (0.08, 0.04, 0.15),  # handle height above which the hammer is up
    "lift_a0": (-0.2, -1.0, 0.5),  # arm action while lifting
    "k_z": (3.0, 0.1, 10.0),
    "k_x": (2.0, 0.1, 10.0),
    "k_y": (2.0, 0.1, 10.0),
    "sag": (0.08, -0.1, 0.3),  # gravity's sag of the arm joint (rad), fed forward
    "max_step": (0.15, 0.02, 0.5),  # largest joint step (rad) the aim asks for at once
    "wr0_hold": (0.0, -1.0, 1.0),  # wrist deviation action while aiming and striking
    "back": (0.08, 0.02, 0.2),  # how far behind the nail head to aim
    "tol": (0.025, 0.005, 0.06),  # off-axis distance under which to strike
    "through": (0.12, 0.02, 0.25),  # how far past the nail head to drive
    "dz": (0.0, -0.05, 0.05),
    "dy": (0.0, -0.05, 0.05),  # aim offsets
}
PARAMS = {k: v[0] for k, v in SPACE.items()}
TUNED = pathlib.Path(__file__).parent / "hammer_params.json"  # written by benchmarks/tune_hammer.py
if TUNED.exists():
    PARAMS.update(json.loads(TUNED.read_text()))


def _euler_to_matrix(e):
    """Rotation matrices (N, 3, 3) from the observation's xyz Euler angles (R = Rx Ry Rz)."""
    cx, cy, cz = np.cos(e[:, 0]), np.cos(e[:, 1]), np.cos(e[:, 2])
    sx, sy, sz = np.sin(e[:, 0]), np.sin(e[:, 1]), np.sin(e[:, 2])
    r = np.empty((len(e), 3, 3))
    r[:, 0, 0], r[:, 0, 1], r[:, 0, 2] = cy * cz, -cy * sz, sy
    r[:, 1, 0], r[:, 1, 1], r[:, 1, 2] = sx * sy * cz + cx * sz, -sx * sy * sz + cx * cz, -sx * cy
    r[:, 2, 0], r[:, 2, 1], r[:, 2, 2] = -cx * sy * cz + sx * sz, cx * sy * sz + sx * cz, cx * cy
    return r


def tool_position(x):
    """The hammer's striking point (N, 3) from observations (N, 46)."""
    return x[:, 36:39] + _euler_to_matrix(x[:, 39:42]) @ TOOL_OFFSET


def _to_action(ctrl, i):
    return np.clip((2 * ctrl - LOW[i] - HIGH[i]) / (HIGH[i] - LOW[i]), -1.0, 1.0)


# Half-widths of the smooth phase blends (see `phase_weights`).
BLEND = {"lifted": 0.01, "tol": 0.01, "grasp_height": 0.01, "closed": 0.1}


def _off_axis(x, p):
    tool, nail = tool_position(x), x[:, 42:45]
    rel = tool - nail
    s = rel @ NAIL_AXIS
    off = rel - s[:, None] * NAIL_AXIS - np.array([0.0, p["dy"], p["dz"]])
    return np.linalg.norm(off, axis=1)


def phase_weights(x, p=None, blend=None):
    """Soft phase weights (N,) in [0, 1]: up (the hammer is lifted) and aimed (the striking point
    is on the nail's axis), each a smoothstep over its threshold +- its `BLEND` half-width."""
    p = PARAMS if p is None else p
    b = BLEND if blend is None else blend
    x = np.asarray(x, dtype=np.float64)
    up = smoothstep(x[:, 38], p["lifted"] - b["lifted"], p["lifted"] + b["lifted"])
    aimed = 1 - smoothstep(_off_axis(x, p), p["tol"] - b["tol"], p["tol"] + b["tol"])
    return up, aimed


def phases(x, p=None):
    """Boolean (N,) masks grasp, aim, strike: the phase of each observation (the larger weight)."""
    up, aimed = phase_weights(x, p)
    up, aimed = up > 0.5, aimed > 0.5
    return ~up, up & ~aimed, up & aimed


def controller(x, p=None, blend=None):
    """Actions (N, 26) for observations (N, 46)."""
    p = PARAMS if p is None else p
    b = BLEND if blend is None else blend
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    up, aimed = phase_weights(x, p, b)
    palm, handle, nail = x[:, 33:36], x[:, 36:39], x[:, 42:45]
    a = np.zeros((n, ACT_DIM))

    # Grasp: lower onto the handle, close once low, lift once closed.
    gh = p["grasp_height"]
    low = 1 - smoothstep(palm[:, 2] - handle[:, 2], gh - b["grasp_height"], gh + b["grasp_height"])
    closed = smoothstep(x[:, FLEX].mean(axis=1), p["closed"] - b["closed"], p["closed"] + b["closed"])
    lift = low * closed
    a[:, 0] = lift * p["lift_a0"] + (1 - lift) * (low * p["a0_close"] + (1 - low) * p["a0_descend"])
    a[:, 1] = _to_action((x[:, 1] + 2.0 * (palm[:, 0] - handle[:, 0] - p["palm_dx"])) / ARM_SERVO, 1)
    a[:, 2], a[:, 3] = p["wr1_grasp"], p["wr0_grasp"]
    a[:, FLEX] = (low * p["flex"] - (1 - low))[:, None]
    a[:, [4, 8, 12, 17]] = 0.0
    a[:, 16] = -1.0
    thumb = np.array([p["th0"], p["th1"], p["th2"], p["th3"], p["th4"]])
    a[:, THUMB] = low[:, None] * thumb

    # Aim and strike: move the striking point to a target by joint-space steps; the target slides
    # from behind the nail head to `through` past it as the point comes onto the nail's axis.
    tool = tool_position(x)
    offset = np.array([0.0, p["dy"], p["dz"]])
    target = nail + offset + (aimed * (p["back"] + p["through"]) - p["back"])[:, None] * NAIL_AXIS
    err = target - tool
    h = np.zeros((n, ACT_DIM))
    m = p["max_step"]
    # ARRx up lowers the palm (gravity sags it by about `sag`); ARRy up moves it toward -x; more
    # wrist flexion swings the head toward -y.
    h[:, 0] = _to_action((x[:, 0] - np.clip(p["k_z"] * err[:, 2], -m, m) - p["sag"]) / ARM_SERVO, 0)
    h[:, 1] = _to_action((x[:, 1] - np.clip(p["k_x"] * err[:, 0], -m, m)) / ARM_SERVO, 1)
    h[:, 2] = _to_action(x[:, 2] - np.clip(p["k_y"] * err[:, 1], -m, m), 2)
    h[:, 3] = p["wr0_hold"]
    h[:, FLEX] = p["flex"]
    h[:, 16] = -1.0
    h[:, THUMB] = thumb
    return up[:, None] * h + (1 - up)[:, None] * a
