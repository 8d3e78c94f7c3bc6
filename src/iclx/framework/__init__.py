"""The experiment framework: what turns a package of science into a reproducible experiment.

    experiment.py     the contract (Experiment, RunContext): run, summarise, plot, claims, execute
    catalog.py        what an experiment declares for the registry: Paper, Target, DryRunCuts
    cli.py            python -m iclx.experiments.<name>: flags, run folder, resume, plot-only
    preflight.py      the checks before any work: folders writable, the predicted cost fits
    cost.py           the run cost estimate (memory, disk, FLOPs) an experiment counts from its config
    claims.py         a paper's claims as checks on saved results (claim_helpers.py: their helpers)
    stats.py          intervals over replicates (the claims' and the figures' bands)
    plotting.py       the one figure style
    settings.py       the environment variables, checked like config fields

It imports the engine and the root utilities (config, host), never an experiment or the tooling.
"""
