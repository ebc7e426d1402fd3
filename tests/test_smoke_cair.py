"""End to end runs of the CAIR scripts for a few hundred steps, through the actor updates and lambda updates."""

import numpy as np
import pytest
import torch

import cair_ddpg
import cair_ppo_dagger
import cair_sac
from conftest import eval_rows, tb_scalars
from demonstrators import robotics

pytestmark = pytest.mark.slow  # subprocesses or long rollouts: `pytest -m 'not slow'` leaves them out

SCRIPTS = ["cair_sac.py", "cair_ddpg.py"]
TINY = (
    "--total-timesteps 300 --learning-starts 100 --batch-size 32 --hidden 64 --eval-freq 300 "
    "--eval-episodes 1 --demo-episodes 2 --lambda-interval 1 --save-model --progress-interval 1e-9"
).split()
# Algorithm 2 runs at the first actor update after `--lambda-interval` episodes have ended since its last run. Push's
# 50-step episodes end at steps 50, 100, ..., 300, learning starts at step 101: it runs at steps 101 (two episodes
# over), 150, 200, 250 and 300. Hammer's one 200-step episode ends at step 200: it runs once.
LAMBDA_UPDATES = {"FetchPush-v4": 5, "Hammer": 1}


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("env", ["FetchPush-v4", "Hammer"])
@pytest.mark.parametrize("il", ["bc", "dagger"])
def test_cair_runs_through_actor_and_lambda_updates(run_script, script, env, il):
    proc = run_script(script, *TINY, "--env", env, "--il", il)
    assert f"200 actor updates, {LAMBDA_UPDATES[env]} lambda updates" in proc.stdout
    assert "299/300 steps (99.7%)" in proc.stdout and "left; last evaluation: none yet" in proc.stdout
    (row,) = eval_rows(proc)
    lam = float(row["lambda"])
    assert 0 <= lam < 1  # Algorithm 2 moved it down from 1
    rates = robotics.MEASURED_SUCCESS[{"Hammer": robotics.HAMMER}.get(env, env)]  # the bars beside the curve
    assert float(row["demonstrator_success_rate"]) == rates["demonstrator"]
    assert float(row["expert_success_rate"]) == rates["expert"]


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--il", "none"], 0.0),
        (["--lambda-schedule", "constant", "--cagrad-c", "0"], 1.0),
        (["--lambda-schedule", "fixed-step", "--lambda-delta", "0.02"], 1.0 - 5 * 0.02),  # by episodes
    ],
)
def test_lambda_schedules(run_script, script, flags, expected):
    proc = run_script(script, *TINY, "--env", "Push", *flags)
    (row,) = eval_rows(proc)
    assert float(row["lambda"]) == pytest.approx(expected, abs=1e-4)


def test_a_run_shorter_than_eval_freq_is_evaluated_at_its_end_and_its_folder_names_the_ablation(run_script):
    proc = run_script("cair_ddpg.py", *TINY, "--env", "Push", "--cagrad-c", "0", "--eval-freq", "1000")
    assert [row["global_step"] for row in eval_rows(proc)] == ["300"]
    (run,) = proc.runs.glob("*")
    assert run.name.split("__")[1:4] == ["cair_ddpg", "bc-cagrad-c-0", "1"]


def test_lambda_interval_counted_in_updates(run_script):  # A.2's other reading; the same lines in cair_sac.py
    flags = ["--lambda-schedule", "fixed-step", "--lambda-delta", "0.002", "--lambda-interval-unit", "updates"]
    flags += ["--normalize-grads"]  # and the flag's way through the loop (combine_gradients: test_cair_math.py)
    proc = run_script("cair_ddpg.py", *TINY, "--env", "Push", *flags)
    assert "200 actor updates, 200 lambda updates" in proc.stdout
    (row,) = eval_rows(proc)
    assert float(row["lambda"]) == pytest.approx(1 - 200 * 0.002, abs=1e-4)


@pytest.mark.parametrize("flags, mode", [([], "bc"), (["--no-autotune", "--alpha", "0.5"], "bc-no-autotune-alpha-0.5")])
def test_sac_temperature_tuned_or_held(run_script, flags, mode):
    tiny = [*TINY, "--total-timesteps", "1000", "--learning-starts", "900", "--eval-freq", "1000"]  # alpha is logged at 1k
    proc = run_script("cair_sac.py", *tiny, "--env", "Push", *flags)
    (alpha,) = tb_scalars(proc, "losses/alpha")
    if flags:
        assert alpha == 0.5
    else:  # Auto starts at log alpha = 0 and moves with every update
        assert alpha != pytest.approx(1.0, abs=1e-4)
    (run,) = proc.runs.glob("*")
    assert run.name.split("__")[2] == mode


NETWORKS = {  # what each script saves, and how to build its networks again from the saved file
    "cair_sac.py": ("actor", lambda n: cair_sac.Actor(28, 4, 64, n)),
    "cair_ddpg.py": ("actor", lambda n: cair_ddpg.Actor(28, 4, 64, n)),
    "cair_ppo_dagger.py": ("policy", lambda n: cair_ppo_dagger.Policy(28, 4, 64, n)),
}


@pytest.mark.parametrize("script", NETWORKS)
def test_input_normalisation_is_the_offline_sets_and_travels_with_the_model(run_script, script):
    tiny = TINY_PPO if script == "cair_ppo_dagger.py" else TINY
    proc = run_script(script, *tiny, "--env", "Push", "--seed", "2")
    (path,) = proc.runs.glob("*/model.npz")
    saved = dict(np.load(path))
    name, build = NETWORKS[script]
    states = robotics.rollout_dataset("FetchPush-v4", 2, seed=2)["states"]  # the run's offline set
    keys = [k for k in saved if k.startswith(f"{name}/") and k.endswith("normalize.mean")]
    assert len(keys) == 1
    np.testing.assert_allclose(saved[keys[0]], states.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(saved[keys[0].replace("mean", "std")], np.maximum(states.std(0), 1e-3), rtol=1e-4)
    # A fresh network with other statistics reads them back from the file, and acts as the saved one.
    net = build(cair_sac.Normalize(np.zeros(28), np.ones(28)))
    net.load_state_dict({k[len(name) + 1 :]: torch.as_tensor(v) for k, v in saved.items() if k.startswith(f"{name}/")})
    norm = net.normalize
    np.testing.assert_array_equal(norm.mean.numpy(), saved[keys[0]])
    x = torch.as_tensor(states[:5]) * 100  # far outside: clipped to +-5 standard deviations
    assert norm(x).abs().max() == 5.0
    proc = run_script(script, *tiny, "--env", "Push", "--no-normalize-obs")
    (path,) = proc.runs.glob("*/model.npz")
    assert not [k for k in np.load(path).files if "normalize" in k]  # raw inputs


# ------------------------------------------------------------------------------ cair_ppo_dagger.py
PPO = "cair_ppo_dagger.py"
# 2 rollouts of 2 envs x 64 steps (Push's 50-step episodes end inside them), 2 epochs of 2 minibatches
TINY_PPO = (
    "--total-timesteps 256 --num-envs 2 --num-steps 64 --minibatch-size 64 --update-epochs 2 --hidden 64 "
    "--eval-freq 256 --eval-episodes 1 --demo-episodes 2 --lambda-interval 2 --save-model"
).split()
# Push: each rollout ends two episodes (one per env, at steps 50 and 100 of each), so Algorithm 2 runs after each of
# the 2 rollouts; Hammer's 200-step episodes do not end within 128 steps, so it never runs.
LAMBDA_UPDATES_PPO = {"FetchPush-v4": 2, "Hammer": 0}


@pytest.mark.parametrize("env", ["FetchPush-v4", "Hammer"])
@pytest.mark.parametrize("il", ["dagger", "bc"])
def test_ppo_runs_through_policy_and_lambda_updates(run_script, env, il):
    proc = run_script(PPO, *TINY_PPO, "--env", env, "--il", il)
    assert f"8 policy updates, {LAMBDA_UPDATES_PPO[env]} lambda updates" in proc.stdout
    assert f"mode {il}, seed 1; cpu, 1 torch thread(s); 256 steps; logging to runs/" in proc.stdout
    (row,) = eval_rows(proc)
    assert 0 <= float(row["lambda"]) < 0.95 if LAMBDA_UPDATES_PPO[env] else float(row["lambda"]) == 0.95
    rates = robotics.MEASURED_SUCCESS[{"Hammer": robotics.HAMMER}.get(env, env)]  # the bars beside the curve
    assert float(row["demonstrator_success_rate"]) == rates["demonstrator"]
    assert float(row["expert_success_rate"]) == rates["expert"]


def test_ppo_dagger_aggregates_the_demonstrators_labels_of_every_rollout_state(run_script):
    from demonstrators import robotics

    proc = run_script(PPO, *TINY_PPO, "--env", "Push", "--seed", "3", "--il-loss", "nll")
    (path,) = proc.runs.glob("*/dagger.npz")
    data = np.load(path)
    states, labels = data["states"], data["actions"]
    n_demo = 2 * 50
    assert len(states) == n_demo + 256  # the offline episodes, then every state of both rollouts
    offline = robotics.rollout_dataset("FetchPush-v4", 2, seed=3)
    np.testing.assert_allclose(states[:n_demo], offline["states"], atol=1e-6)
    np.testing.assert_allclose(labels[:n_demo], offline["labels"], atol=1e-6)  # the noise-free labels
    env = robotics.make_env("FetchPush-v4")
    first = robotics.flatten_obs(env.reset(seed=3)[0])  # env 0 of the vector env, reset with the run's seed
    np.testing.assert_allclose(states[n_demo], first, atol=1e-6)
    oracle = robotics.make_demonstrator("FetchPush-v4")  # DAgger's labels: the demonstrator's noise-free actions
    np.testing.assert_allclose(labels[n_demo:], oracle.clean(states[n_demo:]), atol=1e-6)


def test_ppo_rounds_the_total_up_to_whole_rollouts_and_evaluates_at_the_end(run_script):
    # 200 steps are 1.6 rollouts of 128: like Stable-Baselines3's learn, the run does 2, and evaluates at the end (also
    # when the run is shorter than --eval-freq)
    proc = run_script(PPO, *TINY_PPO, "--env", "Push", "--il", "none", "--total-timesteps", "200", "--eval-freq", "1000")
    assert "8 policy updates" in proc.stdout
    assert [row["global_step"] for row in eval_rows(proc)] == ["256"]


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--il", "none"], 0.0),
        (["--lambda-schedule", "constant", "--cagrad-c", "0"], 0.95),
        (["--lambda-schedule", "fixed-step", "--lambda-delta", "0.1"], 0.95 - 2 * 0.1),  # after each rollout
        (["--lambda-schedule", "fixed-step", "--lambda-delta", "0.1", "--lambda-interval-unit", "updates"], 0.95 - 4 * 0.1),
    ],
)
def test_ppo_lambda_schedules(run_script, flags, expected):
    proc = run_script(PPO, *TINY_PPO, "--env", "Push", *flags)
    (row,) = eval_rows(proc)
    assert float(row["lambda"]) == pytest.approx(expected, abs=1e-4)


def test_ppo_policy_learning_rate_and_entropy_fall_with_lambda(run_script):
    # two rollouts; lambda falls by 0.1 after the first, so the second runs at the scaled values
    flags = (
        "--env Push --lambda-schedule fixed-step --lambda-delta 0.1 --learning-rate 1e-3 --ent-coef 0.5 --anneal-floor 0.2"
    ).split()
    scale = 0.2 + 0.8 * (0.95 - 0.1) / 0.95
    proc = run_script(PPO, *TINY_PPO, *flags)
    assert tb_scalars(proc, "charts/policy_learning_rate") == pytest.approx([1e-3, 1e-3 * scale])
    assert tb_scalars(proc, "charts/ent_coef") == pytest.approx([0.5, 0.5 * scale])
    proc = run_script(PPO, *TINY_PPO, *flags, "--no-anneal-with-lambda")
    assert tb_scalars(proc, "charts/policy_learning_rate") == pytest.approx([1e-3, 1e-3])
    assert tb_scalars(proc, "charts/ent_coef") == pytest.approx([0.5, 0.5])


# ------------------------------------------------------------------------------ section 4.2's L_IL, end to end
PURE_IL = ["--lambda-schedule", "constant", "--lambda-init", "1", "--cagrad-c", "0", "--learning-rate", "1e-3"]


def test_sac_imitation_on_a_sample_shrinks_the_policys_spread(run_script):
    # lambda = 1 and c = 0: the actor moves by g_IL alone. On the mean action g_IL has no log-std component, so the
    # log-std head keeps its initial weights; on a reparameterised sample it learns a smaller spread.
    models = {}
    for action in ("mean", "sample"):
        proc = run_script("cair_sac.py", *TINY, "--env", "Push", *PURE_IL, "--il-action", action)
        (path,) = proc.runs.glob("*/model.npz")
        models[action] = dict(np.load(path))
    states = torch.as_tensor(robotics.rollout_dataset("FetchPush-v4", 2, seed=1)["states"])

    def log_std(model):
        actor = cair_sac.Actor(28, 4, 64, cair_sac.Normalize(np.zeros(28), np.ones(28)))
        actor.load_state_dict({k[6:]: torch.as_tensor(v) for k, v in model.items() if k.startswith("actor/")})
        x = torch.tanh(actor.fc2(torch.tanh(actor.fc1(actor.normalize(states)))))
        return actor.fc_logstd(x).clamp(cair_sac.LOG_STD_MIN, cair_sac.LOG_STD_MAX)

    head = ["actor/fc_logstd.weight", "actor/fc_logstd.bias"]
    assert all(not np.array_equal(models["mean"][k], models["sample"][k]) for k in head)
    assert (log_std(models["sample"]) < log_std(models["mean"])).float().mean() > 0.9


def test_ppo_imitation_on_a_sample_shrinks_the_policys_spread(run_script):
    # As for SAC; PPO's log std starts at 0 and is a parameter of its own.
    for action, moved in (("mean", False), ("sample", True)):
        proc = run_script(PPO, *TINY_PPO, "--env", "Push", *PURE_IL, "--il", "bc", "--il-action", action)
        (path,) = proc.runs.glob("*/model.npz")
        log_std = np.load(path)["policy/log_std"]
        assert np.all(log_std < 0) if moved else np.all(log_std == 0)
