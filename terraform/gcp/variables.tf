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

variable "project_id" {
  description = "Google Cloud project ID to deploy into."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID."
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
  description = "Google Cloud region (e.g. europe-west1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region name."
  }
}

variable "domain_name" {
  description = "Public host name; a Google-managed certificate is issued for it once DNS points at the load balancer address."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name."
  }
}

variable "image" {
  description = "App image by digest (Artifact Registry or a remote repository mirroring GHCR)."
  type        = string

  validation {
    condition     = can(regex("@sha256:[a-f0-9]{64}$", var.image)) || can(regex(":[A-Za-z0-9._-]+$", var.image))
    error_message = "image must end in @sha256:<digest> or :<tag>."
  }
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
  description = "CIDR of the subnet Cloud Run's direct VPC egress uses."
  type        = string
  default     = "10.50.0.0/20"

  validation {
    condition     = can(cidrnetmask(var.network_cidr))
    error_message = "network_cidr must be an IPv4 CIDR."
  }
}

variable "multi_az" {
  description = "Cloud SQL REGIONAL (HA standby in another zone) and Memorystore STANDARD_HA."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection on Cloud SQL and the Cloud Run services; buckets cannot be force-destroyed."
  type        = bool
  default     = true
}

variable "db_instance_class" {
  description = "Cloud SQL machine tier (e.g. db-custom-2-7680)."
  type        = string
  default     = "db-custom-2-7680"

  validation {
    condition     = startswith(var.db_instance_class, "db-")
    error_message = "db_instance_class must be a Cloud SQL tier (db-*)."
  }
}

variable "db_backup_retention_days" {
  description = "Days of point-in-time recovery (transaction logs) kept."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 7
    error_message = "db_backup_retention_days must be 1-7 (Cloud SQL PostgreSQL limit for transaction logs)."
  }
}

variable "db_app_role" {
  description = "PostgreSQL role (DB_APP_ROLE) the app and worker connect as, with a generated password in Secret Manager. The migration job connects as the owner (app), creates this role and grants it everything but UPDATE/DELETE/TRUNCATE on the audit tables."
  type        = string
  default     = "logistics_app"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_app_role)) && !contains(["app", "postgres", "cloudsqlsuperuser", "public"], var.db_app_role)
    error_message = "db_app_role must be a lowercase PostgreSQL identifier of at most 63 characters, other than the owner (app), postgres, cloudsqlsuperuser or public."
  }
}

variable "cache_node_type" {
  description = "Memorystore capacity in GiB (the tier follows multi_az)."
  type        = number
  default     = 2

  validation {
    condition     = var.cache_node_type >= 1 && var.cache_node_type <= 300
    error_message = "cache_node_type (GiB) must be 1-300."
  }
}

variable "app_min_count" {
  description = "Minimum Cloud Run instances of the app (keeps websockets warm)."
  type        = number
  default     = 2

  validation {
    condition     = var.app_min_count >= 1
    error_message = "app_min_count must be at least 1."
  }
}

variable "app_max_count" {
  description = "Maximum Cloud Run instances of the app."
  type        = number
  default     = 10

  validation {
    condition     = var.app_max_count >= 1 && var.app_max_count <= 1000
    error_message = "app_max_count must be 1-1000."
  }
}

variable "worker_min_count" {
  description = "Worker instances (always-on CPU)."
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
  description = "Concurrent requests (including websockets) per app instance before Cloud Run adds one."
  type        = number
  default     = 250

  validation {
    condition     = var.app_concurrency >= 1 && var.app_concurrency <= 1000
    error_message = "app_concurrency must be 1-1000."
  }
}

variable "waf_rate_limit" {
  description = "Cloud Armor: requests per minute per client address before throttling."
  type        = number
  default     = 600

  validation {
    condition     = var.waf_rate_limit >= 10
    error_message = "waf_rate_limit must be at least 10."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses of the alert notification channel."
  type        = list(string)
  default     = []
}

variable "app_environment" {
  description = "Extra non-secret app settings."
  type        = map(string)
  default     = {}
}

variable "app_secrets" {
  description = "Extra secret app settings: variable name => Secret Manager secret ID (latest version is used)."
  type        = map(string)
  default     = {}

  # The database credentials are the stack's own: the app role's for the services, the
  # owner's for the migration job only.
  validation {
    condition     = length(setintersection(keys(var.app_secrets), ["DATABASE_URL", "DB_APP_PASSWORD"])) == 0
    error_message = "app_secrets may not set DATABASE_URL or DB_APP_PASSWORD: the stack passes the app role to the services and the owner to the migration job."
  }
}

variable "tags" {
  description = "Extra labels on every resource (lowercase keys and values)."
  type        = map(string)
  default     = {}
}
