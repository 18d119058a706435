"""python -m scripts.evaluate --config entities --predictions FILE: needs nothing beyond what `datasets` installs."""
import sys

from scripts.evaluate.cli import main

sys.exit(main())
