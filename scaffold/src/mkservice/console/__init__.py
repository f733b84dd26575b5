"""The saga console: a web page over the services' operations APIs and their dead letters."""
