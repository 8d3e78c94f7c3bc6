from iclx.bench.timing import main

raise SystemExit(main())
