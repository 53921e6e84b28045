"""The deployments behind ``shenbao serve``: batches on demand, the nightly reconcile.

``process-batch`` runs a batch when someone triggers it (the UI, ``prefect deployment
run``, the API); ``reconcile-latest`` re-checks every stored batch against the newest
online export on a cron, nightly at 02:00 Asia/Shanghai unless configured otherwise. Both
are served by one process (``serve_all``) against the Prefect server ``PREFECT_API_URL``
names, or a temporary one. ``prefect.yaml`` at the repository root declares the same two
for work pools (``prefect deploy --all``).

Entry points are module paths (``flows.batch.process_batch``), so a served run
finds its flow from any working directory where shenbao is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import prefect
from prefect.client.schemas.schedules import CronSchedule
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule
from prefect.types.entrypoint import EntrypointType
from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.batch import process_batch
from flows.reconcile import reconcile_latest
from pipeline.errors import ConfigError
from pipeline.settings import Settings

BATCH_DEPLOYMENT = "process-batch"
RECONCILE_DEPLOYMENT = "reconcile-latest"
TAGS = ["shenbao"]


class DeploySettings(BaseSettings):
    """When the nightly reconcile runs and where it looks (env prefix ``SHENBAO_``)."""

    model_config = SettingsConfigDict(env_prefix="SHENBAO_", frozen=True, extra="ignore")

    reconcile_cron: str = Field(
        "0 2 * * *",
        description="cron of the reconcile-latest deployment (SHENBAO_RECONCILE_CRON)",
    )
    reconcile_timezone: str = Field(
        "Asia/Shanghai",
        description="IANA time zone the cron is read in (SHENBAO_RECONCILE_TIMEZONE)",
    )
    exports_dir: Path = Field(
        Path("var/exports"),
        description="folder the online platform's exports are dropped into; the newest is "
        "reconciled (SHENBAO_EXPORTS_DIR)",
    )

    @model_validator(mode="after")
    def _schedule_is_valid(self) -> DeploySettings:
        # Prefect's own schedule model: what it accepts here, its server accepts.
        CronSchedule(cron=self.reconcile_cron, timezone=self.reconcile_timezone)
        return self


def load_deploy_settings(
    *, cron: str | None = None, timezone: str | None = None, exports: Path | None = None
) -> DeploySettings:
    """The deploy settings from the environment, with what was given on the command line
    taking precedence.

    Raises:
        ConfigError: the cron or the time zone is invalid (one line).
    """
    given: dict[str, Any] = {
        name: value
        for name, value in (
            ("reconcile_cron", cron),
            ("reconcile_timezone", timezone),
            ("exports_dir", exports),
        )
        if value is not None
    }
    try:
        return DeploySettings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()
        )
        raise ConfigError(f"invalid reconcile schedule or exports folder: {problems}") from None


def reconcile_schedule(settings: DeploySettings) -> Schedule:
    """The reconcile-latest deployment's schedule."""
    return Cron(settings.reconcile_cron, timezone=settings.reconcile_timezone)


def deployments(
    settings: DeploySettings | None = None, store: str | None = None
) -> list[RunnerDeployment]:
    """The two deployments, ``process-batch`` and ``reconcile-latest``, not yet applied.

    Args:
        settings: the schedule and exports folder; by default from the environment.
        store: the store URI both deployments' runs use by default; by default
            ``SHENBAO_STORE`` or ``var/store``. A trigger may give another.
    """
    settings = settings if settings is not None else load_deploy_settings()
    store_uri = store or Settings().store
    batch = process_batch.to_deployment(
        name=BATCH_DEPLOYMENT,
        description="Run one batch on demand: every file under `paths` into the store, "
        "matched to the online export `online` when given.",
        parameters={"store": store_uri},
        tags=TAGS,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    reconcile = reconcile_latest.to_deployment(
        name=RECONCILE_DEPLOYMENT,
        description="Re-check every stored batch against the newest online export in "
        f"`exports`, on the cron {settings.reconcile_cron} ({settings.reconcile_timezone}).",
        schedule=reconcile_schedule(settings),
        parameters={"exports": str(settings.exports_dir), "store": store_uri},
        # two nightly runs never reconcile the same batches at once
        concurrency_limit=1,
        tags=TAGS,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    # to_deployment is sync here (no running loop): Prefect types it as either
    return [cast(RunnerDeployment, batch), cast(RunnerDeployment, reconcile)]


def serve_all(settings: DeploySettings | None = None, store: str | None = None) -> None:
    """Register both deployments with the Prefect server and run what they schedule,
    until interrupted (Ctrl-C); their schedules are paused on the way out."""
    prefect.serve(*deployments(settings, store))
