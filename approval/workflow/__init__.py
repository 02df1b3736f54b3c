"""The workflow: its words, the transition table, the guards and the one engine that changes a post's state."""
