from iclx.experiments.deep_optimizers import EXPERIMENT

raise SystemExit(EXPERIMENT.main())
