"""The report of the whole suite, built from the results committed under ``experiments/``.

``python -m iclx.report`` (``make report``) reads, for every registered make target, the run in its
figures folder (``<figures>/results.json``, the target's own preset) and runs at other presets in
``<figures>/<preset>/results.json`` when present. It re-evaluates nothing: the claims rows are shown
as the run stored them. It writes

- ``experiments/index.html``: one self-contained page (inline CSS, figures by relative path);
- ``experiments/README.md``: the same scoreboard as markdown;
- the generated blocks of every ``experiments/**/README.md`` and of the top-level ``README.md``
  (text between ``<!-- generated:<key> -->`` and ``<!-- /generated -->``; nothing else changes).

Block keys: ``claims``, ``summary``, ``table:<name>`` (the run of the README's own folder, or of
another target with ``@<target>``, e.g. ``claims@gd-vs-newton-noisy``) and, in the top-level README,
``reproduces``. The output is deterministic (no dates), so a clean clone rebuilds identical files.
"""
