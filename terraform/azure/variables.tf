# Same vocabulary as terraform/environments (AWS): environment, region, domain_name, image,
# worker_image, proxy_image, multi_az, deletion_protection, db_instance_class,
# cache_node_type, app_min_count, app_max_count, worker_min_count, granian_workers,
# alarm_emails, app_environment, app_secrets, tags.

variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "logistics-ai"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,15}$", var.project))
    error_message = "project must be 3-16 lowercase letters, digits or hyphens."
  }
}

variable "subscription_id" {
  description = "Azure subscription to deploy into."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.subscription_id))
    error_message = "subscription_id must be a subscription GUID."
  }
}

variable "environment" {
  description = "Environment name (dev, staging or prod); also the app's APP_ENV."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "region" {
  description = "Azure region with availability zones (e.g. westeurope)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+[0-9]?$", var.region))
    error_message = "region must be an Azure region name such as westeurope."
  }
}

variable "domain_name" {
  description = "Public host name; Front Door issues a managed certificate once the validation TXT record and the CNAME exist."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name."
  }
}

variable "image" {
  description = "App image by digest (ghcr.io/OWNER/logistics-ai@sha256:...)."
  type        = string

  validation {
    condition     = can(regex("@sha256:[a-f0-9]{64}$", var.image)) || can(regex(":[A-Za-z0-9._-]+$", var.image))
    error_message = "image must end in @sha256:<digest> or :<tag>."
  }
}

variable "registry_username" {
  description = "User name for a private registry (GHCR); null for public images."
  type        = string
  default     = null
}

variable "registry_password_secret_id" {
  description = "Key Vault secret ID of the registry token (with registry_username)."
  type        = string
  default     = null
}

variable "worker_image" {
  description = "Worker image by digest."
  type        = string

  validation {
    condition     = can(regex("@sha256:[a-f0-9]{64}$", var.worker_image)) || can(regex(":[A-Za-z0-9._-]+$", var.worker_image))
    error_message = "worker_image must end in @sha256:<digest> or :<tag>."
  }
}

variable "network_cidr" {
  description = "Address space of the virtual network (a /16: Container Apps /21, PostgreSQL /24, private endpoints /24)."
  type        = string
  default     = "10.60.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.network_cidr))
    error_message = "network_cidr must be an IPv4 CIDR."
  }
}

variable "multi_az" {
  description = "PostgreSQL zone-redundant HA, a zone-redundant Container Apps environment and Redis Premium across zones."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Resource locks (CanNotDelete) on the database, the cache and the proof storage account."
  type        = bool
  default     = true
}

variable "db_instance_class" {
  description = "PostgreSQL Flexible Server SKU (e.g. GP_Standard_D2ds_v5; zone-redundant HA needs General Purpose or Memory Optimized)."
  type        = string
  default     = "GP_Standard_D2ds_v5"

  validation {
    condition     = can(regex("^(B|GP|MO)_Standard_", var.db_instance_class))
    error_message = "db_instance_class must be a Flexible Server SKU (B_, GP_ or MO_Standard_*)."
  }
}

variable "db_backup_retention_days" {
  description = "Days of backups / point-in-time recovery."
  type        = number
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be 7-35."
  }
}

variable "cache_node_type" {
  description = "Azure Cache for Redis capacity within its family (Premium P1-P5 with multi_az, Standard C0-C6 otherwise)."
  type        = number
  default     = 1

  validation {
    condition     = var.cache_node_type >= 0 && var.cache_node_type <= 6
    error_message = "cache_node_type must be 0-6."
  }
}

variable "app_min_count" {
  description = "Minimum replicas of the app container app."
  type        = number
  default     = 2

  validation {
    condition     = var.app_min_count >= 1
    error_message = "app_min_count must be at least 1."
  }
}

variable "app_max_count" {
  description = "Maximum replicas of the app container app."
  type        = number
  default     = 10

  validation {
    condition     = var.app_max_count >= 1 && var.app_max_count <= 300
    error_message = "app_max_count must be 1-300."
  }
}

variable "worker_min_count" {
  description = "Worker replicas."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_min_count >= 1
    error_message = "worker_min_count must be at least 1."
  }
}

variable "granian_workers" {
  description = "Granian workers per app instance (pinned)."
  type        = number
  default     = 2

  validation {
    condition     = var.granian_workers >= 1 && var.granian_workers <= 16
    error_message = "granian_workers must be 1-16."
  }
}

variable "app_concurrency" {
  description = "Concurrent requests (including websockets) per app replica before the HTTP scale rule adds one."
  type        = number
  default     = 250

  validation {
    condition     = var.app_concurrency >= 1 && var.app_concurrency <= 1000
    error_message = "app_concurrency must be 1-1000."
  }
}

variable "waf_rate_limit" {
  description = "Front Door WAF: requests per minute per client address before blocking."
  type        = number
  default     = 600

  validation {
    condition     = var.waf_rate_limit >= 10
    error_message = "waf_rate_limit must be at least 10."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses of the alert action group."
  type        = list(string)
  default     = []
}

variable "app_environment" {
  description = "Extra non-secret app settings."
  type        = map(string)
  default     = {}
}

variable "db_app_role" {
  description = "PostgreSQL role (DB_APP_ROLE) the app and worker connect as, with a generated password in Key Vault. The migration job connects as the administrator (the owner), creates this role and grants it everything but UPDATE/DELETE/TRUNCATE on the audit tables."
  type        = string
  default     = "logistics_app"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_app_role)) && !contains(["logistics", "postgres", "azure_pg_admin", "azuresu", "public"], var.db_app_role)
    error_message = "db_app_role must be a lowercase PostgreSQL identifier of at most 63 characters, other than the administrator (logistics) or a reserved role."
  }
}

variable "app_secrets" {
  description = "Extra secret app settings: variable name => Key Vault secret versionless ID."
  type        = map(string)
  default     = {}

  # The database credentials are the stack's own: the app role's for the services, the
  # owner's for the migration job only.
  validation {
    condition     = length(setintersection(keys(var.app_secrets), ["DATABASE_URL", "DB_APP_PASSWORD", "DATABASE_OWNER_URL"])) == 0
    error_message = "app_secrets may not set DATABASE_URL, DATABASE_OWNER_URL or DB_APP_PASSWORD: the stack passes the app role to the services and the owner to the migration job."
  }
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}
