import sys

from logistics_ai.cli import main

sys.exit(main())
