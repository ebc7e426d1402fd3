"""The boilerplate the top-level scripts share is written identically in every copy, so that a diff of two
scripts shows only their algorithms (the formatter and linter run in CI: README's test command)."""

import ast

import pytest

from conftest import ROOT

GILD = ["gild_td3.py", "gild_sac.py", "gild_ddpg.py"]
CAIR = ["cair_sac.py", "cair_ddpg.py", "cair_ppo_dagger.py"]
OFF_POLICY = GILD + CAIR[:2]
SHARED = [  # (top-level name, the scripts that must hold the same copy of it)
    ("Logger", GILD + CAIR),
    ("soft_update", OFF_POLICY),
    *[(name, CAIR) for name in ["EVAL_COLUMNS", "evaluate", "make_env", "load_offline_set", "Normalize", "cagrad", "cos"]],
    *[(name, CAIR) for name in ["imitation_loss", "combine_gradients", "effective_lambda", "rl_share", "cair_gradient"]],
    ("ALIASES", CAIR),
    ("QNetwork", CAIR[:2]),
    *[
        (name, GILD)
        for name in [
            *("EVAL_COLUMNS", "evaluate", "make_env", "load_demonstrations", "GatedDenseReward", "dense_id"),
            *("gild_diagnostics", "check_env_id"),
        ]
    ],
]


def definition(script, name):
    source = (ROOT / script).read_text()
    for node in ast.parse(source).body:
        names = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)] + [getattr(node, "name", None)]
        if name in names:
            return ast.get_source_segment(source, node)
    raise AssertionError(f"{script} has no top-level {name}")


@pytest.mark.parametrize("name, scripts", SHARED, ids=[f"{n}-{len(s)}" for n, s in SHARED])
def test_shared_boilerplate_is_identical(name, scripts):
    first, *others = scripts
    for script in others:
        assert definition(script, name) == definition(first, name), f"{name} differs between {first} and {script}"


@pytest.mark.parametrize("script", GILD + CAIR)
def test_the_algorithm_is_marked_where_it_starts_and_ends(script):
    text = (ROOT / script).read_text()
    method = script.split("_")[0].upper()
    start, end = f"# {method}: the algorithm starts here", f"# {method}: the algorithm's functions end here"
    assert text.count(start) == 1 and text.count(end) == 1 and text.index(start) < text.index(end)
    assert "# the training loop: Algorithm 1" in text


@pytest.mark.parametrize("script", GILD + CAIR)
def test_no_run_mechanics_in_a_script(script):
    """Checkpoint mechanics live in run_utils: a script says what its checkpoint holds, not how it is written."""
    text = (ROOT / script).read_text()
    for mechanics in ("os.replace(", "os.fsync(", "signal.signal(", "get_rng_state", "random.getstate", "SummaryWriter("):
        assert mechanics not in text, f"{script} does {mechanics}: that belongs in run_utils"
