"""The edges people touch: the `lorekeeper` CLI, settings and logging set-up, the console game,
and (later) the Discord bot. May import every other package."""
