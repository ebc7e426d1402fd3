"""`python -m demonstrators {measure, measure-robotics, export} ...`: measure a shipped demonstrator,
or export a behaviour policy. `python -m demonstrators --help` lists them with an example each."""

import argparse

import demonstrators
from demonstrators import locomotion, robotics

EXAMPLES = """\
examples:
  python -m demonstrators measure Hopper-v5 --episodes 10
      the mean dense return of a behaviour policy (or of Point2D's rule), seeds 0-9
  python -m demonstrators measure-robotics FetchPush-v4 --episodes 200 [--expert] [--noise 0]
      the success rate of a Fetch or Adroit Hammer demonstrator (or its expert), seeds 0-199
  python -m demonstrators export runs/Hopper-v5__behaviour__rl__1__*/model.npz Hopper-v5
      the actor of a `gild_td3.py --save-model` run becomes demonstrators/weights/Hopper-v5.npz
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m demonstrators",
        description="Measure a shipped demonstrator, or export a behaviour policy (demonstrators/README.md).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{measure,measure-robotics,export}")
    m = sub.add_parser("measure", help="mean dense return of a shipped behaviour policy (or Point2D's rule)")
    m.add_argument("env_id", help=f"one of {', '.join(demonstrators.rollout_tasks())}")
    m.add_argument("--episodes", type=int, default=10)
    m.add_argument("--seed", type=int, default=0, help="episode i resets with seed + i")
    r = sub.add_parser("measure-robotics", help="success rate of a rule-based demonstrator (Fetch, Adroit Hammer)")
    r.add_argument(
        "env_id", choices=robotics.ROBOTICS_TASKS, metavar="env_id", help=f"one of {', '.join(robotics.ROBOTICS_TASKS)}"
    )
    r.add_argument("--episodes", type=int, default=200)
    r.add_argument(
        "--seed", type=int, default=0, help="episode i resets with seed + i; the demonstrator's noise is seeded with it"
    )
    r.add_argument("--expert", action="store_true", help="the expert: the same controller without the demonstrator's flaw")
    r.add_argument("--noise", type=float, default=None, help="override the acting noise (0: the noise-free controller)")
    e = sub.add_parser("export", help="weights/<env-id>.npz from the actor of a gild_td3.py --save-model file")
    e.add_argument("model_path", help="the run's model.npz")
    e.add_argument("env_id", help="the dense task it was trained on (for instance Hopper-v5)")
    return p.parse_args(argv)


def main(a):
    if a.cmd == "export":
        print("wrote", locomotion.export_actor(a.model_path, a.env_id))
    elif a.cmd == "measure-robotics":
        rate = robotics.measure_success(a.env_id, a.episodes, a.seed, expert=a.expert, noise=a.noise)
        who = "expert" if a.expert else "demonstrator"
        noise = a.noise if a.noise is not None else 0.0 if a.expert else robotics.NOISE[a.env_id]
        print(
            f"{a.env_id} {who} (acting noise {noise}): success {rate:.3f} over {a.episodes} episodes "
            f"(seeds {a.seed}-{a.seed + a.episodes - 1})"
        )
    else:
        if not demonstrators.has_demonstrator(a.env_id):
            raise SystemExit(demonstrators.no_demonstrator_message(a.env_id))
        s, _, r = demonstrators.rollout(a.env_id, a.episodes, a.seed, with_returns=True)
        print(f"{a.env_id}: dense return {r.mean():.1f} +- {r.std():.1f} over {a.episodes} episodes, {len(s)} (s, a) pairs")


if __name__ == "__main__":
    main(parse_args())
