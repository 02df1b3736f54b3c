"""Flask-WTF forms, one module per area. Forms check shape; rules that depend on a post's state live in guards."""
