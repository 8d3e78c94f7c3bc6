from iclx.experiments.lipschitz_threshold import EXPERIMENT

raise SystemExit(EXPERIMENT.main())
