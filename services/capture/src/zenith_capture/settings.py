"""Settings of the capture service (``ZENITH_CAPTURE_*``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from zenith.config import Settings

SIM_ZERO_POINT = -0.3
"""Instrumental zero point of the simulated camera (magnitude giving one
full-scale unit per second at gain 1); the default SQM calibration."""


class CaptureSettings(Settings):
    # the loop
    capture_hub_ingest: bool = Field(
        False, description="On a hub: index the frames cameras upload (the INGEST stream) "
        "instead of running a camera.")
    capture_index_workers: int = Field(
        2, ge=1, le=64, description="On a hub: uploaded frames indexed at once (decode, sky "
        "metrics, thumbnail), each in a worker thread; frames of one camera in order.")
    capture_index_idle: bool = Field(
        True, description="On a hub (Linux): index in worker processes under the idle "
        "scheduling policy (SCHED_IDLE), on a core only while nothing else wants one, so "
        "uploads being received never wait for the index; a frame they have not indexed "
        "within capture_index_idle_wait_s goes to the niced threads. false: the niced "
        "threads only (no worker processes).")
    capture_index_idle_wait_s: float = Field(
        10.0, gt=0, le=3600, description="On a hub: how long a frame may wait in the idle "
        "worker processes (while other work keeps every core busy) before the niced "
        "threads index it, and those after it while the processes are that late.")
    capture_index_nice: int = Field(
        10, ge=0, le=19, description="On a hub (Linux): how much lower the indexing worker "
        "threads run than the rest of the host (nice), so uploads being received and "
        "acknowledged come first; 0: the same.")
    capture_driver: str = Field(
        "simulator", description="Camera driver: simulator, folder, opencv, rpicam or indi "
        "(or one registered under the zenith_capture.drivers entry point group).")
    capture_autostart: bool = Field(
        True, description="Desired state on the very first start (later: the last start/stop).")
    capture_interval_s: float = Field(
        30.0, gt=0, le=86400, description="Seconds between frame starts at night.")
    capture_day_interval_s: float | None = Field(
        None, gt=0, le=86400, description="Seconds between frames by day; empty: the night one.")
    capture_snapshot_max_exposure_s: float = Field(
        60.0, gt=0, le=600, description="Longest exposure a snapshot may ask for (400 above).")
    capture_timeout_s: float = Field(
        30.0, gt=0, description="A capture taking this long beyond its exposure is stalled "
        "(the watchdog reopens the camera).")
    capture_max_failures: int = Field(
        3, ge=1, description="Failed captures in a row before the watchdog reopens the camera.")
    capture_backoff_max_s: float = Field(
        60.0, gt=0, description="Longest pause between attempts to reopen the camera.")
    capture_min_free_mb: float = Field(
        200.0, ge=0, description="Below this much free disk space saving pauses (state paused).")
    capture_night_sun_altitude: float = Field(
        -6.0, ge=-30, le=10, description="Sun altitude (degrees) below which it is night.")
    # exposure
    capture_auto_exposure: bool = Field(True, description="Adjust exposure and gain "
                                        "towards the target brightness.")
    capture_exposure_s: float = Field(
        1.0, gt=0, le=600, description="Exposure with auto exposure off (and the first one).")
    capture_gain: float = Field(1.0, ge=0, description="Gain (linear, 1 = unity) with auto "
                                "exposure off (and the first one).")
    capture_target_brightness: float = Field(
        0.3, gt=0, lt=1, description="Mean brightness (0..1, linear) auto exposure aims for.")
    capture_night_target_brightness: float | None = Field(
        0.12, gt=0, lt=1, description="Target at night (a dark sky, so star trails stack "
        "under the products' 0.1 threshold); empty: capture_target_brightness.")
    capture_day_min_exposure_s: float = Field(1e-5, gt=0, description="Shortest exposure by day.")
    capture_day_max_exposure_s: float = Field(1.0, gt=0, description="Longest exposure by day.")
    capture_night_min_exposure_s: float = Field(1e-3, gt=0,
                                                description="Shortest exposure at night.")
    capture_night_max_exposure_s: float = Field(30.0, gt=0,
                                                description="Longest exposure at night.")
    capture_min_gain: float = Field(1.0, gt=0, description="Lowest gain (day and night).")
    capture_day_max_gain: float = Field(1.0, gt=0, description="Highest gain by day.")
    capture_night_max_gain: float = Field(16.0, gt=0, description="Highest gain at night.")
    # output
    capture_jpeg_quality: int = Field(90, ge=10, le=100, description="JPEG quality of frames.")
    capture_thumb_width: int = Field(320, ge=16, le=2048, description="Thumbnail width, px.")
    capture_auto_stretch: bool = Field(
        False, description="Brighten dark frames (midtones stretch; highlights kept).")
    # the lens (sky metrics)
    capture_lens_fov_deg: float = Field(180.0, gt=10, le=220,
                                        description="Field of view across the sky circle.")
    capture_lens_north_deg: float = Field(
        0.0, description="Where north points, degrees clockwise from the top of the frame.")
    capture_lens_east_left: bool = Field(True, description="East is left of north (looking up).")
    capture_lens_cx: float | None = Field(None, description="Circle centre x; empty: middle.")
    capture_lens_cy: float | None = Field(None, description="Circle centre y; empty: middle.")
    capture_lens_radius: float | None = Field(
        None, gt=0, description="Circle radius, pixels; empty: half the shorter side.")
    capture_sqm_zero_point: float = Field(
        SIM_ZERO_POINT, description="SQM calibration: magnitude giving 1 full-scale unit/s "
        "at gain 1 (the default suits the simulator).")
    capture_black_level: float = Field(0.0, ge=0, lt=1,
                                       description="Sensor offset, 0..1 of full scale.")
    capture_cloud_mag_limit: float = Field(
        3.5, description="Catalogue stars brighter than this are expected in clear sky.")
    # frame size (simulator, opencv)
    capture_width: int = Field(1280, ge=64, le=10000,
                               description="Frame width (simulator, opencv, rpicam).")
    capture_height: int = Field(960, ge=64, le=10000,
                                description="Frame height (simulator, opencv, rpicam).")
    # simulator
    capture_sim_seed: int = Field(1, description="Same seed and time: the same frame.")
    capture_sim_speed: float = Field(
        1.0, gt=0, le=100000, description="Simulated seconds per real second (600: a night "
        "in about a minute).")
    capture_sim_start: datetime | None = Field(
        None, description="ISO time the simulated clock starts at; empty: now.")
    capture_sim_bit_depth: Literal[8, 16] = Field(8, description="Simulated sensor bits.")
    capture_sim_focus_position: int = Field(
        0, description="Focuser position at which the simulated lens is sharp "
        "(0: where a new focuser starts, so a fresh dev stack is in focus).")
    capture_sim_blur_per_step: float = Field(
        0.02, ge=0, description="Defocus blur radius (pixels) per focuser step off focus.")
    capture_sim_seeing_px: float = Field(1.0, gt=0, le=20,
                                         description="Star width (sigma, pixels) in focus.")
    capture_sim_clouds: float = Field(0.25, ge=0, le=1,
                                      description="Average cloud cover, 0 clear .. 1 overcast.")
    capture_sim_sky_mag: float = Field(21.0, ge=15, le=22.5,
                                       description="Moonless night sky at the zenith, mag/arcsec².")
    capture_sim_meteor_rate: float = Field(10.0, ge=0, description="Meteors per hour.")
    capture_sim_hot_pixels: int = Field(40, ge=0, le=100000,
                                        description="Hot pixels of the simulated sensor.")
    capture_sim_faint_stars: int = Field(
        4000, ge=0, le=50000, description="Synthetic field stars (mag 3.8 to 6.2, fixed "
        "random positions) added below the catalogue's limit.")
    # folder
    capture_folder_path: Path | None = Field(
        None, description="Folder an Allsky or indi-allsky install writes images into.")
    capture_folder_poll_s: float = Field(2.0, gt=0, description="Seconds between folder scans.")
    capture_folder_settle_s: float = Field(
        10.0, gt=0, description="An incomplete (truncated or empty) file unchanged this long "
        "is rejected; before that it may still be being written.")
    capture_folder_timezone: str = Field(
        "local", description="Time zone of timestamps in file names: local, UTC or an IANA name.")
    # opencv
    capture_opencv_device: str = Field("0", description="Device index or path (/dev/video0).")
    # rpicam
    capture_rpicam_binary: str = Field("rpicam-still", description="Still-capture program.")
    capture_rpicam_args: list[str] = Field(default_factory=list,
                                           description="Extra arguments for it.")
    # meteors
    capture_meteors: bool = Field(True, description="Look for meteors in every night frame.")
    capture_meteor_mask: Path | None = Field(
        None, description="PNG the frame's size marking static lights to ignore (white).")
    capture_meteor_min_length_px: float = Field(
        25.0, ge=5, description="Shortest streak kept as a meteor candidate, px.")
    # indi
    capture_indi_host: str = Field("localhost", description="INDI server host.")
    capture_indi_port: int = Field(7624, ge=1, le=65535, description="INDI server port.")
    capture_indi_device: str = Field(
        "", description="INDI camera device name (e.g. 'ZWO CCD ASI178MC'); empty: the "
        "server's only camera.")
    capture_indi_binning: int = Field(1, ge=1, le=8, description="Binning (both axes).")
    capture_indi_offset: float | None = Field(
        None, ge=0, description="Sensor offset in the camera's units; empty: leave as is.")
    capture_indi_cooling_target_c: float | None = Field(
        None, ge=-60, le=40, description="Cooler target, °C (cooled cameras); empty: off.")
    capture_indi_gain_db_step: float | None = Field(
        None, gt=0, description="Camera gain unit in dB (ZWO: 0.1): linear gain sent as "
        "20 log10(gain)/step; empty: sent as it is.")

    @field_validator("capture_driver")
    @classmethod
    def _driver_name(cls, value: str) -> str:
        value = value.strip().lower()
        if not value or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("driver must be a name such as simulator or folder")
        return value

    @model_validator(mode="after")
    def _limits(self) -> CaptureSettings:
        if self.capture_day_min_exposure_s > self.capture_day_max_exposure_s:
            raise ValueError("capture_day_min_exposure_s is above capture_day_max_exposure_s")
        if self.capture_night_min_exposure_s > self.capture_night_max_exposure_s:
            raise ValueError("capture_night_min_exposure_s is above "
                             "capture_night_max_exposure_s")
        if self.capture_min_gain > min(self.capture_day_max_gain, self.capture_night_max_gain):
            raise ValueError("capture_min_gain is above a maximum gain")
        return self

    @property
    def day_interval_s(self) -> float:
        return self.capture_day_interval_s or self.capture_interval_s
