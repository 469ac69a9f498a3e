"""Register, log in and log out: the same views whatever the store."""
