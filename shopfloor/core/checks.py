"""System checks that keep the house in shape."""
