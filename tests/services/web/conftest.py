"""The web service under test, with the real services it talks to.

One nats-server and one set of services (auth, gpio with mock pins,
capture with the simulator camera, web) run for the whole package on one
event loop; a test that needs other web settings starts its own instance
with ``webstack.start_web``. The web server listens on loopback and on a
non-loopback address of this machine (see ``netpeer``), so a test can be a
local or a remote client for real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.services.web.netpeer import remote_address
from tests.services.web.webstack import CAMERA, User, WebUnderTest, add_user, start_web
from tests.support.require import missing
from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.cli.nats_server import NatsServer, find_nats_server, free_port
from zenith.errors import ConfigError
from zenith.runner import service_context


@pytest.fixture(scope="package")
def remote_host() -> Iterator[str]:
    with remote_address() as address:
        yield address


@pytest.fixture(scope="package")
def blob_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The BlobStore the services share (one volume in production too)."""
    return tmp_path_factory.mktemp("blobs")


@pytest.fixture(scope="package")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        find_nats_server()
    except ConfigError as exc:
        missing("nats-server", str(exc))
    server = NatsServer(tmp_path_factory.mktemp("nats"), free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def bus(nats_url: str) -> AsyncIterator[BusClient]:
    nc = await connect(nats_url, name="zenith-web-tests")
    try:
        yield BusClient(nc, timeout=10.0)
    finally:
        await nc.close()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def auth_service(nats_url: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[Any]:
    """The auth service; yields its settings (the signing key file is in them)."""
    from zenith_auth.main import serve
    from zenith_auth.settings import AuthSettings

    settings = AuthSettings(nats_url=nats_url, data_dir=tmp_path_factory.mktemp("auth"),
                            auth_create_admin=False, auth_argon2_time_cost=1,
                            auth_argon2_memory_kib=1024, auth_login_max_failures_user=1000,
                            auth_login_max_failures_ip=10000)
    async with service_context("auth", settings, serve):
        yield settings


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def gpio_service(nats_url: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[list[Any]]:
    """gpio on gpiozero's MockFactory with MockPWMPin; an A4988 focuser on pins 5, 6, 13."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from zenith_gpio.main import make_serve
    from zenith_gpio.settings import GpioSettings

    factory = MockFactory(pin_class=MockPWMPin)
    settings = GpioSettings(nats_url=nats_url, camera=CAMERA, gpio_pin_factory="mock",
                            data_dir=tmp_path_factory.mktemp("gpio"),
                            gpio_focuser_driver="a4988", gpio_focuser_pins=[5, 6, 13],
                            gpio_focuser_min_position=0, gpio_focuser_max_position=5000,
                            gpio_focuser_speed=4000, gpio_autofocus_settle_s=0,
                            gpio_autofocus_range=300, gpio_autofocus_step=100)
    try:
        async with service_context("gpio", settings, make_serve(factory)) as ctx:
            yield [ctx.served]
    finally:
        factory.close()


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def capture_service(nats_url: str, tmp_path_factory: pytest.TempPathFactory,
                          blob_dir: Path) -> AsyncIterator[Any]:
    """capture with the simulator camera, small frames, slow loop (2 cores are shared);
    yields its settings (its store is in them).

    Night exposures are capped at 2 s so that a page waiting for the first frame
    does not depend on the time of day the suite runs at."""
    from zenith_capture.service import serve
    from zenith_capture.settings import CaptureSettings

    settings = CaptureSettings(nats_url=nats_url, camera=CAMERA,
                               data_dir=tmp_path_factory.mktemp("capture"), blob_dir=blob_dir,
                               capture_width=320, capture_height=240, capture_interval_s=20,
                               capture_sim_faint_stars=300, capture_sim_focus_position=1000,
                               capture_night_max_exposure_s=2.0)
    async with service_context("capture", settings, serve):
        yield settings


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def products_service(nats_url: str, tmp_path_factory: pytest.TempPathFactory,
                           blob_dir: Path) -> AsyncIterator[Any]:
    """The products service; yields its settings (its index is in them)."""
    from zenith_products.service import serve
    from zenith_products.settings import ProductsSettings

    settings = ProductsSettings(nats_url=nats_url, camera=CAMERA,
                                data_dir=tmp_path_factory.mktemp("products"),
                                blob_dir=blob_dir)
    async with service_context("products", settings, serve):
        yield settings


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def web(nats_url: str, remote_host: str, auth_service: None, blob_dir: Path
              ) -> AsyncIterator[WebUnderTest]:
    # the services these tests run (sensors and network are tested on their own)
    health = ["auth", "gpio", "capture", "products", "web"]
    async with start_web(nats_url, remote_host, web_health_services=health,
                         blob_dir=blob_dir) as under_test:
        yield under_test


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def admin(bus: BusClient, auth_service: None) -> User:
    return await add_user(bus, role="admin", prefix="admin")


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def viewer(bus: BusClient, auth_service: None) -> User:
    """Reads allsky, camera, products, sensors, focuser; no gpio."""
    return await add_user(bus, role="viewer", prefix="viewer")


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium for a module's page tests (Debian's, through Playwright)."""
    from playwright.async_api import async_playwright

    from tests.support.browser import CHROMIUM_ARGS, require_chromium

    chromium = require_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
