"""Benchmarks (``make bench``, ``python -m iclx.bench``): ``timing`` (the engine's compile time,
throughput, seed and chunk scaling, memory, FLOPs; the command line), ``cases`` (the models timed),
``torch_reference`` (the same GPT-2 step in PyTorch), ``processes`` (lanes per second across local
processes)."""
