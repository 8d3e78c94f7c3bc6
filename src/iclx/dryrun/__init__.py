"""Dry runs of the paper presets: every registered experiment end to end with training cut to a few
steps (``run``: ``python -m iclx.dryrun``, ``make dry-run-paper``), and the predicted GPU cost of the
full presets from XLA's view of their compiled training steps (``cost``:
``python -m iclx.dryrun.cost benchmarks/dry-run-paper.json``)."""
