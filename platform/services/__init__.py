"""Services: the rules of each domain, called by the API and the command line."""
