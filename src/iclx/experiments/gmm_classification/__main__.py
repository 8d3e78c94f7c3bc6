from iclx.experiments.gmm_classification import EXPERIMENT

raise SystemExit(EXPERIMENT.main())
