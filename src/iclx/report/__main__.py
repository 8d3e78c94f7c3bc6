from iclx.report.build import main

raise SystemExit(main())
