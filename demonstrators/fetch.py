"""Rule-based controllers for FetchPickAndPlace-v4, FetchPush-v4 and FetchSlide-v4.

Each is a pure function of the flat observation (no memory: the phase is read off the geometry),
vectorised over a batch, and clean (noise-free); `demonstrators.robotics` adds the sub-optimality.

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
PUSH_SPEED = 0.5
SLIDE_GAIN = 1.5  # strike speed (action) per square-root metre to the goal


def flatten_obs(obs):
    """The 28-d flat observation from a Fetch dict observation, single (25,) or batched (N, 25)."""
    return np.concatenate([np.asarray(obs["observation"]), np.asarray(obs["desired_goal"])], axis=-1).astype(np.float32)


def _split(x):
    x = np.asarray(x, dtype=np.float64)
    return x[:, 0:3], x[:, 3:6], x[:, 9] + x[:, 10], x[:, 25:28]


def _move(target, grip):
    return np.clip(GAIN * (target - grip), -1.0, 1.0)


def pick_and_place(x):
    """Above the object, descend with open fingers, close, carry to the goal (N, 28) -> (N, 4)."""
    grip, obj, width, goal = _split(x)
    rel = obj - grip
    d_xy = np.linalg.norm(rel[:, :2], axis=1)
    d = np.linalg.norm(rel, axis=1)
    # Held: the object sits between the fingers and they are closed onto it (5 cm cube).
    held = (d < 0.02) & (width < 0.06)
    at_object = d < 0.012
    above = d_xy < 0.012
    target = obj + np.array([0.0, 0.0, 0.06])  # hover above the object
    target = np.where(above[:, None], obj, target)  # then descend onto it
    target = np.where(held[:, None], goal, target)  # carry
    a = np.zeros((len(x), 4))
    a[:, :3] = _move(target, grip)
    a[:, 3] = np.where(held | at_object, -1.0, 1.0)
    return a


def push(x):
    """Lift, go behind the block opposite the goal, descend, push it to the goal (N, 28) -> (N, 4)."""
    grip, obj, _, goal = _split(x)
    to_goal = goal[:, :2] - obj[:, :2]
    u = to_goal / np.maximum(np.linalg.norm(to_goal, axis=1, keepdims=True), 1e-6)
    rel = grip[:, :2] - obj[:, :2]
    along = np.sum(rel * u, axis=1)  # < 0: behind the block
    across = rel[:, 0] * -u[:, 1] + rel[:, 1] * u[:, 0]
    low = grip[:, 2] < obj[:, 2] + 0.008
    behind_xy = obj[:, :2] - 0.05 * u
    at_behind = np.linalg.norm(grip[:, :2] - behind_xy, axis=1) < 0.01
    # Pushing: low, behind the block and on the line through it toward the goal.
    pushing = low & (along < -0.02) & (along > -0.08) & (np.abs(across) < 0.015)
    high_z = obj[:, 2] + 0.08
    target = np.empty_like(grip)
    target[:, :2] = behind_xy
    target[:, 2] = np.where(at_behind, obj[:, 2] - 0.01, high_z)  # descend once behind
    # Stay high while travelling: lift first if low and not yet behind.
    travelling = ~at_behind & ~pushing
    lift = travelling & (grip[:, 2] < high_z - 0.02)
    target[:, :2] = np.where(lift[:, None], grip[:, :2], target[:, :2])
    # Push: move the gripper by the block's remaining offset, keeping on the line.
    push_xy = grip[:, :2] + to_goal - across[:, None] * np.stack([-u[:, 1], u[:, 0]], axis=1)
    target[:, :2] = np.where(pushing[:, None], push_xy, target[:, :2])
    target[:, 2] = np.where(pushing, obj[:, 2] - 0.01, target[:, 2])
    a = np.zeros((len(x), 4))
    a[:, :3] = _move(target, grip)
    # Push gently: a flung block overshoots or tips over.
    speed = np.linalg.norm(a[:, :2], axis=1, keepdims=True)
    a[:, :2] = np.where(pushing[:, None], a[:, :2] * np.minimum(1.0, PUSH_SPEED / np.maximum(speed, 1e-9)), a[:, :2])
    a[:, :3] = np.where((np.linalg.norm(to_goal, axis=1) < 0.015)[:, None], 0.0, a[:, :3])  # there: hold still
    a[:, 3] = -1.0
    return a


def slide(x, strike_gain=None):
    """Wait for the puck to stop, go behind it away from the goal, press down, strike toward the
    goal with a speed growing as the square root of the distance (N, 28) -> (N, 4)."""
    k = SLIDE_GAIN if strike_gain is None else strike_gain
    x64 = np.asarray(x, dtype=np.float64)
    grip, obj, _, goal = _split(x)
    obj_vel = x64[:, 14:16] + x64[:, 20:22]  # per-step displacement of the puck
    moving = np.linalg.norm(obj_vel, axis=1) > 0.002
    to_goal = goal[:, :2] - obj[:, :2]
    dist = np.linalg.norm(to_goal, axis=1)
    u = to_goal / np.maximum(dist[:, None], 1e-6)
    perp = np.stack([-u[:, 1], u[:, 0]], axis=1)
    rel = grip[:, :2] - obj[:, :2]
    along = np.sum(rel * u, axis=1)
    across = np.sum(rel * perp, axis=1)
    low = grip[:, 2] < obj[:, 2] + 0.01
    behind_xy = obj[:, :2] - 0.06 * u
    at_behind = np.linalg.norm(grip[:, :2] - behind_xy, axis=1) < 0.008
    striking = low & (along < -0.01) & (along > -0.09) & (np.abs(across) < 0.01)
    high_z = obj[:, 2] + 0.05
    target = np.empty_like(grip)
    target[:, :2] = behind_xy
    target[:, 2] = np.where(at_behind, obj[:, 2] - 0.005, high_z)
    lift = ~at_behind & ~striking & (grip[:, 2] < high_z - 0.02)
    target[:, :2] = np.where(lift[:, None], grip[:, :2], target[:, :2])
    a = np.zeros((len(x), 4))
    a[:, :3] = _move(target, grip)
    # Strike along the line to the goal, correcting sideways, pressing down.
    speed = np.clip(k * np.sqrt(dist), 0.1, 1.0)[:, None]
    strike = np.concatenate([speed * u - GAIN * across[:, None] * perp, -0.2 * np.ones((len(x), 1))], axis=1)
    a[:, :3] = np.where(striking[:, None], strike, a[:, :3])
    # The puck is sliding: keep clear and wait; there: hold still.
    a[:, :3] = np.where((moving & ~striking)[:, None], np.array([0.0, 0.0, 0.3]), a[:, :3])
    a[:, :3] = np.where((dist < 0.02)[:, None], 0.0, a[:, :3])
    a[:, :3] = np.clip(a[:, :3], -1.0, 1.0)
    a[:, 3] = -1.0
    return a


CONTROLLERS = {"FetchPickAndPlace-v4": pick_and_place, "FetchPush-v4": push, "FetchSlide-v4": slide}
