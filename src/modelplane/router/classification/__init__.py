"""Classification of a message: task category, complexity, needs (embedded or LLM)."""
