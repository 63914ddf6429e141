"""Terraform: the app and worker connect to PostgreSQL as the least-privilege app role.

Same split as compose.yaml and the Helm chart (docs/security.md, "Database roles"): only the
one-off migration task/job gets the schema owner's credentials, together with DB_APP_ROLE and
DB_APP_PASSWORD so it can create that role and grant it everything but UPDATE/DELETE on the
audit tables (logistics_ai/db_roles.py). Read from the HCL like test_terraform.py: which
secret each container's DATABASE_URL is built from.
"""

from __future__ import annotations

import json
import re

from tests.infra.conftest import TERRAFORM, blocks, one, resources

APP = TERRAFORM / "modules" / "app"
GCP = TERRAFORM / "gcp"
AZURE = TERRAFORM / "azure"
MIGRATE_ONLY = ("database-owner-url", "db-app-password")
OWNER = "var.database_secret_arn"
APP_ROLE_SECRET = "aws_secretsmanager_secret.db_app.arn"

# `KEY = value` pairs of an HCL object and `local.name` references, in source order.
_PAIR = re.compile(r'\b([A-Za-z][\w-]*) = ("(?:[^"\\]|\\.)*"|[a-z_][\w.\[\]"-]*)')
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


def _by_name(directory, rtype: str) -> dict[str, dict]:
    return {name: body for _, name, body in resources(directory, rtype)}


def _urls(directory, rtype: str) -> dict[str, str]:
    [(_, _, versions)] = resources(directory, rtype)
    return versions["for_each"]


def _assert_urls(urls: dict[str, str], role: str, owner: str) -> None:
    """database-url is the app role's, database-owner-url the owner's, and the password of
    the app role in database-url is the one db-app-password hands to the migration."""
    assert urls["database-url"].startswith(
        f"postgresql+psycopg://{role}:${{random_password.db_app.result}}@"
    )
    assert urls["database-owner-url"].startswith(
        f"postgresql+psycopg://{owner}:${{random_password.db.result}}@"
    )
    assert urls["db-app-password"] == "${random_password.db_app.result}"
    host = urls["database-url"].split("@", 1)[1]
    assert urls["database-owner-url"].split("@", 1)[1] == host


def test_cloud_run_services_get_the_app_role_url_and_only_the_job_the_owner() -> None:
    defined = _locals(GCP)
    secrets = _resolve("secrets", defined)
    assert secrets["DATABASE_URL"] == 'google_secret_manager_secret.this["database-url"].secret_id'
    assert not any(key in ref for ref in secrets.values() for key in MIGRATE_ONLY)
    assert defined["environment"].rstrip("})").endswith("{DB_APP_ROLE = var.db_app_role")
    _assert_urls(
        _urls(GCP, "google_secret_manager_secret_version"),
        "${var.db_app_role}",
        "${google_sql_user.app.name}",
    )
    for name, service in _by_name(GCP, "google_cloud_run_v2_service").items():
        text = json.dumps(service)
        assert '"for_each": "${local.secrets}"' in text, name
        assert not any(key in text for key in MIGRATE_ONLY), name
        assert one(service["template"])["service_account"] == "${google_service_account.run.email}"
    job = _by_name(GCP, "google_cloud_run_v2_job")["migrate"]
    inner = one(one(job["template"])["template"])
    env = {
        e["name"]: one(one(e["value_source"])["secret_key_ref"])["secret"]
        for e in one(inner["containers"])["env"]
    }
    assert (
        env["DATABASE_URL"]
        == '${google_secret_manager_secret.this["database-owner-url"].secret_id}'
    )
    assert (
        env["DB_APP_PASSWORD"]
        == '${google_secret_manager_secret.this["db-app-password"].secret_id}'
    )
    assert "${local.environment}" in json.dumps(inner)  # DB_APP_ROLE among the plain settings


def test_only_the_migration_jobs_account_may_read_the_owner_url_on_gcp() -> None:
    defined = _locals(GCP)
    assert sorted(defined["migrate_only_secrets"]) == sorted(MIGRATE_ONLY)
    members = _by_name(GCP, "google_secret_manager_secret_iam_member")
    assert members["run"]["member"] == "serviceAccount:${google_service_account.run.email}"
    assert "if !contains(local.migrate_only_secrets, key)" in members["run"]["for_each"]
    assert members["migrate"]["member"] == "serviceAccount:${google_service_account.migrate.email}"
    assert "local.migrate_only_secrets" in members["migrate"]["for_each"]
    job = _by_name(GCP, "google_cloud_run_v2_job")["migrate"]
    inner = one(one(job["template"])["template"])
    assert inner["service_account"] == "${google_service_account.migrate.email}"


def test_container_apps_get_the_app_role_url_and_only_the_job_the_owner() -> None:
    defined = _locals(AZURE)
    secrets = _resolve("secrets", defined)
    assert secrets["database-url"] == 'azurerm_key_vault_secret.this["database-url"].versionless_id'
    assert not set(MIGRATE_ONLY) & set(secrets)
    assert not any(key in ref for ref in secrets.values() for key in MIGRATE_ONLY)
    assert _resolve("secret_env", defined)["DATABASE_URL"] == "database-url"
    assert defined["environment"].rstrip("})").endswith("{DB_APP_ROLE = var.db_app_role")
    vault_secrets = _by_name(AZURE, "azurerm_key_vault_secret")
    assert not set(MIGRATE_ONLY) & set(vault_secrets["this"]["for_each"])
    _assert_urls(
        {**vault_secrets["this"]["for_each"], **vault_secrets["migrate"]["for_each"]},
        "${var.db_app_role}",
        "${azurerm_postgresql_flexible_server.this.administrator_login}",
    )
    apps = _by_name(AZURE, "azurerm_container_app")
    assert set(apps) == {"app", "worker"}
    for name, app in apps.items():
        text = json.dumps(app)
        assert '"for_each": "${local.secrets}"' in text and "${local.secret_env}" in text, name
        assert not any(key in text for key in MIGRATE_ONLY), name
    job = _by_name(AZURE, "azurerm_container_app_job")["migrate"]
    stored = {s["name"]: s["key_vault_secret_id"] for s in job["secret"]}
    assert stored["database-owner-url"] == (
        '${azurerm_key_vault_secret.migrate["database-owner-url"].versionless_id}'
    )
    assert (
        stored["db-app-password"]
        == '${azurerm_key_vault_secret.migrate["db-app-password"].versionless_id}'
    )
    assert "database-url" not in stored
    env = {e["name"]: e["secret_name"] for e in one(one(job["template"])["container"])["env"]}
    assert env["DATABASE_URL"] == "database-owner-url"
    assert env["DB_APP_PASSWORD"] == "db-app-password"


def test_only_the_migration_jobs_identity_may_read_the_owner_url_on_azure() -> None:
    """The owner's URL lives in a vault of its own that only the job's identity may read; the
    apps' identity reads the main vault only."""
    secrets = _by_name(AZURE, "azurerm_key_vault_secret")
    assert secrets["migrate"]["key_vault_id"] == "${azurerm_key_vault.migrate.id}"
    assert secrets["this"]["key_vault_id"] == "${azurerm_key_vault.this.id}"
    readers = {
        (body["scope"], body["principal_id"])
        for _, _, body in resources(AZURE, "azurerm_role_assignment")
        if body["role_definition_name"] != "Key Vault Secrets Officer"  # the deployer
    }
    migrate_vault = {principal for scope, principal in readers if "key_vault.migrate" in scope}
    assert migrate_vault == {"${azurerm_user_assigned_identity.migrate.principal_id}"}
    app_identity = "${azurerm_user_assigned_identity.app.principal_id}"
    assert {scope for scope, principal in readers if principal == app_identity} == {
        "${azurerm_key_vault.this.id}"
    }
    for name, app in _by_name(AZURE, "azurerm_container_app").items():
        assert "user_assigned_identity.migrate" not in json.dumps(app), name
    job = _by_name(AZURE, "azurerm_container_app_job")["migrate"]
    by_secret = {s["name"]: s["identity"] for s in job["secret"]}
    for key in MIGRATE_ONLY:
        assert by_secret[key] == "${azurerm_user_assigned_identity.migrate.id}"


def test_gcp_and_azure_app_role_is_validated() -> None:
    for directory, owner in ((GCP, "app"), (AZURE, "logistics")):
        variables = {n: b for block in blocks(directory, "variable") for n, b in block.items()}
        role = variables["db_app_role"]
        assert role["default"] == "logistics_app"
        condition = one(role["validation"])["condition"]
        assert "regex" in condition and f'"{owner}"' in condition, directory.name
        conditions = " ".join(v["condition"] for v in variables["app_secrets"]["validation"])
        assert '"DATABASE_URL"' in conditions and '"DB_APP_PASSWORD"' in conditions
