from iclx.experiments.gd_vs_newton_width import EXPERIMENT

raise SystemExit(EXPERIMENT.main())
