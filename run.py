"""Entry point: ``python run.py [command]`` (``run`` when no command is given)."""

from feeds.cli import main

if __name__ == "__main__":
    main()
