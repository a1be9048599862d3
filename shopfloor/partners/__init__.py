"""Partners: customers and their sites (rigs, wells), suppliers."""
