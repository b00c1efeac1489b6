from s3vectors_emulator.cli import main

raise SystemExit(main())
