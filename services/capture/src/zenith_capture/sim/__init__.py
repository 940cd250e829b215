"""The simulated all-sky camera: a clock, a sky model and a renderer.

:class:`~zenith_capture.sim.render.SkyRenderer` draws a physically
plausible frame for a site and a time; the ``simulator`` driver in
:mod:`zenith_capture.backends.simulator` wraps it as a camera.
"""
