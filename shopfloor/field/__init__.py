"""Field assets: drill bits and other serial-numbered products in the field: runs, dull grades, repairs."""
