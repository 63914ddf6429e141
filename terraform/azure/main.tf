# Azure: Container Apps (app, worker, migration job) in a VNet-integrated environment,
# PostgreSQL Flexible Server with zone-redundant HA (private access, TLS only), Azure Cache
# for Redis (TLS only, private endpoint), Azure Files (proofs) and Blob Storage (a static website
# for the pages)
# and Front Door Premium with a WAF policy (rate limit + Microsoft managed rule sets) in front.
# Secrets live in Key Vault and reach the containers through a managed identity.

data "azurerm_client_config" "current" {}

locals {
  name    = "${var.project}-${var.environment}"
  compact = replace(local.name, "-", "")
  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })
  backend_paths = ["/_event", "/_event/*", "/_upload", "/_upload/*", "/api/*", "/ping", "/_health", "/healthz", "/readyz"]
  environment = merge({
    APP_ENV                          = var.environment
    PUBLIC_BASE_URL                  = "https://${var.domain_name}"
    TRUSTED_PROXY_HOPS               = "2" # Front Door + the Container Apps ingress
    LOG_JSON                         = "true"
    GRANIAN_WORKERS                  = tostring(var.granian_workers)
    REFLEX_BACKEND_PORT              = "8000"
    REFLEX_IGNORE_REDIS_CONFIG_ERROR = "true" # Azure Cache refuses CONFIG SET; flags set below
    REFLEX_TELEMETRY_ENABLED         = "false"
    REFLEX_CHECK_LATEST_VERSION      = "0"
    # Azure Blob has no S3 API: proofs live on an Azure Files share mounted into the app and
    # the worker (the app's local storage backend on a volume every replica shares).
    STORAGE_BACKEND = "local"
    STORAGE_DIR     = "/srv/proofs"
  }, var.app_environment, { DB_APP_ROLE = var.db_app_role })
  secrets = merge({
    secret-key   = azurerm_key_vault_secret.this["secret-key"].versionless_id
    database-url = azurerm_key_vault_secret.this["database-url"].versionless_id
    redis-url    = azurerm_key_vault_secret.this["redis-url"].versionless_id
    }, { for name, id in var.app_secrets : lower(replace(name, "_", "-")) => id },
    var.registry_password_secret_id == null ? {} : { registry-password = var.registry_password_secret_id },
  )
  # DATABASE_URL of the app and worker: the least-privilege app role. The owner's URL and the
  # role's password (database-owner-url, db-app-password) only reach the migration job.
  secret_env = merge({
    SECRET_KEY       = "secret-key"
    DATABASE_URL     = "database-url"
    REDIS_URL        = "redis-url"
    REFLEX_REDIS_URL = "redis-url"
  }, { for name, id in var.app_secrets : name => lower(replace(name, "_", "-")) })
}

resource "azurerm_resource_group" "this" {
  name     = "rg-${local.name}"
  location = var.region
  tags     = local.tags
}

# --- Network ----------------------------------------------------------------------------------

resource "azurerm_virtual_network" "this" {
  name                = "vnet-${local.name}"
  resource_group_name = azurerm_resource_group.this.name
  location            = var.region
  address_space       = [var.network_cidr]
  tags                = local.tags
}

resource "azurerm_subnet" "apps" {
  name                 = "snet-apps"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [cidrsubnet(var.network_cidr, 5, 0)]

  delegation {
    name = "container-apps"

    service_delegation {
      name    = "Microsoft.App/environments"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_subnet" "postgres" {
  name                 = "snet-postgres"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [cidrsubnet(var.network_cidr, 8, 8)]
  service_endpoints    = ["Microsoft.Storage"]

  delegation {
    name = "postgres"

    service_delegation {
      name    = "Microsoft.DBforPostgreSQL/flexibleServers"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_subnet" "endpoints" {
  name                 = "snet-endpoints"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [cidrsubnet(var.network_cidr, 8, 9)]
}

# Every subnet: no inbound traffic from the internet except Front Door's back ends on 443
# (the external Container Apps ingress lives in the apps subnet).
resource "azurerm_network_security_group" "this" {
  name                = "nsg-${local.name}"
  resource_group_name = azurerm_resource_group.this.name
  location            = var.region

  # The external Container Apps ingress is reached only by Front Door's back ends.
  security_rule {
    name                       = "allow-frontdoor-https"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "443"
    source_address_prefix      = "AzureFrontDoor.Backend"
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "deny-internet-inbound"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }

  tags = local.tags
}

resource "azurerm_subnet_network_security_group_association" "apps" {
  subnet_id                 = azurerm_subnet.apps.id
  network_security_group_id = azurerm_network_security_group.this.id
}

resource "azurerm_subnet_network_security_group_association" "postgres" {
  subnet_id                 = azurerm_subnet.postgres.id
  network_security_group_id = azurerm_network_security_group.this.id
}

resource "azurerm_subnet_network_security_group_association" "endpoints" {
  subnet_id                 = azurerm_subnet.endpoints.id
  network_security_group_id = azurerm_network_security_group.this.id
}

resource "azurerm_private_dns_zone" "postgres" {
  name                = "${local.name}.postgres.database.azure.com"
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "postgres" {
  name                  = "postgres"
  resource_group_name   = azurerm_resource_group.this.name
  private_dns_zone_name = azurerm_private_dns_zone.postgres.name
  virtual_network_id    = azurerm_virtual_network.this.id
  tags                  = local.tags
}

resource "azurerm_private_dns_zone" "redis" {
  name                = "privatelink.redis.cache.windows.net"
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "redis" {
  name                  = "redis"
  resource_group_name   = azurerm_resource_group.this.name
  private_dns_zone_name = azurerm_private_dns_zone.redis.name
  virtual_network_id    = azurerm_virtual_network.this.id
  tags                  = local.tags
}

resource "azurerm_log_analytics_workspace" "this" {
  name                = "log-${local.name}"
  resource_group_name = azurerm_resource_group.this.name
  location            = var.region
  sku                 = "PerGB2018"
  retention_in_days   = 365
  tags                = local.tags
}

# --- Identity and Key Vault ----------------------------------------------------------------------

resource "azurerm_user_assigned_identity" "app" {
  name                = "id-${local.name}"
  resource_group_name = azurerm_resource_group.this.name
  location            = var.region
  tags                = local.tags
}

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_109:Container Apps read secrets through the public Key Vault endpoint with their managed identity (RBAC); a private endpoint is the documented hardening step.
  #checkov:skip=CKV_AZURE_189:Same as CKV_AZURE_109: public endpoint, RBAC-only access.
  #checkov:skip=CKV2_AZURE_32:Same as CKV_AZURE_109: no private endpoint yet.
  name                          = substr("kv-${local.compact}", 0, 24)
  resource_group_name           = azurerm_resource_group.this.name
  location                      = var.region
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "premium"
  rbac_authorization_enabled    = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = true

  network_acls {
    default_action = "Allow"
    bypass         = "AzureServices"
  }

  tags = local.tags
}

resource "azurerm_role_assignment" "deployer_secrets" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_role_assignment" "app_secrets" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
}

resource "random_password" "secret_key" {
  length  = 64
  special = false
}

resource "random_password" "db" {
  length  = 40
  special = false
}

# The app role (db_app_role): the migration job, connecting as the administrator (the owner),
# creates it with this password (or resets it) and grants it everything but UPDATE/DELETE on
# the audit tables (logistics_ai/db_roles.py); the app and worker connect as it.
resource "random_password" "db_app" {
  length  = 40
  special = false
}

resource "azurerm_key_vault_secret" "this" {
  #checkov:skip=CKV_AZURE_41:These secrets are rotated by re-applying (SECRET_KEY through the app's key rings); a fixed expiry would take the app down.
  for_each = {
    secret-key   = random_password.secret_key.result
    database-url = "postgresql+psycopg://${var.db_app_role}:${random_password.db_app.result}@${azurerm_postgresql_flexible_server.this.fqdn}:5432/logistics?sslmode=require"
    redis-url    = "rediss://:${azurerm_redis_cache.this.primary_access_key}@${azurerm_redis_cache.this.hostname}:${azurerm_redis_cache.this.ssl_port}/0"
  }

  name         = each.key
  value        = each.value
  key_vault_id = azurerm_key_vault.this.id
  content_type = "text/plain"

  depends_on = [azurerm_role_assignment.deployer_secrets]
}

# The migration job's own identity and vault: only it may read the owner's URL and the app
# role's password. The apps' identity reads the main vault (vault-wide), never this one.
resource "azurerm_user_assigned_identity" "migrate" {
  name                = "id-${local.name}-migrate"
  resource_group_name = azurerm_resource_group.this.name
  location            = var.region
  tags                = local.tags
}

resource "azurerm_key_vault" "migrate" {
  #checkov:skip=CKV_AZURE_109:As the main vault: the migration job reads it through the public endpoint with its own managed identity (RBAC).
  #checkov:skip=CKV_AZURE_189:Same as CKV_AZURE_109: public endpoint, RBAC-only access.
  #checkov:skip=CKV2_AZURE_32:Same as CKV_AZURE_109: no private endpoint yet.
  name                          = substr("kvm-${local.compact}", 0, 24)
  resource_group_name           = azurerm_resource_group.this.name
  location                      = var.region
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "premium"
  rbac_authorization_enabled    = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = true

  network_acls {
    default_action = "Allow"
    bypass         = "AzureServices"
  }

  tags = local.tags
}

resource "azurerm_role_assignment" "deployer_migrate_secrets" {
  scope                = azurerm_key_vault.migrate.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_role_assignment" "migrate_secrets" {
  scope                = azurerm_key_vault.migrate.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.migrate.principal_id
}

resource "azurerm_key_vault_secret" "migrate" {
  #checkov:skip=CKV_AZURE_41:Rotated by re-applying and running the migration job, which resets the app role's password; a fixed expiry would stop migrations.
  for_each = {
    database-owner-url = "postgresql+psycopg://${azurerm_postgresql_flexible_server.this.administrator_login}:${random_password.db.result}@${azurerm_postgresql_flexible_server.this.fqdn}:5432/logistics?sslmode=require"
    db-app-password    = random_password.db_app.result
  }

  name         = each.key
  value        = each.value
  key_vault_id = azurerm_key_vault.migrate.id
  content_type = "text/plain"

  depends_on = [azurerm_role_assignment.deployer_migrate_secrets]
}

# --- PostgreSQL Flexible Server -------------------------------------------------------------------

resource "azurerm_postgresql_flexible_server" "this" {
  #checkov:skip=CKV2_AZURE_57:Private access through VNet integration (delegated subnet, private DNS zone, public access disabled) instead of a private endpoint.
  name                          = "psql-${local.name}"
  resource_group_name           = azurerm_resource_group.this.name
  location                      = var.region
  version                       = "16"
  sku_name                      = var.db_instance_class
  storage_mb                    = 131072
  auto_grow_enabled             = true
  zone                          = "1"
  delegated_subnet_id           = azurerm_subnet.postgres.id
  private_dns_zone_id           = azurerm_private_dns_zone.postgres.id
  public_network_access_enabled = false
  administrator_login           = "logistics"
  administrator_password        = random_password.db.result
  backup_retention_days         = var.db_backup_retention_days
  geo_redundant_backup_enabled  = true

  high_availability {
    mode                      = var.multi_az ? "ZoneRedundant" : "SameZone"
    standby_availability_zone = var.multi_az ? "2" : "1"
  }

  maintenance_window {
    day_of_week  = 0
    start_hour   = 4
    start_minute = 0
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [zone, high_availability[0].standby_availability_zone] # swap on failover
  }

  depends_on = [azurerm_private_dns_zone_virtual_network_link.postgres]
}

resource "azurerm_postgresql_flexible_server_database" "this" {
  name      = "logistics"
  server_id = azurerm_postgresql_flexible_server.this.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

# The same settings as the AWS parameter group and the Cloud SQL flags.
resource "azurerm_postgresql_flexible_server_configuration" "this" {
  for_each = {
    require_secure_transport            = "on"
    log_min_duration_statement          = "500"
    log_parameter_max_length            = "0"
    log_statement                       = "ddl"
    log_connections                     = "on"
    log_disconnections                  = "on"
    log_checkpoints                     = "on"
    log_lock_waits                      = "on"
    connection_throttle.enable          = "on"
    idle_in_transaction_session_timeout = "60000"
    statement_timeout                   = "30000"
  }

  name      = each.key
  server_id = azurerm_postgresql_flexible_server.this.id
  value     = each.value
}

# --- Azure Cache for Redis -------------------------------------------------------------------

resource "azurerm_redis_cache" "this" {
  name                          = "redis-${local.name}"
  resource_group_name           = azurerm_resource_group.this.name
  location                      = var.region
  sku_name                      = var.multi_az ? "Premium" : "Standard"
  family                        = var.multi_az ? "P" : "C"
  capacity                      = var.cache_node_type
  zones                         = var.multi_az ? ["1", "2", "3"] : null
  replicas_per_primary          = var.multi_az ? 2 : null
  non_ssl_port_enabled          = false
  minimum_tls_version           = "1.2"
  public_network_access_enabled = false
  redis_version                 = "6"

  # Reflex waits for lock releases through keyspace notifications (see the AWS cache module).
  redis_configuration {
    notify_keyspace_events = "K$sgxe"
    maxmemory_policy       = "volatile-lru"
  }

  tags = local.tags
}

resource "azurerm_private_endpoint" "redis" {
  name                = "pe-redis-${local.name}"
  resource_group_name = azurerm_resource_group.this.name
  location            = var.region
  subnet_id           = azurerm_subnet.endpoints.id

  private_service_connection {
    name                           = "redis"
    private_connection_resource_id = azurerm_redis_cache.this.id
    subresource_names              = ["redisCache"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "redis"
    private_dns_zone_ids = [azurerm_private_dns_zone.redis.id]
  }

  tags = local.tags
}

# --- Storage ------------------------------------------------------------------------------------

resource "azurerm_storage_account" "proofs" {
  #checkov:skip=CKV2_AZURE_1:Encrypted at rest with Microsoft-managed keys plus infrastructure encryption; a customer-managed key is an operator choice.
  #checkov:skip=CKV_AZURE_33:The queue service of this account is unused, so it has nothing to log.
  #checkov:skip=CKV2_AZURE_33:The Container Apps environment mounts the share over its public SMB endpoint; a private endpoint is the documented hardening step.
  #checkov:skip=CKV_AZURE_59:Container Apps mounts Azure Files through the account's public endpoint with the account key.
  #checkov:skip=CKV_AZURE_206:Zone-redundant storage (ZRS); geo replication is an operator choice.
  #checkov:skip=CKV2_AZURE_38:Soft delete for blobs and containers is on (blob_properties); the check wants file shares too, which are unused.
  #checkov:skip=CKV2_AZURE_40:Container Apps can only mount Azure Files with the account key.
  #checkov:skip=CKV2_AZURE_41:No SAS is issued for this account (the share is mounted with the key).
  name                              = substr("st${local.compact}proofs", 0, 24)
  resource_group_name               = azurerm_resource_group.this.name
  location                          = var.region
  account_tier                      = "Standard"
  account_replication_type          = "ZRS"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  infrastructure_encryption_enabled = true
  shared_access_key_enabled         = true

  blob_properties {
    versioning_enabled = true

    delete_retention_policy {
      days = 30
    }

    container_delete_retention_policy {
      days = 30
    }

  }

  share_properties {
    retention_policy {
      days = 30
    }
  }

  sas_policy {
    expiration_period = "00.01:00:00"
  }

  tags = local.tags
}

resource "azurerm_storage_share" "proofs" {
  name               = "proofs"
  storage_account_id = azurerm_storage_account.proofs.id
  quota              = 100
}

resource "azurerm_container_app_environment_storage" "proofs" {
  name                         = "proofs"
  container_app_environment_id = azurerm_container_app_environment.this.id
  account_name                 = azurerm_storage_account.proofs.name
  share_name                   = azurerm_storage_share.proofs.name
  access_key                   = azurerm_storage_account.proofs.primary_access_key
  access_mode                  = "ReadWrite"
}

# Static website ($web) for the release's pages; the pipeline uploads /app/frontend into it.
resource "azurerm_storage_account" "web" {
  #checkov:skip=CKV2_AZURE_1:Public static pages; Microsoft-managed encryption is enough.
  #checkov:skip=CKV_AZURE_33:The queue service of this account is unused, so it has nothing to log.
  #checkov:skip=CKV2_AZURE_33:The static website is public web content behind Front Door.
  #checkov:skip=CKV_AZURE_59:The static website endpoint is public by design (Front Door origin).
  #checkov:skip=CKV_AZURE_206:Pages are rebuilt from the image on every release; LRS is enough.
  #checkov:skip=CKV2_AZURE_38:Pages are rebuilt from the image on every release.
  #checkov:skip=CKV2_AZURE_40:The pipeline uploads the pages with the account's keys (az storage blob upload-batch).
  #checkov:skip=CKV2_AZURE_41:No SAS is issued for the pages.
  #checkov:skip=CKV2_AZURE_47:The static website container ($web) must be readable anonymously.
  name                            = substr("st${local.compact}web", 0, 24)
  resource_group_name             = azurerm_resource_group.this.name
  location                        = var.region
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false

  blob_properties {
    delete_retention_policy {
      days = 7
    }
  }

  sas_policy {
    expiration_period = "00.01:00:00"
  }

  tags = local.tags
}

resource "azurerm_storage_account_static_website" "web" {
  storage_account_id = azurerm_storage_account.web.id
  index_document     = "index.html"
  error_404_document = "404.html"
}

# --- Container Apps -------------------------------------------------------------------------------

resource "azurerm_container_app_environment" "this" {
  name                       = "cae-${local.name}"
  resource_group_name        = azurerm_resource_group.this.name
  location                   = var.region
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id
  infrastructure_subnet_id   = azurerm_subnet.apps.id
  zone_redundancy_enabled    = var.multi_az

  workload_profile {
    name                  = "Consumption"
    workload_profile_type = "Consumption"
  }

  tags = local.tags
}

resource "azurerm_container_app" "app" {
  name                         = "ca-${local.name}-app"
  resource_group_name          = azurerm_resource_group.this.name
  container_app_environment_id = azurerm_container_app_environment.this.id
  revision_mode                = "Single"
  workload_profile_name        = "Consumption"

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  dynamic "secret" {
    for_each = local.secrets

    content {
      name                = secret.key
      key_vault_secret_id = secret.value
      identity            = azurerm_user_assigned_identity.app.id
    }
  }

  dynamic "registry" {
    for_each = var.registry_username == null ? [] : [1]

    content {
      server               = "ghcr.io"
      username             = var.registry_username
      password_secret_name = "registry-password"
    }
  }

  ingress {
    external_enabled = true
    target_port      = 8000
    transport        = "http"

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.app_min_count
    max_replicas = var.app_max_count

    http_scale_rule {
      name                = "concurrent-requests"
      concurrent_requests = tostring(var.app_concurrency)
    }

    volume {
      name         = "proofs"
      storage_type = "AzureFile"
      storage_name = azurerm_container_app_environment_storage.proofs.name
    }

    container {
      name    = "app"
      image   = var.image
      cpu     = 1.0
      memory  = "2Gi"
      command = ["/usr/bin/tini", "--", "reflex", "run", "--env", "prod", "--backend-only"]

      volume_mounts {
        name = "proofs"
        path = "/srv/proofs"
      }

      dynamic "env" {
        for_each = local.environment

        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secret_env

        content {
          name        = env.key
          secret_name = env.value
        }
      }

      readiness_probe {
        transport = "HTTP"
        port      = 8000
        path      = "/readyz"
      }

      liveness_probe {
        transport        = "HTTP"
        port             = 8000
        path             = "/healthz"
        initial_delay    = 30
        interval_seconds = 15
      }
    }
  }

  tags = local.tags

  depends_on = [azurerm_role_assignment.app_secrets]
}

resource "azurerm_container_app" "worker" {
  name                         = "ca-${local.name}-worker"
  resource_group_name          = azurerm_resource_group.this.name
  container_app_environment_id = azurerm_container_app_environment.this.id
  revision_mode                = "Single"
  workload_profile_name        = "Consumption"

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  dynamic "secret" {
    for_each = local.secrets

    content {
      name                = secret.key
      key_vault_secret_id = secret.value
      identity            = azurerm_user_assigned_identity.app.id
    }
  }

  dynamic "registry" {
    for_each = var.registry_username == null ? [] : [1]

    content {
      server               = "ghcr.io"
      username             = var.registry_username
      password_secret_name = "registry-password"
    }
  }

  template {
    min_replicas = var.worker_min_count
    max_replicas = var.worker_min_count

    volume {
      name         = "proofs"
      storage_type = "AzureFile"
      storage_name = azurerm_container_app_environment_storage.proofs.name
    }

    container {
      name    = "worker"
      image   = var.worker_image
      cpu     = 0.5
      memory  = "1Gi"
      command = ["/usr/bin/tini", "--", "python", "-m", "logistics_ai", "worker"]

      volume_mounts {
        name = "proofs"
        path = "/srv/proofs"
      }

      dynamic "env" {
        for_each = local.environment

        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secret_env

        content {
          name        = env.key
          secret_name = env.value
        }
      }
    }
  }

  tags = local.tags

  depends_on = [azurerm_role_assignment.app_secrets]
}

# One-off migration: `az containerapp job start --name NAME --resource-group RG`.
resource "azurerm_container_app_job" "migrate" {
  name                         = "caj-${local.name}-migrate"
  resource_group_name          = azurerm_resource_group.this.name
  location                     = var.region
  container_app_environment_id = azurerm_container_app_environment.this.id
  workload_profile_name        = "Consumption"
  replica_timeout_in_seconds   = 900
  replica_retry_limit          = 1

  manual_trigger_config {
    parallelism              = 1
    replica_completion_count = 1
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id, azurerm_user_assigned_identity.migrate.id]
  }

  # The schema owner: migrations, then CREATE/ALTER ROLE and the grants of DB_APP_ROLE.
  secret {
    name                = "database-owner-url"
    key_vault_secret_id = azurerm_key_vault_secret.migrate["database-owner-url"].versionless_id
    identity            = azurerm_user_assigned_identity.migrate.id
  }

  secret {
    name                = "db-app-password"
    key_vault_secret_id = azurerm_key_vault_secret.migrate["db-app-password"].versionless_id
    identity            = azurerm_user_assigned_identity.migrate.id
  }

  secret {
    name                = "secret-key"
    key_vault_secret_id = azurerm_key_vault_secret.this["secret-key"].versionless_id
    identity            = azurerm_user_assigned_identity.app.id
  }

  dynamic "secret" {
    for_each = var.registry_password_secret_id == null ? {} : { registry-password = var.registry_password_secret_id }

    content {
      name                = secret.key
      key_vault_secret_id = secret.value
      identity            = azurerm_user_assigned_identity.app.id
    }
  }

  dynamic "registry" {
    for_each = var.registry_username == null ? [] : [1]

    content {
      server               = "ghcr.io"
      username             = var.registry_username
      password_secret_name = "registry-password"
    }
  }

  template {
    container {
      name    = "migrate"
      image   = var.image
      cpu     = 0.5
      memory  = "1Gi"
      command = ["/usr/bin/tini", "--", "lai-release", "migrate", "seed"]

      dynamic "env" {
        for_each = local.environment

        content {
          name  = env.key
          value = env.value
        }
      }

      env {
        name        = "DATABASE_URL"
        secret_name = "database-owner-url"
      }

      env {
        name        = "DB_APP_PASSWORD"
        secret_name = "db-app-password"
      }

      env {
        name        = "SECRET_KEY"
        secret_name = "secret-key"
      }
    }
  }

  tags = local.tags

  depends_on = [azurerm_role_assignment.app_secrets, azurerm_role_assignment.migrate_secrets]
}

# --- Front Door Premium + WAF ------------------------------------------------------------------------

resource "azurerm_cdn_frontdoor_profile" "this" {
  name                     = "afd-${local.name}"
  resource_group_name      = azurerm_resource_group.this.name
  sku_name                 = "Premium_AzureFrontDoor"
  response_timeout_seconds = 240 # above Reflex's websocket keep-alive (25 s ping + 120 s timeout)
  tags                     = local.tags
}

resource "azurerm_cdn_frontdoor_endpoint" "this" {
  name                     = "fde-${local.name}"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this.id
  tags                     = local.tags
}

resource "azurerm_cdn_frontdoor_origin_group" "app" {
  name                     = "app"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this.id
  session_affinity_enabled = false

  load_balancing {
    sample_size                 = 4
    successful_samples_required = 3
  }

  health_probe {
    protocol            = "Https"
    path                = "/readyz"
    request_type        = "GET"
    interval_in_seconds = 30
  }
}

resource "azurerm_cdn_frontdoor_origin" "app" {
  name                           = "app"
  cdn_frontdoor_origin_group_id  = azurerm_cdn_frontdoor_origin_group.app.id
  enabled                        = true
  host_name                      = azurerm_container_app.app.ingress[0].fqdn
  origin_host_header             = azurerm_container_app.app.ingress[0].fqdn
  https_port                     = 443
  http_port                      = 80
  certificate_name_check_enabled = true
}

resource "azurerm_cdn_frontdoor_origin_group" "web" {
  name                     = "web"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this.id
  session_affinity_enabled = false

  load_balancing {}
}

resource "azurerm_cdn_frontdoor_origin" "web" {
  name                           = "web"
  cdn_frontdoor_origin_group_id  = azurerm_cdn_frontdoor_origin_group.web.id
  enabled                        = true
  host_name                      = azurerm_storage_account.web.primary_web_host
  origin_host_header             = azurerm_storage_account.web.primary_web_host
  https_port                     = 443
  http_port                      = 80
  certificate_name_check_enabled = true
}

resource "azurerm_cdn_frontdoor_custom_domain" "this" {
  name                     = "app-domain"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this.id
  host_name                = var.domain_name

  tls {
    certificate_type = "ManagedCertificate"
  }
}

resource "azurerm_cdn_frontdoor_route" "app" {
  name                            = "app"
  cdn_frontdoor_endpoint_id       = azurerm_cdn_frontdoor_endpoint.this.id
  cdn_frontdoor_origin_group_id   = azurerm_cdn_frontdoor_origin_group.app.id
  cdn_frontdoor_origin_ids        = [azurerm_cdn_frontdoor_origin.app.id]
  cdn_frontdoor_custom_domain_ids = [azurerm_cdn_frontdoor_custom_domain.this.id]
  patterns_to_match               = local.backend_paths
  supported_protocols             = ["Http", "Https"]
  https_redirect_enabled          = true
  forwarding_protocol             = "HttpsOnly"
  link_to_default_domain          = false
}

resource "azurerm_cdn_frontdoor_route" "web" {
  name                            = "web"
  cdn_frontdoor_endpoint_id       = azurerm_cdn_frontdoor_endpoint.this.id
  cdn_frontdoor_origin_group_id   = azurerm_cdn_frontdoor_origin_group.web.id
  cdn_frontdoor_origin_ids        = [azurerm_cdn_frontdoor_origin.web.id]
  cdn_frontdoor_custom_domain_ids = [azurerm_cdn_frontdoor_custom_domain.this.id]
  patterns_to_match               = ["/*"]
  supported_protocols             = ["Http", "Https"]
  https_redirect_enabled          = true
  forwarding_protocol             = "HttpsOnly"
  link_to_default_domain          = false

  cache {
    query_string_caching_behavior = "IgnoreQueryString"
    compression_enabled           = true
    content_types_to_compress     = ["text/html", "text/css", "application/javascript", "application/json", "image/svg+xml"]
  }
}

resource "azurerm_cdn_frontdoor_firewall_policy" "this" {
  name                = "waf${local.compact}"
  resource_group_name = azurerm_resource_group.this.name
  sku_name            = azurerm_cdn_frontdoor_profile.this.sku_name
  enabled             = true
  mode                = "Prevention"

  custom_rule {
    name                           = "RateLimitPerAddress"
    enabled                        = true
    priority                       = 1
    type                           = "RateLimitRule"
    rate_limit_duration_in_minutes = 1
    rate_limit_threshold           = var.waf_rate_limit
    action                         = "Block"

    match_condition {
      match_variable     = "SocketAddr"
      operator           = "IPMatch"
      negation_condition = true
      match_values       = ["255.255.255.255/32"]
    }
  }

  managed_rule {
    type    = "Microsoft_DefaultRuleSet"
    version = "2.1"
    action  = "Block"
  }

  managed_rule {
    type    = "Microsoft_BotManagerRuleSet"
    version = "1.1"
    action  = "Block"
  }

  tags = local.tags
}

resource "azurerm_cdn_frontdoor_security_policy" "this" {
  name                     = "waf"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.this.id

  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.this.id

      association {
        patterns_to_match = ["/*"]

        domain {
          cdn_frontdoor_domain_id = azurerm_cdn_frontdoor_custom_domain.this.id
        }
      }
    }
  }
}

# --- Alerts ------------------------------------------------------------------------------------------

resource "azurerm_monitor_action_group" "this" {
  name                = "ag-${local.name}"
  resource_group_name = azurerm_resource_group.this.name
  short_name          = substr(replace(var.environment, "-", ""), 0, 12)

  dynamic "email_receiver" {
    for_each = toset(var.alarm_emails)

    content {
      name          = email_receiver.value
      email_address = email_receiver.value
    }
  }

  tags = local.tags
}

resource "azurerm_monitor_metric_alert" "this" {
  for_each = {
    "5xx-ratio"   = { scope = azurerm_cdn_frontdoor_profile.this.id, namespace = "Microsoft.Cdn/profiles", metric = "Percentage5XX", aggregation = "Average", operator = "GreaterThan", threshold = 1 }
    "p95-latency" = { scope = azurerm_cdn_frontdoor_profile.this.id, namespace = "Microsoft.Cdn/profiles", metric = "TotalLatency", aggregation = "Average", operator = "GreaterThan", threshold = 500 }
    "db-storage"  = { scope = azurerm_postgresql_flexible_server.this.id, namespace = "Microsoft.DBforPostgreSQL/flexibleServers", metric = "storage_percent", aggregation = "Maximum", operator = "GreaterThan", threshold = 85 }
    "db-cpu"      = { scope = azurerm_postgresql_flexible_server.this.id, namespace = "Microsoft.DBforPostgreSQL/flexibleServers", metric = "cpu_percent", aggregation = "Average", operator = "GreaterThan", threshold = 85 }
    "redis-load"  = { scope = azurerm_redis_cache.this.id, namespace = "Microsoft.Cache/redis", metric = "serverLoad", aggregation = "Maximum", operator = "GreaterThan", threshold = 85 }
    "restarts"    = { scope = azurerm_container_app.app.id, namespace = "Microsoft.App/containerApps", metric = "RestartCount", aggregation = "Maximum", operator = "GreaterThan", threshold = 3 }
  }

  name                = "${local.name}-${each.key}"
  resource_group_name = azurerm_resource_group.this.name
  scopes              = [each.value.scope]
  frequency           = "PT1M"
  window_size         = "PT5M"
  severity            = 2

  criteria {
    metric_namespace = each.value.namespace
    metric_name      = each.value.metric
    aggregation      = each.value.aggregation
    operator         = each.value.operator
    threshold        = each.value.threshold
  }

  action {
    action_group_id = azurerm_monitor_action_group.this.id
  }

  tags = local.tags
}

resource "azurerm_management_lock" "data" {
  for_each = var.deletion_protection ? {
    database = azurerm_postgresql_flexible_server.this.id
    cache    = azurerm_redis_cache.this.id
    proofs   = azurerm_storage_account.proofs.id
  } : {}

  name       = "do-not-delete-${each.key}"
  scope      = each.value
  lock_level = "CanNotDelete"
  notes      = "Production data: remove the lock deliberately before deleting."
}
