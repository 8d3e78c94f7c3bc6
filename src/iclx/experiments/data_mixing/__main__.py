from iclx.experiments.data_mixing import EXPERIMENT

raise SystemExit(EXPERIMENT.main())
