"""The ``loci`` subcommands, one module per job; ``core.cli`` parses the arguments and hands
each command to its ``cmd_*`` function here. The top layer of ``core``: nothing below imports it.
"""
