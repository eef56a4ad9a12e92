"""``loci mcp``: the Model Context Protocol server that lets AI agents use a person's memory."""
