"""What each command of :mod:`coursebook.app.cli` does once its command line is parsed.

One module per command (``build``, ``check``, ``new``, ``preview``, ``import``) and the steps
they share (exit statuses, build options, the terminal's verbosity). The parser stays in
``cli.py``, which imports these modules; so that ``coursebook --help`` and ``--version`` stay
fast, each command imports the stages doing its work (the build, the check, the preview
server) only when it runs.
"""
