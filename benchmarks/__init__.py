"""Tooling around the scripts: sweeps (sweep.py), plots (plot.py), offline BC (bc_only.py), Hammer tuning
(tune_hammer.py) and speed and reproducibility checks (*.sh). A package so that tests and snippets can
`from benchmarks.plot import read_runs`; run the Python tools from the repository root, as
`python benchmarks/plot.py ...` or `python -m benchmarks.plot ...` (those that import `demonstrators`,
bc_only and tune_hammer, as `python -m benchmarks.<name>`)."""
