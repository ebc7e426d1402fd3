"""Point2D navigation (the GILD paper's Figure 4 task) and its rule-based, detouring demonstrator.

The paper cites Rengarajan et al. (EMRLD) for the task and gives |S| = |A| = 2; the closest
published definition is EMRLD's 2-D particle task. What we chose (registered as `Point2D`):
  state    the position p in [-1, 1]^2 (float32); p_0 = (0, 0); the goal is fixed at GOAL = (0.5, 0.5)
  action   a in [-1, 1]^2, read as a direction: p <- clip(p + STEP * a / |a|, -1, 1)  (|a| ~ 0: stay)
  reward   100 - t on reaching the goal (|p - GOAL| <= RADIUS at step t; the episode terminates),
           1 - |p - GOAL| within SHAPING of the goal, else 0 (sparse)
  horizon  100 steps (a time-limit truncation)
EMRLD's goal radius is 0.02; ours is 0.05, which a fixed step of 0.1 can always hit by heading
straight at the goal, so the straight line is the optimum: 7 steps, return 93.9. The demonstrator
needs 14.1 steps on average (return 87.6 +- 2.8, 200 episodes, seed 0; reaches the goal in all).

The demonstrator heads for the goal at an angle: its direction is the goal's direction turned by
DETOUR_ANGLE * min(1, |GOAL - p| / |GOAL|), so it leaves the start 75 degrees off course and
straightens out as it closes in (a visible detour, as the paper's Figure 4 shows for its Behavior
policy), with Gaussian angle noise of its own. A pure function of the state: queryable anywhere.
"""

import gymnasium as gym
import numpy as np

from demonstrators.rollout import run_episodes

GOAL = np.array([0.5, 0.5], dtype=np.float32)
STEP, RADIUS, SHAPING, HORIZON = 0.1, 0.05, 0.2, 100
DETOUR_ANGLE, ANGLE_NOISE = np.deg2rad(75.0), 0.3


class Point2DEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.p, self.t = np.zeros(2, np.float32), 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.p, self.t = np.zeros(2, np.float32), 0
        return self.p.copy(), {}

    def step(self, action):
        a = np.asarray(action, dtype=np.float64)
        norm = np.linalg.norm(a)
        if norm > 1e-8:
            self.p = np.clip(self.p + STEP * a / norm, -1.0, 1.0).astype(np.float32)
        self.t += 1
        d = float(np.linalg.norm(self.p - GOAL))
        success = d <= RADIUS
        reward = 100.0 - self.t if success else (1.0 - d if d <= SHAPING else 0.0)
        return self.p.copy(), reward, success, False, {"is_success": success, "distance": d}


gym.register(id="Point2D", entry_point=Point2DEnv, max_episode_steps=HORIZON)


class Point2DDemonstrator:
    """Batched, stateless: actions (N, 2) for positions (N, 2); noise from its own seeded RNG."""

    def __init__(self, seed=0, angle_noise=ANGLE_NOISE):
        self.rng, self.angle_noise = np.random.default_rng(seed), angle_noise

    def __call__(self, states):
        p = np.atleast_2d(np.asarray(states, dtype=np.float64))
        to_goal = GOAL - p
        dist = np.linalg.norm(to_goal, axis=1)
        angle = np.arctan2(to_goal[:, 1], to_goal[:, 0]) + DETOUR_ANGLE * np.minimum(1.0, dist / np.linalg.norm(GOAL))
        angle += self.rng.normal(0.0, self.angle_noise, size=len(p))
        a = np.stack([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32)
        return a if np.ndim(states) == 2 else a[0]


def rollout(n_episodes=10, seed=0, with_returns=False, with_success=False):
    """(states, actions) of the demonstrator over n_episodes (episode i resets with seed + i;
    the demonstrator's noise is seeded by `seed`), and the returns / successes if asked."""
    with gym.make("Point2D") as env:
        data = run_episodes(env, Point2DDemonstrator(seed), n_episodes, seed, success=lambda infos: infos[-1]["is_success"])
    out = (data["states"], data["actions"])
    if with_returns:
        out += (data["returns"],)
    if with_success:
        out += (data["success"],)
    return out
