"""The AI Dungeon Master: prompt building, context assembly and budgeting, the JSON reply schema,
the rule-lookup loop, and turning a validated reply into effects and text. No Discord, no SQL:
it sees `game/` and the Protocols in `persistence/interfaces.py` and `inference/interfaces.py`."""
