"""Settings of the auth service and of ``zenith user``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from zenith.config import Settings

DAY = 86400


class AuthSettings(Settings):
    auth_access_ttl_s: int = Field(1800, ge=60, le=DAY,
                                   description="Lifetime of an access token, seconds.")
    auth_refresh_ttl_s: int = Field(30 * DAY, ge=300, le=365 * DAY,
                                    description="Lifetime of a refresh token, seconds; each "
                                    "refresh starts a new one.")
    auth_login_window_s: int = Field(300, ge=10, le=DAY,
                                     description="Window over which failed logins are counted.")
    auth_login_max_failures_user: int = Field(5, ge=1, le=1000,
                                              description="Failed logins per username "
                                              "within the window before 429.")
    auth_login_max_failures_ip: int = Field(20, ge=1, le=10000,
                                            description="Failed logins per client address "
                                            "(IPv6: per /64) within the window before 429.")
    auth_create_admin: bool = Field(True, description="On first start with no user, create "
                                    "'admin' with a random password and print it once.")
    auth_signing_key_file: Path | None = Field(
        None, description="The token signing key (PEM, Ed25519), readable by auth only; "
        "made on first start. Empty: data_dir/auth/signing-key.pem. On a hub: a Secret "
        "mounted into every replica.")
    auth_camera_key_secret_file: Path | None = Field(
        None, description="Server secret of the camera keys' keyed hashes (hex), readable "
        "by auth only; made on first start. Empty: data_dir/auth/camera-key-secret.")
    auth_camera_key_grace_s: int = Field(
        86400, ge=0, le=90 * DAY, description="How long a rotated camera key keeps working, s.")
    auth_camera_key_per_min: int = Field(
        120, ge=1, description="Checks per camera key per minute before 429.")
    auth_camera_ip_per_min: int = Field(
        600, ge=1, description="Camera key checks per client address per minute before 429.")
    auth_camera_ip_failures_per_min: int = Field(
        20, ge=1, description="Invalid camera keys per client address per minute before 429.")
    auth_argon2_time_cost: int = Field(3, ge=1, le=20, description="argon2id passes.")
    auth_argon2_memory_kib: int = Field(65536, ge=1024, le=4 * 1024 * 1024,
                                        description="argon2id memory per hash, KiB.")

    @property
    def resolved_camera_key_secret_file(self) -> Path:
        return self.auth_camera_key_secret_file or self.data_dir / "auth" / "camera-key-secret"

    @property
    def resolved_signing_key_file(self) -> Path:
        return self.auth_signing_key_file or self.data_dir / "auth" / "signing-key.pem"
