"""The engine: trains ``Problem``s over lanes and keeps run folders. It knows no task, model or
experiment.

    problem.py      Problem (pure init / loss / optimiser), TrainState, make_train (a whole run as one
                    pure function), make_chunk (steps in a lax.scan)
    optim.py        the shared ``train`` config group and the optax optimiser it describes
    loop.py         run_training: jit(vmap(chunk)) chunk by chunk, metrics, checkpoints, resume,
                    progress, NaN stop; returns Trained (state, logged metrics, timings)
    lanes.py        Lanes (seeds × sweep points) and their labels; select_lanes
    placement.py    LaneLayout: lanes sharded over every device (one lane: its batch split)
    cluster.py      joining a multi-process cluster; is_main_process, sync_processes
    rng.py          named random streams (fold_in of a seed key, a stream name and the step)
    results.py      run folders: config.json, metrics.jsonl, results.json, arrays.npz (atomic)
    checkpoints.py  orbax checkpoints of the stacked train state
    xla_cost.py     XLA's memory and FLOP view of a compiled chunk (the dry run's cost model)

The names below are the engine's public face; each lives in the module named beside it.
"""

from iclx.engine.lanes import Lanes, lane_slice, point_lanes, seed_lanes, select_lanes, sweep_lanes
from iclx.engine.loop import RunStats, Trained, TrainingDiverged, run_training
from iclx.engine.optim import optimizer_from_config, train_config, validate_train_config
from iclx.engine.placement import constrain_batch
from iclx.engine.problem import (Hparams, Problem, TrainState, initial_params, make_chunk, make_init,
                                 make_train)

__all__ = ["Hparams", "Lanes", "Problem", "RunStats", "TrainState", "Trained", "TrainingDiverged",
           "constrain_batch", "initial_params", "lane_slice", "make_chunk", "make_init", "make_train", "optimizer_from_config",
           "point_lanes", "run_training", "seed_lanes", "select_lanes", "sweep_lanes", "train_config",
           "validate_train_config"]
