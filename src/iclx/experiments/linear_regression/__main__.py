from iclx.experiments.linear_regression import EXPERIMENT

raise SystemExit(EXPERIMENT.main())
