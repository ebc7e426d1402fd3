"""Random demonstrations of a task's shape, for the speed benchmarks (a GILD step costs the same whatever the pairs say).

python -m benchmarks.random_demos Hopper-sparse /tmp/demos.npz [--n 5000]
"""

import argparse

import gymnasium as gym
import numpy as np

import demonstrators


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("env", help="a GILD task (a -sparse id reads the shapes of its -v5 task)")
    p.add_argument("out", help="the .npz to write (the scripts' --demo-path)")
    p.add_argument("--n", type=int, default=5000, help="pairs")
    args = p.parse_args(argv)
    env = gym.make(args.env.replace("-sparse", "-v5"))
    states = np.random.default_rng(0).normal(size=(args.n, env.observation_space.shape[0]))
    actions = np.random.default_rng(1).uniform(-1, 1, size=(args.n, env.action_space.shape[0]))
    demonstrators.save_demonstrations(args.out, states, actions)


if __name__ == "__main__":
    main()
