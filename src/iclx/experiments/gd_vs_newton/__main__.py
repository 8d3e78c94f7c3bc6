from iclx.experiments.gd_vs_newton import EXPERIMENT

raise SystemExit(EXPERIMENT.main())
