"""What is attached to the node's buses: 1-wire devices and I2C addresses."""
