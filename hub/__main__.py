"""``make hub``: the course on a JupyterHub at http://127.0.0.1:PORT/, until Ctrl-C.

Run as root: it creates (or resets) the instructor's and the sample students' Unix accounts with new
passwords, lays out the hub (``hub/deploy.py``), releases week3 to the exchange and starts JupyterHub.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from hub import accounts, deploy, server
from hub.errors import HubError

DEFAULT_DIR = Path("/srv/nn-foundations-hub")
INSTRUCTOR = "instructor"
STUDENTS = ["student1", "student2", "student3"]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make hub", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"the hub's folder (default {DEFAULT_DIR})")
    parser.add_argument("--port", type=int, default=8000, help="the port on 127.0.0.1 (default 8000)")
    parser.add_argument("--instructor", default=INSTRUCTOR, help="the instructor's account")
    parser.add_argument("--students", nargs="+", default=STUDENTS, help="the students' accounts")
    parser.add_argument("--keep-homes", action="store_true", help="keep what the accounts' homes hold")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        accounts.require_root("make hub")
        people = accounts.sample_accounts(args.instructor, args.students)
        for person in people:
            accounts.ensure(person, fresh_home=not args.keep_homes)
        print(f"hub: laying out {args.dir} and releasing {deploy.ASSIGNMENT} (a minute)...", flush=True)
        deployment = deploy.deploy(args.dir, people)
        try:
            hub = server.start(deployment, args.port)
        except BaseException:
            deployment.close()
            raise
    except HubError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 1
    print(f"\nThe course hub is at {hub.url} (log: {hub.log_path})\n")
    for person in people:
        role = "instructor" if person.instructor else "student"
        print(f"  {role:10}  {person.name:12}  password {person.password}")
    print(f"\nThe instructor's course: {deployment.course}; the formgrader: {hub.url}user/{args.instructor}/formgrader")
    print("Ctrl-C stops the hub, the proxy and every server.", flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        hub.process.wait()
        print(f"hub: JupyterHub exited with status {hub.process.returncode}; see {hub.log_path}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nhub: stopping...", flush=True)
        return 0
    finally:
        hub.stop()
        deployment.close()


if __name__ == "__main__":
    sys.exit(main())
