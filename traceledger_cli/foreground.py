"""Running a fixed set of services in the foreground until Ctrl-C or SIGTERM: what
`traceledger up` and `traceledger network up` share.

Promises:
- `run_until_stopped` installs the stop handlers first, then prepares the services
  (initialisation may raise `StartupError`), starts them in order (`Supervisor.start_all`),
  announces them, prints `ready`, and heals them until a stop is requested or one keeps
  failing. Whatever happens, every service started is stopped, newest first, and a second
  Ctrl-C cannot cut that short. It returns the exit code: 0 after a requested stop, 1 when
  the services did not come up or one kept failing (said on the console and in the log).
- `make_private_data_dir` creates a data directory 0700 and tightens one an older version
  left readable to others, saying so; `log_to_file` puts the supervisor's own log (starts,
  crashes, restarts) beside the services' logs.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from traceledger_cli.private_files import make_private_dir, tighten_tree
from traceledger_cli.service_process import Service
from traceledger_cli.supervisor import ServiceFailed, StartupError, Supervisor

logger = logging.getLogger(__name__)

SUPERVISOR_LOG = "supervisor.log"
"""The supervisor's own log file, beside the services' logs."""


class StopRequested(Exception):
    """Ctrl-C or SIGTERM: stop every service and exit cleanly."""


def _request_stop(signum: int, _frame: object) -> None:
    raise StopRequested(signal.Signals(signum).name)


def run_until_stopped(prepare: Callable[[], list[Service]],
                      announce: Callable[[list[Service]], None], *, console: Console,
                      start_timeout_s: float) -> int:
    """Prepare, start, announce and supervise the services until stopped (see the module
    docstring); return the process's exit code."""
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    supervisor: Supervisor | None = None
    exit_code = 0
    try:
        services = prepare()
        supervisor = Supervisor(services, console=console)
        supervisor.start_all(start_timeout_s)
        announce(services)
        console.print("ready", highlight=False)
        logger.info("ready")
        supervisor.run()
    except StopRequested:
        pass
    except StartupError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        logger.error("%s", exc)
        exit_code = 1
    except ServiceFailed as exc:  # the supervisor has logged it
        console.print(f"[red]error:[/] {exc}", highlight=False)
        exit_code = 1
    finally:
        # Let the shutdown finish even if the user presses Ctrl-C again.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if supervisor is not None:
            with console.status("stopping"):
                supervisor.stop_all()
        console.print("stopped")
        logger.info("stopped (exit code %d)", exit_code)
    return exit_code


def make_private_data_dir(data_dir: Path, console: Console) -> None:
    """Create data_dir 0700; tighten a data dir an older version left readable to others."""
    loosened = tighten_tree(data_dir) if data_dir.exists() else []
    make_private_dir(data_dir)
    if loosened:
        console.print(
            f"[yellow]note:[/] {len(loosened)} files and directories in {data_dir} were "
            "readable by other users (e.g. made by an older version); now owner-only "
            "(directories 0700, files 0600)", highlight=False,
        )


def log_to_file(log_path: Path) -> None:
    """The supervisor's own log (starts, crashes, restarts), beside the services' logs."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("traceledger_cli")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
