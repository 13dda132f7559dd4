from govstats.cli import main

raise SystemExit(main())
