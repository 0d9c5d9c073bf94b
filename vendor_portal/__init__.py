"""The vendor portal: vendors' and staff's JSON API and web pages, on the activation server's
database and rules."""
