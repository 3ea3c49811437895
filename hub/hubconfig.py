"""``jupyterhub_config.py``: JupyterHub's defaults for a course on one machine, on loopback.

- PAM (``PAMAuthenticator``, JupyterHub's default) checks the accounts' Unix passwords, and
  ``LocalProcessSpawner`` (its default) starts each person's JupyterLab as their own Unix user: the
  documented set-up of nbgrader's exchange ("One class, one grader"), with the exchange's Unix permissions
  as the only wall between students. Only the course's accounts may log in.
- Every server runs the hub's environment (``hub/environment.py``) with its role's Jupyter settings.
- The feedback service (``autograder feedback serve``) is a managed service run as the instructor; its status
  page needs the hub's login, and only the instructor has the scope to see every student's attempts.
- The proxy is configurable-http-proxy (``hub/proxy.py``); the hub, the proxy's API and every server listen
  on 127.0.0.1 only.
"""

from __future__ import annotations

from pathlib import Path

from autograder.feedback.status import READ_ALL
from hub.deploy import COURSE_ID, Deployment

TEMPLATE = '''\
# JupyterHub for the course "{course_id}", written by `make hub` (hub/hubconfig.py). Loopback only.
c = get_config()  # noqa: F821

c.JupyterHub.bind_url = "http://127.0.0.1:{port}"  # the proxy: the one address people open
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = ["{proxy}"]
c.ConfigurableHTTPProxy.pid_file = "{root}/jupyterhub-proxy.pid"
c.JupyterHub.db_url = "sqlite:///{root}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{root}/jupyterhub_cookie_secret"
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every person's server and the proxy

c.JupyterHub.authenticator_class = "pam"  # the accounts' Unix passwords
c.PAMAuthenticator.open_sessions = False  # no login session (pam_systemd) for a server
c.Authenticator.allowed_users = {allowed!r}
c.Authenticator.admin_users = set()

c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"  # each server as its Unix user
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = ["{singleuser}"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120  # a cold JupyterLab on a busy 2-core machine
c.Spawner.http_timeout = 120
c.Spawner.env_keep = ["LANG"]

INSTRUCTORS = {instructors!r}
CONFIG_PATH = {{"instructor": "{instructor_config}", "student": "{student_config}"}}


def role_environment(spawner):
    """Each server: the hub's environment, and its role's Jupyter settings first on the config path."""
    role = "instructor" if spawner.user.name in INSTRUCTORS else "student"
    spawner.environment.update(
        PATH="{bin}:/usr/local/bin:/usr/bin:/bin",
        JUPYTER_PATH="{jupyter_path}",
        JUPYTER_CONFIG_PATH=CONFIG_PATH[role],
    )


c.Spawner.pre_spawn_hook = role_environment

# Feedback during the lab (docs/feedback.md): a managed service, started (and restarted) by the hub as the
# instructor, grading every submission of the exchange on arrival; its status page behind the hub's login.
c.JupyterHub.services = [
    {{
        "name": "feedback",
        "url": "http://127.0.0.1:{feedback_port}",
        "command": ["{bin}/autograder", "--course", "{course}", "feedback", "serve", "--exchange", "{exchange}"],
        "user": "{instructor}",
        "cwd": "{course}",
        "environment": {{"PATH": "{bin}:/usr/local/bin:/usr/bin:/bin", "JUPYTER_PATH": "{jupyter_path}"}},
        "oauth_client_allowed_scopes": ["{read_all}"],
        "oauth_no_confirm": True,  # the course's own page: no "authorize access" step
    }}
]
c.JupyterHub.custom_scopes = {{"{read_all}": {{"description": "See every student's on-submit feedback and the queue"}}}}
c.JupyterHub.load_roles = [
    {{"name": "user", "scopes": ["self", "access:services!service=feedback"]}},
    {{"name": "feedback-readers", "users": [{instructor!r}], "scopes": ["{read_all}"]}},
]
'''


def write(
    deployment: Deployment, *, port: int, hub_port: int, proxy_api_port: int, proxy: Path, feedback_port: int
) -> Path:
    """Write ``jupyterhub_config.py`` into the hub's folder (root only: it names the ports and the secret)."""
    env = deployment.env
    instructor = deployment.instructor
    student = next(iter(deployment.students), None)
    text = TEMPLATE.format(
        course_id=COURSE_ID,
        port=port,
        hub_port=hub_port,
        proxy_api_port=proxy_api_port,
        proxy=proxy,
        root=deployment.root,
        allowed={a.name for a in deployment.accounts},
        instructors={instructor.name},
        singleuser=env.bin / "jupyterhub-singleuser",
        bin=env.bin,
        jupyter_path=env.jupyter_path(),
        instructor_config=deployment.jupyter_config_path(instructor),
        student_config=deployment.jupyter_config_path(student) if student else "",
        feedback_port=feedback_port,
        course=deployment.course,
        exchange=deployment.exchange,
        instructor=instructor.name,
        read_all=READ_ALL,
    )
    path = deployment.root / "jupyterhub_config.py"
    path.write_text(text)
    path.chmod(0o600)
    return path
