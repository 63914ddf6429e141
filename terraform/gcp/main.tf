# Google Cloud: Cloud Run (app, worker, migration job) with direct VPC egress, Cloud SQL for
# PostgreSQL (REGIONAL HA, PITR, private IP only, TLS only), Memorystore for Redis
# (STANDARD_HA, AUTH, TLS), Cloud Storage (proofs; static pages), and a global external HTTPS
# load balancer with a Google-managed certificate and Cloud Armor in front. The static pages
# are served from a bucket behind the load balancer (the app image is backend-only, as in
# docs/deploy.md); dynamic paths go to Cloud Run.

locals {
  name = "${var.project}-${var.environment}"
  labels = merge(var.tags, {
    project     = var.project
    environment = var.environment
    managed-by  = "terraform"
  })
  # Paths the Reflex backend serves; everything else is a static page from the bucket.
  backend_paths = ["/_event", "/_event/*", "/_upload", "/_upload/*", "/api/*", "/ping", "/_health", "/healthz", "/readyz"]
  environment = merge({
    APP_ENV                          = var.environment
    PUBLIC_BASE_URL                  = "https://${var.domain_name}"
    TRUSTED_PROXY_HOPS               = "2" # Google Front End + load balancer
    LOG_JSON                         = "true"
    REFLEX_IGNORE_REDIS_CONFIG_ERROR = "true" # Memorystore refuses CONFIG SET; flags set below
    REFLEX_TELEMETRY_ENABLED         = "false"
    REFLEX_CHECK_LATEST_VERSION      = "0"
    # Proofs through Cloud Storage's S3-compatible XML API with an HMAC key of the service
    # account (the app's storage backend speaks S3); Cloud Storage encrypts at rest itself.
    STORAGE_BACKEND = "s3"
    S3_BUCKET       = google_storage_bucket.proofs.name
    S3_ENDPOINT_URL = "https://storage.googleapis.com"
    S3_REGION       = var.region
    S3_SSE          = "none"
  }, var.app_environment, { DB_APP_ROLE = var.db_app_role })
  secrets = merge({
    SECRET_KEY = google_secret_manager_secret.this["secret-key"].secret_id
    # The least-privilege app role's URL; the owner's (database-owner-url) and the role's
    # password (db-app-password) only reach the migration job, under its own service account.
    DATABASE_URL         = google_secret_manager_secret.this["database-url"].secret_id
    REDIS_URL            = google_secret_manager_secret.this["redis-url"].secret_id
    REFLEX_REDIS_URL     = google_secret_manager_secret.this["redis-url"].secret_id
    S3_ACCESS_KEY_ID     = google_secret_manager_secret.this["s3-access-key-id"].secret_id
    S3_SECRET_ACCESS_KEY = google_secret_manager_secret.this["s3-secret-access-key"].secret_id
  }, var.app_secrets)
  # Secrets only the migration job's service account may read.
  migrate_only_secrets = ["database-owner-url", "db-app-password"]
}

data "google_project" "this" {}

# --- Network --------------------------------------------------------------------------------

resource "google_compute_network" "this" {
  name                    = local.name
  auto_create_subnetworks = false
}

# Nothing reaches the VPC from outside: ingress is denied (and logged) for every address.
resource "google_compute_firewall" "deny_ingress" {
  name      = "${local.name}-deny-ingress"
  network   = google_compute_network.this.id
  direction = "INGRESS"
  priority  = 65534

  deny {
    protocol = "all"
  }

  source_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_subnetwork" "run" {
  name                     = "${local.name}-run"
  network                  = google_compute_network.this.id
  region                   = var.region
  ip_cidr_range            = var.network_cidr
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_1_MIN"
    flow_sampling        = 1
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "this" {
  name    = local.name
  network = google_compute_network.this.id
  region  = var.region
}

resource "google_compute_router_nat" "this" {
  name                               = local.name
  router                             = google_compute_router.this.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Private services access: Cloud SQL and Memorystore get addresses inside the VPC only.
resource "google_compute_global_address" "private_services" {
  name          = "${local.name}-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 16
  network       = google_compute_network.this.id
}

resource "google_service_networking_connection" "this" {
  network                 = google_compute_network.this.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

# --- Secrets ----------------------------------------------------------------------------------

resource "random_password" "secret_key" {
  length  = 64
  special = false
}

resource "random_password" "db" {
  length  = 40
  special = false
}

# The app role (db_app_role): the migration job, connecting as the owner ("app"), creates it
# with this password (or resets it) and grants it everything but UPDATE/DELETE on the audit
# tables (logistics_ai/db_roles.py); the services connect as it.
resource "random_password" "db_app" {
  length  = 40
  special = false
}

resource "google_secret_manager_secret" "this" {
  for_each = toset(["secret-key", "database-url", "database-owner-url", "db-app-password", "redis-url", "redis-ca", "s3-access-key-id", "s3-secret-access-key"])

  secret_id = "${local.name}-${each.key}"

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "this" {
  for_each = {
    secret-key         = random_password.secret_key.result
    database-url       = "postgresql+psycopg://${var.db_app_role}:${random_password.db_app.result}@${google_sql_database_instance.this.private_ip_address}:5432/logistics?sslmode=require"
    database-owner-url = "postgresql+psycopg://${google_sql_user.app.name}:${random_password.db.result}@${google_sql_database_instance.this.private_ip_address}:5432/logistics?sslmode=require"
    db-app-password    = random_password.db_app.result
    redis-url          = "rediss://:${google_redis_instance.this.auth_string}@${google_redis_instance.this.host}:${google_redis_instance.this.port}/0?ssl_ca_certs=/secrets/redis-ca/ca.pem"
    redis-ca           = join("\n", [for cert in google_redis_instance.this.server_ca_certs : cert.cert])
    # HMAC credentials of the Cloud Run service account (they sit in state, like the others).
    s3-access-key-id     = google_storage_hmac_key.run.access_id
    s3-secret-access-key = google_storage_hmac_key.run.secret
  }

  secret      = google_secret_manager_secret.this[each.key].id
  secret_data = each.value
}

resource "google_service_account" "run" {
  account_id   = "${local.name}-run"
  display_name = "Logistics AI Cloud Run (${var.environment})"
}

resource "google_storage_hmac_key" "run" {
  service_account_email = google_service_account.run.email
}

resource "google_secret_manager_secret_iam_member" "run" {
  for_each = { for key, secret in google_secret_manager_secret.this : key => secret if !contains(local.migrate_only_secrets, key) }

  secret_id = each.value.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.run.email}"
}

# The migration job runs as its own account: the only one that can read the owner's URL.
resource "google_service_account" "migrate" {
  account_id   = "${local.name}-migrate"
  display_name = "Logistics AI migration job (${var.environment})"
}

resource "google_secret_manager_secret_iam_member" "migrate" {
  for_each = toset(concat(local.migrate_only_secrets, ["secret-key"]))

  secret_id = google_secret_manager_secret.this[each.key].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.migrate.email}"
}

resource "google_storage_bucket_iam_member" "run_proofs" {
  bucket = google_storage_bucket.proofs.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.run.email}"
}

# --- Cloud SQL for PostgreSQL ----------------------------------------------------------------

resource "google_sql_database_instance" "this" {
  #checkov:skip=CKV_GCP_6:ssl_mode ENCRYPTED_ONLY refuses plain connections; client certificates per task are not used (private IP only).
  #checkov:skip=CKV_GCP_57:Slow statements (>500 ms) are logged for diagnosis without their bound parameters (log_parameter_max_length=0), so no personal data reaches the logs.
  #checkov:skip=CKV_GCP_79:PostgreSQL 16 is the version the AWS module and the app's tests use; major upgrades are deliberate.
  name                = local.name
  database_version    = "POSTGRES_16"
  region              = var.region
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.db_instance_class
    availability_type           = var.multi_az ? "REGIONAL" : "ZONAL"
    disk_type                   = "PD_SSD"
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = local.labels

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "03:00"
      transaction_log_retention_days = var.db_backup_retention_days

      backup_retention_settings {
        retained_backups = 14
      }
    }

    ip_configuration {
      ipv4_enabled                                  = false
      private_network                               = google_compute_network.this.id
      ssl_mode                                      = "ENCRYPTED_ONLY"
      enable_private_path_for_google_cloud_services = true
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = true
      record_client_address   = false
    }

    maintenance_window {
      day          = 7
      hour         = 4
      update_track = "stable"
    }

    # Logging and timeouts as on AWS (parameter group of modules/database); pgAudit on.
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }

    database_flags {
      name  = "log_connections"
      value = "on"
    }

    database_flags {
      name  = "log_disconnections"
      value = "on"
    }

    database_flags {
      name  = "log_duration"
      value = "on"
    }

    database_flags {
      name  = "log_hostname"
      value = "on"
    }

    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }

    database_flags {
      name  = "log_min_duration_statement"
      value = "500"
    }

    database_flags {
      name  = "log_parameter_max_length"
      value = "0"
    }

    database_flags {
      name  = "log_min_messages"
      value = "error"
    }

    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }

    database_flags {
      name  = "log_temp_files"
      value = "0"
    }

    database_flags {
      name  = "log_statement"
      value = "ddl"
    }

    database_flags {
      name  = "idle_in_transaction_session_timeout"
      value = "60000"
    }

    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
  }

  depends_on = [google_service_networking_connection.this]
}

resource "google_sql_database" "this" {
  name     = "logistics"
  instance = google_sql_database_instance.this.name
}

resource "google_sql_user" "app" {
  name     = "app"
  instance = google_sql_database_instance.this.name
  password = random_password.db.result
}

# --- Memorystore for Redis -------------------------------------------------------------------

resource "google_redis_instance" "this" {
  name                    = local.name
  region                  = var.region
  tier                    = var.multi_az ? "STANDARD_HA" : "BASIC"
  memory_size_gb          = var.cache_node_type
  redis_version           = "REDIS_7_2"
  authorized_network      = google_compute_network.this.id
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION"
  replica_count           = var.multi_az ? 1 : 0
  read_replicas_mode      = var.multi_az ? "READ_REPLICAS_ENABLED" : "READ_REPLICAS_DISABLED"

  # Reflex waits for lock releases through keyspace notifications (see the AWS cache module).
  redis_configs = {
    notify-keyspace-events = "K$sgxe"
    maxmemory-policy       = "volatile-lru"
  }

  persistence_config {
    persistence_mode    = "RDB"
    rdb_snapshot_period = "ONE_HOUR"
  }

  labels = local.labels

  depends_on = [google_service_networking_connection.this]
}

# --- Cloud Storage ----------------------------------------------------------------------------

resource "google_storage_bucket" "proofs" {
  name                        = "${var.project_id}-${local.name}-proofs"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 30
    }

    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }

    action {
      type = "Delete"
    }
  }

  cors {
    origin          = ["https://${var.domain_name}"]
    method          = ["GET", "HEAD", "PUT"]
    response_header = ["Content-Type", "ETag"]
    max_age_seconds = 3600
  }

  logging {
    log_bucket = google_storage_bucket.logs.name
  }

  labels = local.labels
}

resource "google_storage_bucket" "logs" {
  #checkov:skip=CKV_GCP_62:This is the access-log bucket itself.
  name                        = "${var.project_id}-${local.name}-logs"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 365
    }

    action {
      type = "Delete"
    }
  }

  labels = local.labels
}

# Static pages of the release (the pipeline copies /app/frontend out of the image into it).
# Pages are public by nature: the load balancer's backend bucket reads them anonymously.
resource "google_storage_bucket" "frontend" {
  #checkov:skip=CKV_GCP_114:The static pages are public web content served through the load balancer.
  name                        = "${var.project_id}-${local.name}-frontend"
  location                    = var.region
  uniform_bucket_level_access = true
  force_destroy               = true

  versioning {
    enabled = true
  }

  website {
    main_page_suffix = "index.html"
    not_found_page   = "404.html"
  }

  logging {
    log_bucket = google_storage_bucket.logs.name
  }

  labels = local.labels
}

resource "google_storage_bucket_iam_member" "frontend_public" {
  #checkov:skip=CKV_GCP_28:The static pages are public web content; proofs and logs stay private.
  bucket = google_storage_bucket.frontend.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

# --- Cloud Run ----------------------------------------------------------------------------------

resource "google_cloud_run_v2_service" "app" {
  name                = "${local.name}-app"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = google_service_account.run.email
    timeout                          = "3600s" # websockets live up to an hour, then reconnect
    max_instance_request_concurrency = var.app_concurrency
    session_affinity                 = false

    scaling {
      min_instance_count = var.app_min_count
      max_instance_count = var.app_max_count
    }

    vpc_access {
      egress = "PRIVATE_RANGES_ONLY"

      network_interfaces {
        network    = google_compute_network.this.id
        subnetwork = google_compute_subnetwork.run.id
      }
    }

    volumes {
      name = "redis-ca"

      secret {
        secret = google_secret_manager_secret.this["redis-ca"].secret_id

        items {
          version = "latest"
          path    = "ca.pem"
        }
      }
    }

    containers {
      image   = var.image
      command = ["/usr/bin/tini", "--"]
      args    = ["reflex", "run", "--env", "prod", "--backend-only"]

      ports {
        container_port = 8000
      }

      resources {
        limits            = { cpu = "2", memory = "2Gi" }
        cpu_idle          = false
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = merge(local.environment, { GRANIAN_WORKERS = tostring(var.granian_workers), REFLEX_BACKEND_PORT = "8000" })

        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secrets

        content {
          name = env.key

          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }

      volume_mounts {
        name       = "redis-ca"
        mount_path = "/secrets/redis-ca"
      }

      startup_probe {
        initial_delay_seconds = 5
        period_seconds        = 5
        failure_threshold     = 24

        http_get {
          path = "/readyz"
        }
      }

      liveness_probe {
        period_seconds    = 15
        failure_threshold = 3

        http_get {
          path = "/healthz"
        }
      }
    }
  }

  labels = local.labels

  depends_on = [google_secret_manager_secret_iam_member.run, google_secret_manager_secret_version.this]
}

resource "google_cloud_run_v2_service" "worker" {
  name                = "${local.name}-worker"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = var.deletion_protection

  template {
    service_account = google_service_account.run.email

    scaling {
      min_instance_count = var.worker_min_count
      max_instance_count = var.worker_min_count
    }

    vpc_access {
      egress = "PRIVATE_RANGES_ONLY"

      network_interfaces {
        network    = google_compute_network.this.id
        subnetwork = google_compute_subnetwork.run.id
      }
    }

    volumes {
      name = "redis-ca"

      secret {
        secret = google_secret_manager_secret.this["redis-ca"].secret_id

        items {
          version = "latest"
          path    = "ca.pem"
        }
      }
    }

    containers {
      image   = var.worker_image
      command = ["/usr/bin/tini", "--"]
      args    = ["python", "-m", "logistics_ai", "worker"]

      resources {
        limits   = { cpu = "1", memory = "1Gi" }
        cpu_idle = false # background jobs need CPU without requests
      }

      dynamic "env" {
        for_each = local.environment

        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secrets

        content {
          name = env.key

          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }

      volume_mounts {
        name       = "redis-ca"
        mount_path = "/secrets/redis-ca"
      }
    }
  }

  labels = local.labels

  depends_on = [google_secret_manager_secret_iam_member.run, google_secret_manager_secret_version.this]
}

# One-off migration: `gcloud run jobs execute <name> --wait` before traffic moves.
resource "google_cloud_run_v2_job" "migrate" {
  name                = "${local.name}-migrate"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count = 1

    template {
      service_account = google_service_account.migrate.email
      max_retries     = 1
      timeout         = "900s"

      vpc_access {
        egress = "PRIVATE_RANGES_ONLY"

        network_interfaces {
          network    = google_compute_network.this.id
          subnetwork = google_compute_subnetwork.run.id
        }
      }

      containers {
        image   = var.image
        command = ["/usr/bin/tini", "--"]
        args    = ["lai-release", "migrate", "seed"]

        dynamic "env" {
          for_each = local.environment

          content {
            name  = env.key
            value = env.value
          }
        }

        # The schema owner: migrations, then CREATE/ALTER ROLE and the grants of DB_APP_ROLE.
        env {
          name = "DATABASE_URL"

          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.this["database-owner-url"].secret_id
              version = "latest"
            }
          }
        }

        env {
          name = "DB_APP_PASSWORD"

          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.this["db-app-password"].secret_id
              version = "latest"
            }
          }
        }

        env {
          name = "SECRET_KEY"

          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.this["secret-key"].secret_id
              version = "latest"
            }
          }
        }
      }
    }
  }

  labels = local.labels

  depends_on = [google_secret_manager_secret_iam_member.migrate, google_secret_manager_secret_version.this]
}

# --- Global HTTPS load balancer + Cloud Armor ----------------------------------------------------

resource "google_compute_global_address" "lb" {
  name = local.name
}

resource "google_compute_managed_ssl_certificate" "this" {
  name = local.name

  managed {
    domains = [var.domain_name]
  }
}

resource "google_compute_region_network_endpoint_group" "app" {
  name                  = "${local.name}-app"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloud_run_v2_service.app.name
  }
}

resource "google_compute_security_policy" "this" {
  name        = local.name
  description = "Per-address throttle, OWASP rules and Log4j in front of ${var.domain_name}"

  rule {
    action   = "throttle"
    priority = 100

    match {
      versioned_expr = "SRC_IPS_V1"

      config {
        src_ip_ranges = ["*"]
      }
    }

    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"

      rate_limit_threshold {
        count        = var.waf_rate_limit
        interval_sec = 60
      }
    }

    description = "Rate limit per client address"
  }

  dynamic "rule" {
    for_each = {
      1000 = "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})"
      1001 = "evaluatePreconfiguredWaf('xss-v33-stable', {'sensitivity': 1})"
      1002 = "evaluatePreconfiguredWaf('lfi-v33-stable', {'sensitivity': 1})"
      1003 = "evaluatePreconfiguredWaf('rce-v33-stable', {'sensitivity': 1})"
      1004 = "evaluatePreconfiguredWaf('protocolattack-v33-stable', {'sensitivity': 1})"
    }

    content {
      action   = "deny(403)"
      priority = rule.key

      match {
        expr {
          expression = rule.value
        }
      }

      description = "Preconfigured WAF rule ${rule.key}"
    }
  }

  rule {
    action   = "deny(403)"
    priority = 1010

    match {
      expr {
        expression = "evaluatePreconfiguredExpr('cve-canary')"
      }
    }

    description = "Log4j (CVE-2021-44228)"
  }

  rule {
    action   = "allow"
    priority = 2147483647

    match {
      versioned_expr = "SRC_IPS_V1"

      config {
        src_ip_ranges = ["*"]
      }
    }

    description = "Default allow"
  }
}

resource "google_compute_backend_service" "app" {
  name                  = "${local.name}-app"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  security_policy       = google_compute_security_policy.this.id
  # No timeout_sec: serverless NEG back ends take the Cloud Run request timeout (3600 s, which
  # bounds a websocket's life; clients reconnect).

  backend {
    group = google_compute_region_network_endpoint_group.app.id
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

resource "google_compute_backend_bucket" "frontend" {
  name        = "${local.name}-frontend"
  bucket_name = google_storage_bucket.frontend.name
  enable_cdn  = true

  custom_response_headers = [
    "Strict-Transport-Security: max-age=63072000; includeSubDomains",
    "X-Content-Type-Options: nosniff",
    "X-Frame-Options: DENY",
    "Referrer-Policy: strict-origin-when-cross-origin",
  ]

  cdn_policy {
    cache_mode  = "USE_ORIGIN_HEADERS"
    default_ttl = 0
  }
}

resource "google_compute_url_map" "https" {
  name            = "${local.name}-https"
  default_service = google_compute_backend_bucket.frontend.id

  host_rule {
    hosts        = [var.domain_name]
    path_matcher = "app"
  }

  path_matcher {
    name            = "app"
    default_service = google_compute_backend_bucket.frontend.id

    path_rule {
      paths   = local.backend_paths
      service = google_compute_backend_service.app.id
    }
  }
}

resource "google_compute_ssl_policy" "this" {
  name            = local.name
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "this" {
  name             = local.name
  url_map          = google_compute_url_map.https.id
  ssl_certificates = [google_compute_managed_ssl_certificate.this.id]
  ssl_policy       = google_compute_ssl_policy.this.id
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "${local.name}-https"
  target                = google_compute_target_https_proxy.this.id
  ip_address            = google_compute_global_address.lb.id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  labels                = local.labels
}

resource "google_compute_url_map" "redirect" {
  name = "${local.name}-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  name    = "${local.name}-redirect"
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "${local.name}-http"
  target                = google_compute_target_http_proxy.redirect.id
  ip_address            = google_compute_global_address.lb.id
  port_range            = "80"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  labels                = local.labels
}

# --- Alerts ---------------------------------------------------------------------------------------

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alarm_emails)

  display_name = "${local.name} on-call ${each.value}"
  type         = "email"
  labels       = { email_address = each.value }
}

resource "google_monitoring_alert_policy" "this" {
  for_each = {
    "5xx-ratio" = {
      filter    = "resource.type = \"https_lb_rule\" AND metric.type = \"loadbalancing.googleapis.com/https/request_count\" AND metric.labels.response_code_class = 500"
      threshold = 5
      aligner   = "ALIGN_RATE"
    }
    "p95-latency" = {
      filter    = "resource.type = \"https_lb_rule\" AND metric.type = \"loadbalancing.googleapis.com/https/total_latencies\""
      threshold = 500
      aligner   = "ALIGN_PERCENTILE_95"
    }
    "db-disk" = {
      filter    = "resource.type = \"cloudsql_database\" AND metric.type = \"cloudsql.googleapis.com/database/disk/utilization\""
      threshold = 0.85
      aligner   = "ALIGN_MAX"
    }
    "redis-memory" = {
      filter    = "resource.type = \"redis_instance\" AND metric.type = \"redis.googleapis.com/stats/memory/usage_ratio\""
      threshold = 0.85
      aligner   = "ALIGN_MAX"
    }
  }

  display_name          = "${local.name} ${each.key}"
  combiner              = "OR"
  notification_channels = [for channel in google_monitoring_notification_channel.email : channel.id]

  conditions {
    display_name = each.key

    condition_threshold {
      filter          = each.value.filter
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = "300s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = each.value.aligner
      }
    }
  }

  user_labels = local.labels
}
