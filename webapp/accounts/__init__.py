"""User accounts: the table, password hashing and the create-user command."""
