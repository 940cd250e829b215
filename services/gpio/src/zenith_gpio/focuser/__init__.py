"""The focuser: a stepper motor on GPIO pins, its position, and autofocus."""
