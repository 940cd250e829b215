"""Settings of the hub's ingest routes (``ZENITH_WEB_INGEST_*``), mixed into WebSettings."""

from __future__ import annotations

from pydantic import Field

from zenith.config import Settings

MB = 1024 * 1024


class IngestSettings(Settings):
    web_public_url: str = Field(
        "", description="The hub's public base URL (https://hub.example.org); given to "
        "AllSkyKamera cameras as influx_url. Empty: from each request's Host.")
    web_ingest_max_image: int = Field(
        8 * MB, ge=1024, description="Largest image part of an upload, bytes.")
    web_ingest_max_video: int = Field(
        300 * MB, ge=1024, description="Largest video part of a nightly upload, bytes.")
    web_ingest_max_json: int = Field(
        256 * 1024, ge=256, description="Largest JSON part (meteor candidates), bytes.")
    web_ingest_max_pixels: int = Field(
        50_000_000, ge=10_000, description="Largest image (width × height) decoded: "
        "refuses decompression bombs.")
    web_ingest_max_line_body: int = Field(
        512 * 1024, ge=1024, description="Largest line-protocol body of /api/v2/write, bytes.")
    web_ingest_max_points: int = Field(
        5000, ge=1, description="Most points in one /api/v2/write body.")
    web_ingest_max_fields: int = Field(
        64, ge=1, description="Most fields of one point.")
    web_ingest_max_field_bytes: int = Field(
        1024, ge=16, description="Longest field value (string fields) of a point, bytes.")
    web_ingest_spare_files: int = Field(
        12, ge=0, le=1000, description="Empty staging files kept ready for upload parts "
        "(one per part), made and held open ahead: making a file can take a millisecond "
        "while the disk is busy, taking a spare touches no file system. 0: each is made "
        "when its part arrives.")
    web_ingest_memory: int = Field(
        32 * MB, ge=0, description="Bytes of image parts held in memory at once, all "
        "uploads together: each is decoded from memory while its file is written. A "
        "part that finds this spent streams to disk and is read back. 0: never.")
    web_staging_sweep_interval_s: float = Field(
        6 * 3600.0, ge=0, description="How often staged files no consumer will take "
        "(older than INGEST's age limit) are swept; 0: never.")
