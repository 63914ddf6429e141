"""Terraform: the app and worker connect to PostgreSQL as the least-privilege app role.

Same split as compose.yaml and the Helm chart (docs/security.md, "Database roles"): only the
one-off migration task/job gets the schema owner's credentials, together with DB_APP_ROLE and
DB_APP_PASSWORD so it can create that role and grant it everything but UPDATE/DELETE on the
audit tables (logistics_ai/db_roles.py). Read from the HCL like test_terraform.py: which
secret each container's DATABASE_URL is built from.
"""

from __future__ import annotations

import re

from tests.infra.conftest import TERRAFORM, blocks, one, resources

APP = TERRAFORM / "modules" / "app"
OWNER = "var.database_secret_arn"
APP_ROLE_SECRET = "aws_secretsmanager_secret.db_app.arn"

# `KEY = value` pairs of an HCL object and `local.name` references, in source order.
_PAIR = re.compile(r'\b([A-Z][A-Z0-9_]*) = ("(?:[^"\\]|\\.)*"|[a-z_][\w.\[\]"]*)')
_LOCAL = re.compile(r"\blocal\.(\w+)\b")


def _locals(directory) -> dict[str, str]:
    return {k: v for block in blocks(directory, "locals") for k, v in block.items()}


def _resolve(name: str, defined: dict[str, str], seen: tuple[str, ...] = ()) -> dict[str, str]:
    """The KEY -> value map a local evaluates to, following merge(local.x, {...}) in order
    (a later key wins, as in merge) and `[for key in ... local.x ...]` lists of it."""
    assert name not in seen, f"cycle through local.{name}"
    expression = defined[name]
    found: dict[str, str] = {}
    events = [(m.start(), "pair", m) for m in _PAIR.finditer(expression)]
    events += [(m.start(), "local", m) for m in _LOCAL.finditer(expression)]
    for _, kind, match in sorted(events, key=lambda event: event[0]):
        if kind == "local":
            if match.group(1) in defined and match.group(1) != name:
                found.update(_resolve(match.group(1), defined, (*seen, name)))
        else:
            found[match.group(1)] = match.group(2).strip('"')
    return found


def _containers(task: dict) -> dict[str, str]:
    """Container name -> its definition text, from the task's jsonencode([...])."""
    text = task["container_definitions"]
    pieces = re.split(r'merge\(local\.hardening, \{name = "', text)[1:]
    assert pieces, "no container definitions found"
    return {piece.split('"', 1)[0]: piece for piece in pieces}


def _container_secrets(task_name: str) -> dict[str, dict[str, str]]:
    tasks = {n: b for _, n, b in resources(APP, "aws_ecs_task_definition")}
    defined = _locals(APP)
    out = {}
    for container, text in _containers(tasks[task_name]).items():
        match = re.search(r"\bsecrets = local\.(\w+)", text)
        if match:
            out[container] = _resolve(match.group(1), defined)
    return out


def test_app_and_worker_build_database_url_from_the_app_role_secret_only() -> None:
    launcher = _locals(APP)["launcher"]
    # The launcher builds DATABASE_URL from DB_USERNAME/DB_PASSWORD: those decide the role.
    assert 'q("DB_USERNAME"), q("DB_PASSWORD")' in launcher
    checked = 0
    for task in ("app", "worker"):
        for container, secrets in _container_secrets(task).items():
            assert secrets["DB_USERNAME"] == f"${{{APP_ROLE_SECRET}}}:username::", (task, container)
            assert secrets["DB_PASSWORD"] == f"${{{APP_ROLE_SECRET}}}:password::", (task, container)
            assert not any(OWNER in ref for ref in secrets.values()), (task, container, secrets)
            assert "DATABASE_URL" not in secrets and "DB_APP_PASSWORD" not in secrets
            checked += 1
    assert checked == 2, "expected exactly the app and worker containers to take secrets"


def test_only_the_migration_task_gets_the_owner_and_the_app_role_credentials() -> None:
    [secrets] = _container_secrets("migrate").values()
    assert secrets["DB_USERNAME"] == f"${{{OWNER}}}:username::"
    assert secrets["DB_PASSWORD"] == f"${{{OWNER}}}:password::"
    assert secrets["DB_APP_PASSWORD"] == f"${{{APP_ROLE_SECRET}}}:password::"
    # DB_APP_ROLE is plain configuration on every container (as in the Helm ConfigMap), set
    # after app_environment so it always names the role whose password the secret holds.
    environment = _locals(APP)["environment"]
    assert environment.rstrip("})").endswith("{DB_APP_ROLE = var.database_app_role")
    tasks = {n: b for _, n, b in resources(APP, "aws_ecs_task_definition")}
    assert "environment = concat(local.env_list" in _containers(tasks["migrate"])["migrate"]
    # Nothing but the migration task references the owner's secret in a container.
    owners = [
        (task, container)
        for task in tasks
        for container, secrets in _container_secrets(task).items()
        if any(OWNER in ref for ref in secrets.values())
    ]
    assert owners == [("migrate", "migrate")]


def test_app_role_password_is_generated_into_an_encrypted_secret() -> None:
    passwords = {n: b for _, n, b in resources(APP, "random_password")}
    assert passwords["db_app"]["length"] >= 32
    secrets = {n: b for _, n, b in resources(APP, "aws_secretsmanager_secret")}
    assert secrets["db_app"]["kms_key_id"] == "${aws_kms_key.this.arn}"
    versions = {n: b for _, n, b in resources(APP, "aws_secretsmanager_secret_version")}
    value = versions["db_app"]["secret_string"]
    assert "username = var.database_app_role" in value
    assert "password = random_password.db_app.result" in value


def test_app_role_is_validated_and_reaches_the_module_from_every_environment() -> None:
    variables = {n: b for block in blocks(APP, "variable") for n, b in block.items()}
    role = variables["database_app_role"]
    assert role["default"] == "logistics_app"  # the compose and Helm default
    assert "regex" in one(role["validation"])["condition"]
    # app_secrets cannot swap the database credentials behind the module's back.
    conditions = " ".join(v["condition"] for v in variables["app_secrets"]["validation"])
    for key in ("DATABASE_URL", "DB_USERNAME", "DB_PASSWORD", "DB_APP_PASSWORD"):
        assert f'"{key}"' in conditions
    for env in ("dev", "staging", "prod"):
        calls = {
            n: b
            for block in blocks(TERRAFORM / "environments" / env, "module")
            for n, b in block.items()
        }
        assert calls["app"]["database_app_role"] == "${var.db_app_role}"
        assert calls["app"]["database_secret_arn"] == "${module.database.master_user_secret_arn}"
