"""The resident engine: one open ``Engine`` served to local clients over a Unix socket.

The app, ``loci watch`` and ``loci serve`` host an :class:`~core.serve.server.EngineServer`
over the engine they already have open; ``loci search``, ``recall``, ``status``, ``errors``
and ``loci mcp`` are clients (:mod:`core.serve.client`) that fall back to opening the index
in-process when no server answers (:mod:`core.serve.backend`). The wire format is
JSON-RPC 2.0, one message per line (:mod:`core.serve.protocol`); it knows nothing of Qt
or of MCP.
"""
