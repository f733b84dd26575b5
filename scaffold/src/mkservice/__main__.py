"""``python -m mkservice``: the same command line as the ``mkservice`` script."""

from mkservice.cli import main

if __name__ == "__main__":
    main()
