"""Steps 2 and 3 of the method as tools: a presentation sheet per local government (sheet.py),
its presentation document (present.py), and explained partner matching (score.py, explain.py);
the register of sheets (store.py), tables of sheets (table.py), the commands (commands.py)."""
