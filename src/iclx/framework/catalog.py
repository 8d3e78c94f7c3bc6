"""What an experiment declares about itself for the registry (``iclx.experiments``): its paper, its
make targets and its dry-run cuts. The registry discovers the packages and lists what they declare;
nothing about an experiment is written anywhere else."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

# a config change: (dotted config path, value as the command line writes it)
Override = tuple[str, str]


@dataclasses.dataclass(frozen=True)
class Paper:
    """A reproduced paper. Experiments of one paper each declare it (equal fields; the registry checks);
    ``order``: its place in the report's and the README's listings (lower first)."""

    key: str
    title: str
    authors: str
    year: int
    arxiv: str
    order: int = 1000


@dataclasses.dataclass(frozen=True)
class Target:
    """``make reproduce-fig-<name>``: ``experiment`` at ``preset`` (+ ``variant``) into ``figures``."""

    name: str
    experiment: str
    figures: str
    description: str
    variant: str = ""
    preset: str = "cpu"
    minutes: str = ""          # measured wall time on 2 CPU cores of its preset (a slice: of the slice);
                               # "(loaded)": the cores were shared with other jobs
    scale_of: str = ""         # another target this one runs at a further scale: the report shows
                               # its run as a column of that target's claims, not as a row of its own
    overrides: tuple[str, ...] = ()   # config overrides of a slice of the preset (--config.a.b=v)
    order: int | None = None   # its place in `make help` when not beside its experiment's (the slices)


@dataclasses.dataclass(frozen=True)
class DryRunCuts:
    """What ``python -m iclx.dryrun`` changes in this experiment's presets, and why. ``shrink``:
    evaluation / simulation sizes that do not fit a 24 GiB machine (never training shapes), with
    ``lane_factor`` (stage -> the factor by which it cut that stage's lanes; the prediction multiplies
    them back); ``fast``: evaluation counts cut for CPU time under ``--fast``; ``non_finite``: the
    results.json paths / array names (fnmatch patterns) that are NaN by definition in a few-step run."""

    shrink: tuple[Override, ...] = ()
    shrink_reason: str = ""
    lane_factor: Mapping[str, float] = dataclasses.field(default_factory=dict)
    fast: tuple[Override, ...] = ()
    fast_reason: str = ""
    non_finite: tuple[tuple[str, str], ...] = ()    # (pattern, why)
