"""Shop floor: the /floor/ terminal for tablets and barcode scanners; travellers and labels."""
