"""iclx: reproducible in-context-learning experiments in JAX."""

from iclx import host as _host

_host.configure()   # one XLA CPU device per core, before JAX starts its backend (iclx.host)

__version__ = "0.1.0"
