import sys

from mlhandler.cli import main

sys.exit(main())
