# ECS Fargate: the app service (Reflex backend + an nginx container that serves the static
# pages and proxies the rest, exactly as in the Compose stack), the worker service, and a
# one-off migration task definition the pipeline runs before traffic moves. Tasks run in
# private subnets without public IPs; secrets come from Secrets Manager, never from plain
# task environment; deployments roll back on their own when new tasks do not get healthy.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  tags      = merge(var.tags, { "logistics-ai:module" = "app" })
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name

  # The image carries no database/Redis URL: the task gets their parts (host from Terraform,
  # credentials from Secrets Manager) and this launcher assembles the URLs, URL-escaping the
  # credentials, before it execs the real command. REFLEX_REDIS_URL puts Reflex's state
  # manager on Redis (rxconfig.py reads REDIS_URL too); rediss:// = TLS to ElastiCache.
  launcher = <<-EOT
    import os, sys, urllib.parse
    q = lambda name: urllib.parse.quote(os.environ.pop(name), safe="")
    os.environ["DATABASE_URL"] = "postgresql+psycopg://%s:%s@%s/%s?sslmode=require" % (q("DB_USERNAME"), q("DB_PASSWORD"), os.environ["DB_ENDPOINT"], os.environ["DB_NAME"])
    os.environ["REDIS_URL"] = os.environ["REFLEX_REDIS_URL"] = "rediss://:%s@%s/0" % (q("REDIS_AUTH_TOKEN"), os.environ["REDIS_ENDPOINT"])
    os.execvp(sys.argv[1], sys.argv[1:])
  EOT

  # The launcher travels as LAI_LAUNCHER, so an `aws ecs execute-command` session can run a
  # one-off command the same way: python3 -c "$LAI_RUN" python -m logistics_ai create-admin ...
  launch = ["python3", "-c", "import os; exec(os.environ['LAI_LAUNCHER'])"]

  environment = merge({
    APP_ENV                          = var.environment
    APP_VERSION                      = replace(var.image, "/^.*[@:]/", "")
    PUBLIC_BASE_URL                  = "https://${var.domain_name}"
    DB_ENDPOINT                      = var.database_endpoint
    DB_NAME                          = var.database_name
    REDIS_ENDPOINT                   = var.redis_endpoint
    TRUSTED_PROXY_HOPS               = "2" # the ALB and the task's nginx
    LOG_JSON                         = "true"
    AWS_REGION                       = local.region
    REFLEX_IGNORE_REDIS_CONFIG_ERROR = "true" # ElastiCache refuses CONFIG SET; see the cache module
    REFLEX_TELEMETRY_ENABLED         = "false"
    REFLEX_CHECK_LATEST_VERSION      = "0"
    LAI_LAUNCHER                     = local.launcher
    LAI_RUN                          = "import os; exec(os.environ['LAI_LAUNCHER'])"
  }, var.app_environment, { DB_APP_ROLE = var.database_app_role })

  shared_secrets = merge({
    REDIS_AUTH_TOKEN = var.redis_auth_secret_arn
    SECRET_KEY       = aws_secretsmanager_secret.secret_key.arn
  }, var.app_secrets)

  # Least privilege (docs/security.md): the app and the worker connect as the app role, which
  # may not update or delete audit rows. Only the one-off migration task gets the owner's
  # credentials, plus the app role's password: it migrates, then creates that role (or resets
  # its password) and grants it (logistics_ai/db_roles.py).
  service_secrets = merge(local.shared_secrets, {
    DB_USERNAME = "${aws_secretsmanager_secret.db_app.arn}:username::"
    DB_PASSWORD = "${aws_secretsmanager_secret.db_app.arn}:password::"
  })
  migrate_secrets = merge(local.shared_secrets, {
    DB_USERNAME     = "${var.database_secret_arn}:username::"
    DB_PASSWORD     = "${var.database_secret_arn}:password::"
    DB_APP_PASSWORD = "${aws_secretsmanager_secret.db_app.arn}:password::"
  })

  # Secrets Manager ARNs without a ":json-key:version-stage:version-id" suffix, for IAM.
  secret_arns = distinct(concat(
    [for ref in concat(values(local.service_secrets), values(local.migrate_secrets)) : regex("^(arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+)", ref)[0]],
    var.registry_credentials_secret_arn == null ? [] : [var.registry_credentials_secret_arn],
  ))

  env_list            = [for key in sort(keys(local.environment)) : { name = key, value = local.environment[key] }]
  service_secret_list = [for key in sort(keys(local.service_secrets)) : { name = key, valueFrom = local.service_secrets[key] }]
  migrate_secret_list = [for key in sort(keys(local.migrate_secrets)) : { name = key, valueFrom = local.migrate_secrets[key] }]

  repository_credentials = var.registry_credentials_secret_arn == null ? null : {
    credentialsParameter = var.registry_credentials_secret_arn
  }

  hardening = {
    readonlyRootFilesystem = true
    privileged             = false
    linuxParameters = {
      initProcessEnabled = false
      capabilities       = { drop = ["ALL"] }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name} task logs and app secrets"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json

  tags = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-app"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:Key policy: "*" is this key itself; the root statement is AWS's default key policy (delegates to IAM).
  #checkov:skip=CKV_AWS_111:Key policy: "*" is this key itself; the root statement is AWS's default key policy (delegates to IAM).
  #checkov:skip=CKV_AWS_356:Key policy: "*" is this key itself (a key policy cannot name other resources).
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsUse"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/ecs/${var.name}/*"]
    }
  }
}

# --- Secrets -----------------------------------------------------------------------------------

# SECRET_KEY: generated once into Secrets Manager. The value also sits in the (encrypted,
# access-controlled) Terraform state bucket; rotate it by the app's key-ring settings
# (JWT_KEYS, FIELD_ENCRYPTION_KEYS), see docs/deploy-cloud.md.
resource "random_password" "secret_key" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "secret_key" {
  #checkov:skip=CKV2_AWS_57:SECRET_KEY derives session and field keys: it is rotated through the app's key rings (JWT_KEYS, FIELD_ENCRYPTION_KEYS), never blindly by a Lambda.
  name_prefix             = "${var.name}/secret-key-"
  description             = "SECRET_KEY of ${var.name}"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7

  tags = local.tags
}

resource "aws_secretsmanager_secret_version" "secret_key" {
  secret_id     = aws_secretsmanager_secret.secret_key.id
  secret_string = random_password.secret_key.result
}

# The app role's credentials (JSON username/password, like the RDS master secret): generated
# once; the migration task sets this password on the role on every run, so rotating it is a
# new secret version followed by a migration run and a redeploy of the services.
resource "random_password" "db_app" {
  length  = 40
  special = false
}

resource "aws_secretsmanager_secret" "db_app" {
  #checkov:skip=CKV2_AWS_57:The app role's password is reset by the migration task from this secret; rotation is a new version plus a migration run (docs/deploy-cloud.md), not a Lambda.
  name_prefix             = "${var.name}/db-app-"
  description             = "PostgreSQL role ${var.database_app_role} of ${var.name} (app and worker)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7

  tags = local.tags
}

resource "aws_secretsmanager_secret_version" "db_app" {
  secret_id     = aws_secretsmanager_secret.db_app.id
  secret_string = jsonencode({ username = var.database_app_role, password = random_password.db_app.result })
}

# --- Logs ----------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(["app", "proxy", "worker", "migrate", "exec"])

  name              = "/ecs/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = local.tags
}

# --- IAM: one execution role (pull, logs, secrets), narrow task roles -----------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account}:*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = local.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuthorization"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # the action has no resource-level permissions
  }

  statement {
    sid       = "EcrPullOwnRepositories"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = ["arn:${local.partition}:ecr:${local.region}:${local.account}:repository/*"]
  }

  statement {
    sid       = "WriteTaskLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for group in aws_cloudwatch_log_group.this : "${group.arn}:*"]
  }

  statement {
    sid       = "ReadTaskSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.secret_arns
  }

  statement {
    sid       = "DecryptTaskSecrets"
    actions   = ["kms:Decrypt"]
    resources = distinct(concat([aws_kms_key.this.arn], var.secret_kms_key_arns))
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-logs-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ProofObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.proof_bucket_arn}/*"]
  }

  statement {
    sid       = "ProofBucketList"
    actions   = ["s3:ListBucket"]
    resources = [var.proof_bucket_arn]
  }

  statement {
    sid       = "ProofEncryption"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.proof_bucket_kms_key_arn]
  }

  dynamic "statement" {
    for_each = var.enable_execute_command ? [1] : []

    content {
      sid = "EcsExec"
      actions = [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ]
      resources = ["*"] # these actions have no resource-level permissions
    }
  }
}

# App and worker share one role: both read and write proofs (the worker's retention job
# deletes them); neither may touch anything else.
resource "aws_iam_role" "task" {
  name               = "${var.name}-ecs-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = local.tags
}

resource "aws_iam_role_policy" "task" {
  name   = "proof-bucket"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# The migration task only talks to PostgreSQL: a role with no permissions at all.
resource "aws_iam_role" "migrate" {
  name               = "${var.name}-ecs-migrate"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = local.tags
}

# --- Network: tasks reachable only from the load balancer ---------------------------------------

resource "aws_security_group" "app" {
  name        = "${var.name}-app"
  description = "App tasks: the proxy port from the load balancer only"
  vpc_id      = var.vpc_id

  tags = merge(local.tags, { Name = "${var.name}-app" })
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "Worker and migration tasks: no ingress"
  vpc_id      = var.vpc_id

  tags = merge(local.tags, { Name = "${var.name}-worker" })
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "Proxy port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.proxy_port
  to_port                      = var.proxy_port
  referenced_security_group_id = var.alb_security_group_id

  tags = local.tags
}

locals {
  egress_rules = merge(
    {
      https = { port = 443, cidr = "0.0.0.0/0", description = "HTTPS to AWS APIs and third-party APIs (Groq, OSRM, webhooks)" }
      pg    = { port = 5432, cidr = var.vpc_cidr_block, description = "PostgreSQL inside the VPC" }
      redis = { port = 6379, cidr = var.vpc_cidr_block, description = "Redis inside the VPC" }
    },
    { for port in var.extra_egress_ports : "port-${port}" => { port = port, cidr = "0.0.0.0/0", description = "Extra egress port ${port}" } },
  )
  egress = { for pair in setproduct(["app", "worker"], keys(local.egress_rules)) : "${pair[0]}-${pair[1]}" => merge(local.egress_rules[pair[1]], { group = pair[0] }) }
}

resource "aws_vpc_security_group_egress_rule" "tasks" {
  for_each = local.egress

  security_group_id = each.value.group == "app" ? aws_security_group.app.id : aws_security_group.worker.id
  description       = each.value.description
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr

  tags = local.tags
}

# --- Cluster -----------------------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = aws_kms_key.this.arn
      logging    = "OVERRIDE"

      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.this["exec"].name
      }
    }
  }

  tags = local.tags
}

# --- Task definitions --------------------------------------------------------------------------

resource "aws_ecs_task_definition" "app" {
  family                   = "${var.name}-app"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.app_cpu
  memory                   = var.app_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # Task-local scratch volumes: the read-only root filesystems write only here.
  dynamic "volume" {
    for_each = toset(["frontend", "tls", "app-states", "app-home", "app-tmp", "nginx-run", "nginx-lib", "nginx-log"])

    content {
      name = volume.value
    }
  }

  container_definitions = jsonencode([
    # 1. Publish the static pages of this image into the task's frontend volume, then exit.
    merge(local.hardening, {
      name                  = "publish-frontend"
      image                 = var.image
      essential             = false
      command               = ["lai-release", "publish"]
      environment           = [{ name = "FRONTEND_PUBLISH_DIR", value = "/srv/frontend" }]
      mountPoints           = [{ sourceVolume = "frontend", containerPath = "/srv/frontend", readOnly = false }]
      repositoryCredentials = local.repository_credentials
      logConfiguration = {
        logDriver = "awslogs"
        options   = { awslogs-group = aws_cloudwatch_log_group.this["proxy"].name, awslogs-region = local.region, awslogs-stream-prefix = "publish" }
      }
    }),
    # 2. A per-task certificate for the ALB -> nginx hop (the ALB encrypts to targets but does
    #    not verify their certificates; the public certificate lives on the ALB).
    merge(local.hardening, {
      name       = "tls-init"
      image      = var.proxy_image
      essential  = false
      entryPoint = ["sh", "-c"]
      command = [join(" ", [
        "openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj /CN=${var.domain_name}",
        "-keyout /etc/nginx/tls/privkey.pem -out /etc/nginx/tls/fullchain.pem 2>/dev/null",
        "&& chmod 0600 /etc/nginx/tls/privkey.pem",
      ])]
      mountPoints           = [{ sourceVolume = "tls", containerPath = "/etc/nginx/tls", readOnly = false }]
      repositoryCredentials = local.repository_credentials
      logConfiguration = {
        logDriver = "awslogs"
        options   = { awslogs-group = aws_cloudwatch_log_group.this["proxy"].name, awslogs-region = local.region, awslogs-stream-prefix = "tls-init" }
      }
    }),
    # 3. The Reflex backend: /_event, /_upload, /api/v1/*, /healthz, /readyz.
    merge(local.hardening, {
      name                  = "app"
      image                 = var.image
      essential             = true
      user                  = "10001:10001"
      entryPoint            = ["/usr/bin/tini", "--"]
      command               = concat(local.launch, ["reflex", "run", "--env", "prod", "--backend-only"])
      environment           = concat(local.env_list, [{ name = "GRANIAN_WORKERS", value = tostring(var.granian_workers) }, { name = "REFLEX_BACKEND_PORT", value = "8000" }])
      secrets               = local.service_secret_list
      portMappings          = [{ containerPort = 8000, protocol = "tcp" }]
      ulimits               = [{ name = "nofile", softLimit = 20000, hardLimit = 20000 }]
      stopTimeout           = 30
      repositoryCredentials = local.repository_credentials
      mountPoints = [
        { sourceVolume = "app-states", containerPath = "/app/.states", readOnly = false },
        { sourceVolume = "app-home", containerPath = "/home/app", readOnly = false },
        { sourceVolume = "app-tmp", containerPath = "/tmp", readOnly = false },
      ]
      healthCheck = {
        command     = ["CMD", "python3", "/usr/local/bin/lai-healthcheck", "http"]
        interval    = 10
        timeout     = 5
        retries     = 3
        startPeriod = 90
      }
      logConfiguration = {
        logDriver = "awslogs"
        options   = { awslogs-group = aws_cloudwatch_log_group.this["app"].name, awslogs-region = local.region, awslogs-stream-prefix = "app" }
      }
    }),
    # 4. nginx from the same release: pages, security headers/CSP, websocket timeouts, and the
    #    proxy to 127.0.0.1:8000. Same templates as the Compose stack (deploy/nginx).
    merge(local.hardening, {
      name      = "proxy"
      image     = var.proxy_image
      essential = true
      environment = [
        { name = "SERVER_NAME", value = var.domain_name },
        { name = "APP_UPSTREAMS", value = "127.0.0.1:8000" },
        { name = "NGINX_HTTP_PORT", value = "8080" },
        { name = "NGINX_HTTPS_PORT", value = tostring(var.proxy_port) },
        { name = "NGINX_REDIRECT_PORT_SUFFIX", value = "" },
        { name = "NGINX_CONF_DIR", value = "/run/nginx/conf" },
        { name = "NGINX_DYNAMIC_DIR", value = "/run/nginx/dynamic" },
        { name = "NGINX_PID_FILE", value = "/run/nginx/nginx.pid" },
        { name = "NGINX_TEMP_DIR", value = "/var/lib/nginx/tmp" },
        { name = "NGINX_RESOLVER", value = cidrhost(var.vpc_cidr_block, 2) },
        # Every request arrives from an ALB address: nginx's per-address limits would throttle
        # the ALB, so the VPC is exempt and the WAF rate rule limits per client instead.
        { name = "RATE_LIMIT_EXEMPT_CIDRS", value = var.vpc_cidr_block },
        { name = "NGINX_WS_TIMEOUT", value = "300s" },
      ]
      portMappings          = [{ containerPort = var.proxy_port, protocol = "tcp" }]
      ulimits               = [{ name = "nofile", softLimit = 20000, hardLimit = 20000 }]
      stopTimeout           = 30
      repositoryCredentials = local.repository_credentials
      linuxParameters = {
        initProcessEnabled = false
        # nginx's master starts as root and drops to www-data, so it keeps CHOWN, SETUID,
        # SETGID and DAC_OVERRIDE (Fargate cannot add capabilities back after dropping ALL).
        capabilities = { drop = ["AUDIT_WRITE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETPCAP", "SYS_CHROOT"] }
      }
      mountPoints = [
        { sourceVolume = "frontend", containerPath = "/srv/frontend", readOnly = true },
        { sourceVolume = "tls", containerPath = "/etc/nginx/tls", readOnly = true },
        { sourceVolume = "nginx-run", containerPath = "/run/nginx", readOnly = false },
        { sourceVolume = "nginx-lib", containerPath = "/var/lib/nginx", readOnly = false },
        { sourceVolume = "nginx-log", containerPath = "/var/log/nginx", readOnly = false },
      ]
      dependsOn = [
        { containerName = "publish-frontend", condition = "SUCCESS" },
        { containerName = "tls-init", condition = "SUCCESS" },
        { containerName = "app", condition = "HEALTHY" },
      ]
      healthCheck = {
        command     = ["CMD", "nginx-ctl", "health"]
        interval    = 10
        timeout     = 5
        retries     = 3
        startPeriod = 10
      }
      logConfiguration = {
        logDriver = "awslogs"
        options   = { awslogs-group = aws_cloudwatch_log_group.this["proxy"].name, awslogs-region = local.region, awslogs-stream-prefix = "proxy" }
      }
    }),
  ])

  tags = local.tags

  lifecycle {
    precondition {
      condition     = !var.require_image_digest || alltrue([for ref in [var.image, var.worker_image, var.proxy_image] : strcontains(ref, "@sha256:")])
      error_message = "require_image_digest is set: image, worker_image and proxy_image must be pinned by @sha256 digest."
    }

    # staging refuses the demo seed with the public demo password (settings.py), so a seeded
    # staging needs its own DEMO_PASSWORD from Secrets Manager.
    precondition {
      condition     = var.environment == "dev" || lookup(var.app_environment, "SEED_DEMO", "false") != "true" || contains(keys(var.app_secrets), "DEMO_PASSWORD")
      error_message = "SEED_DEMO=true outside dev needs app_secrets.DEMO_PASSWORD (a Secrets Manager ARN)."
    }
  }
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name}-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "worker-home"
  }

  volume {
    name = "worker-tmp"
  }

  container_definitions = jsonencode([
    merge(local.hardening, {
      name                  = "worker"
      image                 = var.worker_image
      essential             = true
      user                  = "10001:10001"
      entryPoint            = ["/usr/bin/tini", "--"]
      command               = concat(local.launch, ["python", "-m", "logistics_ai", "worker"])
      environment           = local.env_list
      secrets               = local.service_secret_list
      stopTimeout           = 30
      repositoryCredentials = local.repository_credentials
      mountPoints = [
        { sourceVolume = "worker-home", containerPath = "/home/app", readOnly = false },
        { sourceVolume = "worker-tmp", containerPath = "/tmp", readOnly = false },
      ]
      healthCheck = {
        command     = concat(["CMD"], local.launch, ["python3", "/usr/local/bin/lai-healthcheck", "worker"])
        interval    = 15
        timeout     = 10
        retries     = 3
        startPeriod = 30
      }
      logConfiguration = {
        logDriver = "awslogs"
        options   = { awslogs-group = aws_cloudwatch_log_group.this["worker"].name, awslogs-region = local.region, awslogs-stream-prefix = "worker" }
      }
    }),
  ])

  tags = local.tags
}

# One-off: `aws ecs run-task --task-definition <family> ...` (see the migration_* outputs) runs
# `lai-release migrate` (wait for the database, migrate under an advisory lock) before the
# services move to the new image. Migrations follow docs/deploy.md's expand/contract rule.
resource "aws_ecs_task_definition" "migrate" {
  family                   = "${var.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.migrate.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "migrate-tmp"
  }

  container_definitions = jsonencode([
    merge(local.hardening, {
      name                  = "migrate"
      image                 = var.image
      essential             = true
      user                  = "10001:10001"
      entryPoint            = ["/usr/bin/tini", "--"]
      command               = concat(local.launch, ["lai-release", "migrate", "seed"])
      environment           = concat(local.env_list, [{ name = "RELEASE_WAIT_SECONDS", value = "300" }])
      secrets               = local.migrate_secret_list
      repositoryCredentials = local.repository_credentials
      mountPoints           = [{ sourceVolume = "migrate-tmp", containerPath = "/tmp", readOnly = false }]
      logConfiguration = {
        logDriver = "awslogs"
        options   = { awslogs-group = aws_cloudwatch_log_group.this["migrate"].name, awslogs-region = local.region, awslogs-stream-prefix = "migrate" }
      }
    }),
  ])

  tags = local.tags

  # ecs-release first applies -target=<this task definition>: the targets' dependencies come
  # along, but a secret's value is a separate resource nothing else references, and a task
  # whose secret has no value yet fails to start.
  depends_on = [aws_secretsmanager_secret_version.secret_key, aws_secretsmanager_secret_version.db_app]
}

# --- Services ----------------------------------------------------------------------------------

resource "aws_ecs_service" "app" {
  name                               = "app"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.app.arn
  desired_count                      = var.app_desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  enable_execute_command             = var.enable_execute_command
  health_check_grace_period_seconds  = 120
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  wait_for_steady_state              = true

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = "proxy"
    container_port   = var.proxy_port
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [desired_count] # autoscaling owns it
  }
}

resource "aws_ecs_service" "worker" {
  name                               = "worker"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.worker.arn
  desired_count                      = var.worker_desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  enable_execute_command             = var.enable_execute_command
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  wait_for_steady_state              = true

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.worker.id]
    assign_public_ip = false
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [desired_count]
  }
}

# --- Autoscaling -------------------------------------------------------------------------------

resource "aws_appautoscaling_target" "app" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.app.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.app_min_count
  max_capacity       = var.app_max_count

  tags = local.tags
}

resource "aws_appautoscaling_policy" "app_cpu" {
  name               = "${var.name}-app-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  resource_id        = aws_appautoscaling_target.app.resource_id
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "app_requests" {
  name               = "${var.name}-app-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  resource_id        = aws_appautoscaling_target.app.resource_id
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
    }
  }
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker_desired_count
  max_capacity       = var.worker_max_count

  tags = local.tags
}

resource "aws_appautoscaling_policy" "worker_cpu" {
  name               = "${var.name}-worker-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
