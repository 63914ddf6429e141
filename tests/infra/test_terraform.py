"""Terraform: formatting, checkov, and the production invariants of issue 15, read from the HCL.

No provider can be downloaded here, so `terraform init/validate/plan` cannot run (the ci.yml
`terraform` job runs them on GitHub). These tests parse every module and environment with
python-hcl2 and check the structure the plan would have.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.infra.conftest import (
    ENVIRONMENTS,
    MODULES,
    ROOT,
    TERRAFORM,
    TF_DIRS,
    blocks,
    one,
    parse,
    resources,
    run,
    terraform_binary,
)

AWS_MODULES = [TERRAFORM / "modules" / m for m in MODULES]
# AWS resource types that take no tags argument; every other aws_* resource must be tagged.
UNTAGGABLE = {
    "aws_route",
    "aws_route_table_association",
    "aws_kms_alias",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_secretsmanager_secret_version",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_cors_configuration",
    "aws_acm_certificate_validation",
    "aws_route53_record",
    "aws_wafv2_web_acl_association",
    "aws_wafv2_web_acl_logging_configuration",
    "aws_appautoscaling_policy",
    "aws_sns_topic_policy",
    "aws_sns_topic_subscription",
    "aws_cloudwatch_event_target",
}


def tfvars(env: str) -> dict:
    return parse(TERRAFORM / "environments" / env / "terraform.tfvars")


def module_calls(directory) -> dict[str, dict]:
    return {name: body for block in blocks(directory, "module") for name, body in block.items()}


# --- formatting and checkov ----------------------------------------------------------------------


def test_terraform_fmt_is_clean() -> None:
    result = run([terraform_binary(), "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)])
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def checkov_terraform(checkov_reports) -> dict:
    return checkov_reports["terraform"].json()


def test_checkov_finds_no_failed_check(checkov_terraform) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in checkov_terraform["results"]["failed_checks"]
    ]
    assert checkov_terraform["summary"]["parsing_errors"] == 0
    assert checkov_terraform["summary"]["passed"] > 500
    assert not failed, "\n".join(failed)


def test_every_checkov_skip_has_a_reason(checkov_terraform) -> None:
    """Skips are `#checkov:skip=CKV_...:reason` next to the resource; each must say why."""
    skips = []
    for path in sorted(TERRAFORM.rglob("*.tf")):
        for line in path.read_text().splitlines():
            if "checkov:skip=" in line:
                match = re.search(r"checkov:skip=(CKV2?_[A-Z]+_\d+):(.*)", line)
                assert match, f"{path}: malformed skip {line.strip()}"
                assert len(match.group(2).strip()) > 30, f"{path}: {match.group(1)} has no reason"
                skips.append(match.group(1))
    assert skips
    assert checkov_terraform["summary"]["skipped"] >= len(set(skips))


# --- layout: four files, typed and described variables, pinned providers ------------------------


@pytest.mark.parametrize("module", MODULES)
def test_module_has_its_files(module: str) -> None:
    directory = TERRAFORM / "modules" / module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (directory / name).is_file(), f"{module}/{name} missing"


@pytest.mark.parametrize("directory", TF_DIRS, ids=lambda d: str(d.relative_to(TERRAFORM)))
def test_every_variable_is_typed_and_described(directory) -> None:
    variables = {n: b for block in blocks(directory, "variable") for n, b in block.items()}
    assert variables, f"{directory} declares no variable"
    for name, body in variables.items():
        assert body.get("type"), f"{directory.name}.{name} has no type"
        assert len(body.get("description", "")) >= 10, f"{directory.name}.{name} undescribed"


@pytest.mark.parametrize("module", MODULES)
def test_module_inputs_are_validated(module: str) -> None:
    """Every required input and every free-form string/number input has a validation block."""
    variables = blocks(TERRAFORM / "modules" / module, "variable")
    for block in variables:
        for name, body in block.items():
            kind = str(body["type"]).removeprefix("${").removesuffix("}")
            needs = "default" not in body or kind in ("string", "number")
            nullable_optional = body.get("default", "x") is None
            if needs and not nullable_optional and name != "tags":
                assert body.get("validation"), f"{module}.{name} ({kind}) is not validated"


@pytest.mark.parametrize("directory", TF_DIRS, ids=lambda d: str(d.relative_to(TERRAFORM)))
def test_providers_are_pinned_to_a_range(directory) -> None:
    terraform_blocks = blocks(directory, "terraform")
    assert terraform_blocks, f"{directory} has no terraform block"
    found = 0
    for block in terraform_blocks:
        assert re.search(r">=\s*1\.\d+.*<\s*2", block.get("required_version", "")), directory
        for providers in block.get("required_providers", []):
            for name, spec in providers.items():
                version = spec["version"]
                assert re.fullmatch(r">= ?[\d.]+, ?< ?[\d.]+", version), f"{name}: {version}"
                found += 1
    assert found, f"{directory} pins no provider"


def test_readmes_list_every_input_and_output() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "cloud" / "tf-docs"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("module", [m for m in AWS_MODULES], ids=lambda d: d.name)
def test_every_taggable_resource_is_tagged(module) -> None:
    for kind, name, body in resources(module):
        if kind.startswith("aws_") and kind not in UNTAGGABLE:
            assert "tags" in body, f"{module.name}: {kind}.{name} has no tags"


# --- environments: thin, identical compositions -------------------------------------------------


def test_environments_share_one_composition() -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        texts = {env: (TERRAFORM / "environments" / env / name).read_text() for env in ENVIRONMENTS}
        assert len(set(texts.values())) == 1, f"{name} differs between environments"


def test_composition_uses_every_module_once() -> None:
    calls = module_calls(TERRAFORM / "environments" / "prod")
    sources = sorted(body["source"] for body in calls.values())
    expected = sorted(f"../../modules/{m}" for m in MODULES if m != "bootstrap")
    assert sources == expected
    for body in calls.values():
        assert (TERRAFORM / "environments" / "prod" / body["source"]).resolve().is_dir()
    bootstrap = module_calls(TERRAFORM / "bootstrap")
    assert [b["source"] for b in bootstrap.values()] == ["../modules/bootstrap"]


def test_staging_and_prod_differ_only_by_values() -> None:
    staging, prod = tfvars("staging"), tfvars("prod")
    assert set(staging) - {"app_environment", "app_secrets"} == set(prod), "tfvars keys differ"
    for env in ("staging", "prod"):
        backend = (TERRAFORM / "environments" / env / "backend.hcl").read_text()
        assert f'key            = "{env}/terraform.tfstate"' in backend
        assert "dynamodb_table" in backend and "encrypt        = true" in backend


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_staging_and_prod_are_multi_az_protected_and_pinned(env: str) -> None:
    values = tfvars(env)
    assert values["multi_az"] is True
    assert values["deletion_protection"] is True
    assert values["az_count"] == 3 and values["single_nat_gateway"] is False
    assert values.get("require_image_digest", True) is True
    assert values["cache_replicas"] >= 1
    for key in ("image", "worker_image", "proxy_image"):
        assert re.search(r"@sha256:[0-9a-f]{64}$", values[key]), key


def test_variables_reach_the_resources_that_enforce_them() -> None:
    """multi_az / deletion_protection flow from tfvars into RDS, ElastiCache, the ALB."""
    calls = module_calls(TERRAFORM / "environments" / "prod")
    assert calls["database"]["multi_az"] == "${var.multi_az}"
    assert calls["database"]["deletion_protection"] == "${var.deletion_protection}"
    assert calls["database"]["skip_final_snapshot"] == "${!var.deletion_protection}"
    assert calls["cache"]["multi_az"] == "${var.multi_az}"
    assert calls["edge"]["deletion_protection"] == "${var.deletion_protection}"
    [(_, _, db)] = resources(TERRAFORM / "modules" / "database", "aws_db_instance")[:1]
    assert db["multi_az"] == "${var.multi_az}"
    assert db["deletion_protection"] == "${var.deletion_protection}"
    assert db["skip_final_snapshot"] == "${var.skip_final_snapshot}"
    assert db["manage_master_user_password"] is True
    assert db["backup_retention_period"] == "${var.backup_retention_days}"
    assert db["performance_insights_enabled"] is True
    [(_, _, redis)] = resources(
        TERRAFORM / "modules" / "cache", "aws_elasticache_replication_group"
    )
    assert redis["multi_az_enabled"] == "${local.failover}"
    assert redis["automatic_failover_enabled"] == "${local.failover}"


# --- encryption everywhere ------------------------------------------------------------------------


def test_aws_encryption_at_rest_and_in_transit() -> None:
    everything = [r for module in AWS_MODULES for r in resources(module)]
    by_type: dict[str, list[dict]] = {}
    for kind, _name, body in everything:
        by_type.setdefault(kind, []).append(body)
    for db in by_type["aws_db_instance"]:
        assert db["storage_encrypted"] is True and db["kms_key_id"]
    for redis in by_type["aws_elasticache_replication_group"]:
        assert redis["at_rest_encryption_enabled"] is True and redis["kms_key_id"]
        assert redis["transit_encryption_enabled"] is True
        assert redis["transit_encryption_mode"] == "required"
    for group in by_type["aws_cloudwatch_log_group"]:
        assert group.get("kms_key_id"), group["name"]
    for secret in by_type["aws_secretsmanager_secret"]:
        assert secret.get("kms_key_id")
    for topic in by_type["aws_sns_topic"]:
        assert topic.get("kms_master_key_id")
    for table in by_type["aws_dynamodb_table"]:
        assert one(table["server_side_encryption"])["enabled"] is True
    for key in by_type["aws_kms_key"]:
        assert key["enable_key_rotation"] is True
    buckets = {
        (module.name, name)
        for module in AWS_MODULES
        for _, name, _ in resources(module, "aws_s3_bucket")
    }
    encrypted = set()
    for module in AWS_MODULES:
        for _, _, body in resources(module, "aws_s3_bucket_server_side_encryption_configuration"):
            encrypted.add((module.name, body["bucket"].split(".")[1]))
    assert buckets and buckets == encrypted
    for _, _, listener in resources(TERRAFORM / "modules" / "edge", "aws_lb_listener"):
        assert listener["protocol"] == "HTTPS" or one(listener["default_action"])["type"] == (
            "redirect"
        )
    [(_, _, target_group)] = resources(TERRAFORM / "modules" / "edge", "aws_lb_target_group")
    assert target_group["protocol"] == "HTTPS"
    assert one(target_group["health_check"])["path"] == "${var.health_check_path}"


def test_gcp_and_azure_encrypt_in_transit() -> None:
    gcp = {(k, n): b for k, n, b in resources(TERRAFORM / "gcp")}
    sql = one(gcp[("google_sql_database_instance", "this")]["settings"])
    assert one(sql["ip_configuration"])["ssl_mode"] == "ENCRYPTED_ONLY"
    assert one(sql["ip_configuration"])["ipv4_enabled"] is False
    assert one(sql["backup_configuration"])["point_in_time_recovery_enabled"] is True
    assert gcp[("google_redis_instance", "this")]["transit_encryption_mode"] == (
        "SERVER_AUTHENTICATION"
    )
    assert gcp[("google_redis_instance", "this")]["auth_enabled"] is True
    azure = {(k, n): b for k, n, b in resources(TERRAFORM / "azure")}
    redis = azure[("azurerm_redis_cache", "this")]
    assert redis["non_ssl_port_enabled"] is False and redis["minimum_tls_version"] == "1.2"
    for name in ("proofs", "web"):
        account = azure[("azurerm_storage_account", name)]
        assert account["min_tls_version"] == "TLS1_2"
        assert account["https_traffic_only_enabled"] is True
    postgres = azure[("azurerm_postgresql_flexible_server", "this")]
    assert postgres["public_network_access_enabled"] is False
    ha = one(postgres["high_availability"])
    assert ha["mode"] == '${var.multi_az ? "ZoneRedundant" : "SameZone"}'


# --- network exposure -------------------------------------------------------------------------


def _open_ingress() -> list[tuple[str, str, dict]]:
    found = []
    for module in AWS_MODULES:
        for kind, name, body in resources(module):
            if kind == "aws_vpc_security_group_ingress_rule" and body.get("cidr_ipv4") in (
                "0.0.0.0/0",
                "::/0",
            ):
                found.append((module.name, name, body))
            if kind == "aws_security_group":
                for rule in body.get("ingress", []):
                    if "0.0.0.0/0" in rule.get("cidr_blocks", []):
                        found.append((module.name, name, rule))
    return found


def test_only_the_load_balancer_is_open_to_the_internet_on_80_and_443() -> None:
    opened = _open_ingress()
    assert sorted(name for _, name, _ in opened) == ["alb_http", "alb_https"]
    for module, _name, rule in opened:
        assert module == "edge"
        assert rule["from_port"] == rule["to_port"] and rule["from_port"] in (80, 443)
    # Azure: the only allow rule admits Front Door's back ends; GCP: the firewall only denies.
    for _, _, nsg in resources(TERRAFORM / "azure", "azurerm_network_security_group"):
        for rule in nsg["security_rule"]:
            if rule["access"] == "Allow":
                assert rule["source_address_prefix"] == "AzureFrontDoor.Backend"
                assert rule["destination_port_range"] == "443"
    for _, _, firewall in resources(TERRAFORM / "gcp", "google_compute_firewall"):
        assert "allow" not in firewall and "deny" in firewall


def test_tasks_run_in_private_subnets_without_public_ips() -> None:
    services = resources(TERRAFORM / "modules" / "app", "aws_ecs_service")
    assert {name for _, name, _ in services} == {"app", "worker"}
    for _, _, service in services:
        network = one(service["network_configuration"])
        assert network["assign_public_ip"] is False
        assert network["subnets"] == "${var.private_subnet_ids}"
        breaker = one(service["deployment_circuit_breaker"])
        assert breaker == {"enable": True, "rollback": True}
    calls = module_calls(TERRAFORM / "environments" / "prod")
    assert calls["app"]["private_subnet_ids"] == "${module.network.private_subnet_ids}"
    for _, _, subnet in resources(TERRAFORM / "modules" / "network", "aws_subnet"):
        assert subnet["map_public_ip_on_launch"] is False
    for kind in ("aws_db_instance",):
        for _, _, db in resources(TERRAFORM / "modules" / "database", kind):
            assert db["publicly_accessible"] is False
    migrate = json.dumps(module_calls(TERRAFORM / "environments" / "prod")["app"])
    assert "public_subnet" not in migrate


def test_websocket_idle_timeout_exceeds_the_keepalive_everywhere() -> None:
    edge = {
        n: b
        for block in blocks(TERRAFORM / "modules" / "edge", "variable")
        for n, b in block.items()
    }
    assert edge["idle_timeout"]["default"] > 145
    assert "var.idle_timeout > 145" in one(edge["idle_timeout"]["validation"])["condition"]
    [(_, _, lb)] = resources(TERRAFORM / "modules" / "edge", "aws_lb")
    assert lb["idle_timeout"] == "${var.idle_timeout}"
    stickiness = one(
        resources(TERRAFORM / "modules" / "edge", "aws_lb_target_group")[0][2]["stickiness"]
    )
    assert stickiness["enabled"] is False
    # GCP: serverless back ends take Cloud Run's request timeout, which bounds a websocket.
    gcp = {n: b for _, n, b in resources(TERRAFORM / "gcp", "google_cloud_run_v2_service")}
    assert int(one(gcp["app"]["template"])["timeout"].rstrip("s")) > 145
    [(_, _, profile)] = resources(TERRAFORM / "azure", "azurerm_cdn_frontdoor_profile")
    assert profile["response_timeout_seconds"] > 145


def test_waf_has_a_rate_rule_and_managed_rule_groups() -> None:
    [(_, _, acl)] = resources(TERRAFORM / "modules" / "edge", "aws_wafv2_web_acl")
    statements = [one(rule["statement"]) for rule in acl["rule"]]
    assert any("rate_based_statement" in s for s in statements)
    managed = {
        one(s["managed_rule_group_statement"])["name"]
        for s in statements
        if "managed_rule_group_statement" in s
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed


def test_app_pins_granian_workers_and_puts_reflex_state_on_redis() -> None:
    main = (TERRAFORM / "modules" / "app" / "main.tf").read_text()
    assert '{ name = "GRANIAN_WORKERS", value = tostring(var.granian_workers) }' in main
    assert 'os.environ["REFLEX_REDIS_URL"]' in main
    for directory in (TERRAFORM / "gcp", TERRAFORM / "azure"):
        text = (directory / "main.tf").read_text()
        assert "REFLEX_REDIS_URL" in text and "GRANIAN_WORKERS" in text


# Names GCP and Azure need that have no AWS counterpart, each with the reason.
PLATFORM_VARIABLES = {
    "project_id": "the GCP project the resources live in",
    "subscription_id": "the Azure subscription the resources live in",
    "app_concurrency": "requests per Cloud Run instance / Container App replica (ECS has none)",
    "network_cidr": "a subnet or VNet range with its own split (AWS: vpc_cidr_block over AZs)",
    "registry_username": "Container Apps registry login (AWS: registry_credentials_secret_arn)",
    "registry_password_secret_id": "its Key Vault secret (AWS: registry_credentials_secret_arn)",
}


def test_gcp_and_azure_speak_the_aws_variable_vocabulary() -> None:
    """Issue 15: the other clouds take the same variable names as AWS for the same concepts."""

    def names(directory) -> set[str]:
        return {name for block in blocks(directory, "variable") for name in block}

    aws = names(TERRAFORM / "environments" / "prod")
    shared = {
        "project", "environment", "region", "domain_name", "image", "worker_image",
        "app_min_count", "app_max_count", "worker_min_count", "granian_workers", "multi_az",
        "deletion_protection", "db_instance_class", "db_backup_retention_days", "db_app_role",
        "cache_node_type", "waf_rate_limit", "alarm_emails", "app_environment", "app_secrets",
        "tags",
    }  # fmt: skip
    assert shared <= aws
    for cloud in ("gcp", "azure"):
        variables = names(TERRAFORM / cloud)
        assert shared <= variables, f"{cloud} lacks {sorted(shared - variables)}"
        foreign = variables - aws - set(PLATFORM_VARIABLES)
        assert not foreign, f"{cloud} names without an AWS counterpart or a reason: {foreign}"
