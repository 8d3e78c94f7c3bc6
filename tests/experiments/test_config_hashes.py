"""A committed run stays current across a renamed or removed config field (``registry.RENAMED_FIELDS``,
``registry.REMOVED_FIELDS``), and only across them: the hashes ``registry.config_hashes`` accepts."""

from iclx import experiments as registry
from iclx.config import config_hash


def test_a_renamed_field_keeps_a_run_from_before_the_rename_current():
    """data_mixing's ``parts`` became the framework's ``stages`` (``RENAMED_FIELDS``): a run hashed with
    the old name (``stages`` empty, or from before it) is a run of today's config; one of other stages
    is not, and an experiment without renames gains no hash."""
    cfg = registry.load("data_mixing").config("cpu")
    before = cfg.copy_and_resolve_references()
    before.parts, before.stages = cfg.stages, ()
    before.real.cache_dir = "runs/data_mixing_cache"             # and from before the removal below
    assert config_hash(before) in registry.config_hashes(cfg)
    for field in registry.ADDED_EMPTY_FIELDS:
        del before[field]
    assert config_hash(before) in registry.config_hashes(cfg)
    other = cfg.copy_and_resolve_references()
    other.stages = ("real",)
    assert registry.config_hashes(other).isdisjoint(registry.config_hashes(cfg))
    assert len(registry.config_hashes(registry.load("linear_regression").config("cpu"))) == 2


def test_a_removed_field_at_its_old_value_keeps_a_run_current_and_only_at_it():
    """data_mixing's ``real.cache_dir`` (the embeddings' folder, now ``$ICLX_CACHE_DIR``) was removed
    (``REMOVED_FIELDS``): a run hashed with it at its one value is current, before or after the rename
    of ``parts``; with another value it is not."""
    cfg = registry.load("data_mixing").config("cpu", variant="multilingual")
    assert "cache_dir" not in cfg.real
    before = cfg.copy_and_resolve_references()
    before.real.cache_dir = "runs/data_mixing_cache"
    assert config_hash(before) in registry.config_hashes(cfg)
    before.real.cache_dir = "elsewhere"
    assert config_hash(before) not in registry.config_hashes(cfg)
