"""`python -m whynow` is the `whynow` command."""

from whynow.cli import main

if __name__ == "__main__":
    main()
