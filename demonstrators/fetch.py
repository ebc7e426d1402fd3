"""Rule-based controllers for FetchPickAndPlace-v4, FetchPush-v4 and FetchSlide-v4.

Each is a pure function of the flat observation (no memory: the phase is read off the geometry),
vectorised over a batch, and noise-free; `demonstrators.robotics` picks each one's flaw (a slow
carry, a slow push, a weak strike) and adds coverage noise. All three blend their phases smoothly
(`smoothstep` over a centimetre or two) instead of switching at a hard threshold: the behaviour is
about the same, but a network can copy a continuous controller, and behaviour cloning of the
switching ones stalled well below their rate (demonstrators/README.md).

Flat observation (28): `np.concatenate([obs["observation"], obs["desired_goal"]])`, as
`flatten_obs` builds it:
    0-2 gripper position      3-5 object position      6-8 object minus gripper
    9-10 finger positions     11-13 object rotation    14-16 object velocity relative to gripper
    17-19 object angular velocity   20-22 gripper velocity   23-24 finger velocities
    25-27 desired goal
Action (4) in [-1, 1]: xyz moves the gripper by 0.05 * a per step; a[3] opens (+) or closes (-)
the fingers (Push and Slide block them).
"""

import numpy as np

OBS_DIM, ACT_DIM = 28, 4
GAIN = 10.0  # action per metre of position error (an action of 1 moves the gripper 5 cm)
UP = np.array([0.0, 0.0, 1.0])


def flatten_obs(obs):
    """The 28-d flat observation from a Fetch dict observation, single (25,) or batched (N, 25)."""
    return np.concatenate([np.asarray(obs["observation"]), np.asarray(obs["desired_goal"])], axis=-1).astype(np.float32)


def _split(x):
    x = np.asarray(x, dtype=np.float64)
    return x[:, 0:3], x[:, 3:6], x[:, 9] + x[:, 10], x[:, 25:28]


def _move(target, grip):
    return np.clip(GAIN * (target - grip), -1.0, 1.0)


def _cap(v, speed):
    """Scale the rows of v down to a norm of at most `speed`."""
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return v * np.minimum(1.0, speed / np.maximum(norm, 1e-9))


def _line(grip, obj, goal, back):
    """The object's line to the goal: its distance, direction u and normal, the gripper's place along (< 0: behind
    the object) and across it, the spot `back` behind the object on it, and the gripper's height over the object."""
    to_goal = goal[:, :2] - obj[:, :2]
    dist = np.linalg.norm(to_goal, axis=1)
    u = to_goal / np.maximum(dist, 1e-6)[:, None]
    perp = np.stack([-u[:, 1], u[:, 0]], axis=1)
    rel = grip[:, :2] - obj[:, :2]
    along, across = np.sum(rel * u, axis=1), np.sum(rel * perp, axis=1)
    return dist, u, perp, along, across, obj[:, :2] - back * u, grip[:, 2] - obj[:, 2]


def smoothstep(x, lo, hi):
    """0 below lo, 1 above hi, a C1 cubic in between: the soft version of `x > threshold`."""
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def pick_and_place(x, carry_speed=1.0):
    """Above the object, descend with open fingers, close, carry to the goal at most at
    `carry_speed` (action units; 1 is uncapped) (N, 28) -> (N, 4)."""
    grip, obj, width, goal = _split(x)
    rel = obj - grip
    d_xy, d = np.linalg.norm(rel[:, :2], axis=1), np.linalg.norm(rel, axis=1)
    # Held: the object sits between the fingers (within 1.5-2.5 cm) and they are closed onto it (5 cm cube).
    held = (1 - smoothstep(d, 0.015, 0.025)) * (1 - smoothstep(width, 0.055, 0.065))
    above = 1 - smoothstep(d_xy, 0.008, 0.02)  # over the object: descend onto it, else hover 6 cm above
    reach = _move(obj + 0.06 * (1 - above)[:, None] * UP, grip)
    carry = _cap(_move(goal, grip), carry_speed)
    a = np.zeros((len(x), 4))
    a[:, :3] = (1 - held)[:, None] * reach + held[:, None] * carry
    close = np.maximum(held, 1 - smoothstep(d, 0.008, 0.016))  # close the fingers once at the object
    a[:, 3] = 1 - 2 * close
    return a


def push(x, push_speed=0.5):
    """Lift, go behind the block opposite the goal, descend, push it to the goal at most at
    `push_speed` (action units) (N, 28) -> (N, 4)."""
    grip, obj, _, goal = _split(x)
    dist, u, perp, along, across, behind, height = _line(grip, obj, goal, 0.05)
    near = 1 - smoothstep(np.linalg.norm(grip[:, :2] - behind, axis=1), 0.01, 0.03)  # at the spot behind the block
    up = smoothstep(height, 0.0, 0.04)
    low = 1 - smoothstep(height, 0.005, 0.02)
    # Pushing: low, behind the block (2-9 cm) and on the line through it toward the goal (within 1-2 cm).
    behind_block = smoothstep(along, -0.09, -0.07) * (1 - smoothstep(along, -0.03, -0.02))
    pushing = behind_block * (1 - smoothstep(np.abs(across), 0.01, 0.02)) * low
    # Travel to the spot behind the block, high; a low gripper away from the spot lifts before it moves
    # (approaching the block sideways knocks it over).
    travel = _move(behind, grip[:, :2]) * np.maximum(up, near)[:, None]
    # Push along the line, correcting sideways, slowing to a stop at the goal.
    shove = _cap(np.minimum(push_speed, GAIN * dist)[:, None] * u - GAIN * across[:, None] * perp, push_speed)
    a = np.zeros((len(x), 4))
    a[:, :2] = (1 - pushing)[:, None] * travel + pushing[:, None] * shove
    z_target = obj[:, 2] - 0.01 + 0.08 * (1 - np.maximum(near, pushing))  # descend at the spot, else 8 cm up
    a[:, 2] = np.clip(GAIN * (z_target - grip[:, 2]), -1.0, 1.0)
    a[:, 3] = -1.0
    return a


def friction_aim(obj, goal):
    """Where to aim a slide so that the table's friction stops the puck on the goal. MuJoCo's pyramidal friction
    cone slows the puck's x + y and x - y velocity each on its own, at the same rate, so its path curves: launched
    along (sqrt(dx + dy) + sqrt(dx - dy), sqrt(dx + dy) - sqrt(dx - dy)) (signed roots) at the speed of a straight
    slide of max(|dx|, |dy|), it stops at (dx, dy). Returns that straight slide's end (N, 2) and its direction w."""
    d = goal[:, :2] - obj[:, :2]
    p, q = (np.sign(v) * np.sqrt(np.abs(v)) for v in (d[:, 0] + d[:, 1], d[:, 0] - d[:, 1]))
    w = np.stack([p + q, p - q], axis=1) / np.maximum(np.sqrt(2 * (p * p + q * q)), 1e-9)[:, None]
    return obj[:, :2] + np.max(np.abs(d), axis=1)[:, None] * w, w


def slide(x, strike_gain=1.3, aim=0.0):
    """Wait for the puck to stop, go behind it away from the goal (high), descend, strike toward the
    goal at `strike_gain` times the square root of the distance (action units; friction stops the
    puck in a distance that grows as the speed squared) (N, 28) -> (N, 4). `aim` (0 to 1) blends in
    the aimed strike: toward the spot that the table's friction curves onto the goal, with a corner of the fingers."""
    x64 = np.asarray(x, dtype=np.float64)
    grip, obj, _, goal = _split(x)
    spot, w = friction_aim(obj, goal)  # aim at the spot whose straight slide friction curves onto the goal
    goal = goal[:, :2] + aim * (spot - goal[:, :2])
    # Strike with the fingers' corner (their box is 2.7 x 3 cm): its push points from it to the puck's centre, where
    # the flat front would push along x. Place the corner, not the grip point, on the line (within 3 degrees of an
    # axis, the front: a smooth sign).
    grip = grip + aim * np.concatenate([np.array([0.0135, 0.0149]) * np.clip(w / 0.05, -1.0, 1.0), np.zeros((len(x), 1))], 1)
    dist, u, perp, along, across, behind, height = _line(grip, obj, goal, 0.06)
    near = 1 - smoothstep(np.linalg.norm(grip[:, :2] - behind, axis=1), 0.005, 0.012)  # at the spot behind the puck
    up = smoothstep(height, 0.025, 0.035)
    low = 1 - smoothstep(height, 0.005, 0.015)
    moving = smoothstep(np.linalg.norm(x64[:, 14:16] + x64[:, 20:22], axis=1), 0.001, 0.003)  # the puck slides (m/step)
    # Striking: low, behind the puck (1.5-9 cm) and on the line through it toward the goal (within 0.7-1.5 cm).
    behind_puck = smoothstep(along, -0.095, -0.085) * (1 - smoothstep(along, -0.015, -0.005))
    striking = behind_puck * (1 - smoothstep(np.abs(across), 0.007, 0.015)) * low
    # Travel to the spot behind the puck, high (a low gripper away from the spot lifts before it
    # moves), descend there; while the puck slides, keep clear (rise) and wait.
    approach = np.zeros((len(x), 3))
    approach[:, :2] = _move(behind, grip[:, :2]) * np.maximum(up, near)[:, None]
    approach[:, 2] = np.clip(GAIN * (obj[:, 2] - 0.005 + 0.055 * (1 - near) - grip[:, 2]), -1.0, 1.0)
    idle = (1 - moving)[:, None] * approach + moving[:, None] * np.array([0.0, 0.0, 0.3])
    # Strike along the line to the goal, correcting sideways, pressing down; aimed, holding the height instead
    # (pressing on the table brakes the gripper unevenly).
    speed = np.clip(strike_gain * np.sqrt(dist), 0.1, 1.0)[:, None]
    press = -0.2 + aim * (np.clip(GAIN * (obj[:, 2] + 0.003 - grip[:, 2]), -1.0, 1.0) + 0.2)
    strike = np.concatenate([speed * u - GAIN * across[:, None] * perp, press[:, None]], axis=1)
    a = np.zeros((len(x), 4))
    a[:, :3] = striking[:, None] * strike + (1 - striking)[:, None] * idle
    a[:, :3] *= smoothstep(dist, 0.015, 0.025)[:, None]  # there: hold still
    a[:, :3] = np.clip(a[:, :3], -1.0, 1.0)
    a[:, 3] = -1.0
    return a


CONTROLLERS = {"FetchPickAndPlace-v4": pick_and_place, "FetchPush-v4": push, "FetchSlide-v4": slide}
