variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "logistics-ai"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,15}$", var.project))
    error_message = "project must be 3-16 lowercase letters, digits or hyphens."
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
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "domain_name" {
  description = "Public host name of the environment (e.g. staging.logistics.example.com)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name."
  }
}

variable "route53_zone_id" {
  description = "Route 53 zone of domain_name: the certificate and the alias record are created there (null: bring certificate_arn and point DNS yourself)."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "Existing ACM certificate for domain_name (when route53_zone_id is null)."
  type        = string
  default     = null
}

variable "image" {
  description = "App image reference; the pipeline passes -var image=ghcr.io/OWNER/logistics-ai@sha256:..."
  type        = string

  validation {
    condition     = length(var.image) > 0
    error_message = "image is required."
  }
}

variable "worker_image" {
  description = "Worker image reference (same build, worker target), by digest."
  type        = string

  validation {
    condition     = length(var.worker_image) > 0
    error_message = "worker_image is required."
  }
}

variable "proxy_image" {
  description = "Proxy (nginx) image reference (same build, proxy target), by digest."
  type        = string

  validation {
    condition     = length(var.proxy_image) > 0
    error_message = "proxy_image is required."
  }
}

variable "require_image_digest" {
  description = "Refuse image references that are not pinned by @sha256 digest."
  type        = bool
  default     = true
}

variable "registry_credentials_secret_arn" {
  description = "Secrets Manager secret with GHCR credentials ({\"username\",\"password\"}) for private images (null: public images or ECR)."
  type        = string
  default     = null
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR of the environment's VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr_block))
    error_message = "vpc_cidr_block must be an IPv4 CIDR."
  }
}

variable "az_count" {
  description = "Availability zones the environment spans (2 or 3)."
  type        = number
  default     = 3

  validation {
    condition     = contains([2, 3], var.az_count)
    error_message = "az_count must be 2 or 3."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per availability zone (dev only)."
  type        = bool
  default     = false
}

variable "multi_az" {
  description = "RDS Multi-AZ standby and ElastiCache failover across availability zones."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection on the ALB and RDS, a final snapshot on destroy, and no force-destroy of the proof bucket."
  type        = bool
  default     = true
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS instance class."
  }
}

variable "db_allocated_storage" {
  description = "Initial RDS storage in GiB."
  type        = number
  default     = 50

  validation {
    condition     = var.db_allocated_storage >= 20
    error_message = "db_allocated_storage must be at least 20 GiB."
  }
}

variable "db_backup_retention_days" {
  description = "Days of automated backups / point-in-time recovery."
  type        = number
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be 7-35."
  }
}

variable "db_read_replica" {
  description = "Create an RDS read replica."
  type        = bool
  default     = false
}

variable "db_app_role" {
  description = "PostgreSQL role the app and worker connect as (least privilege: no UPDATE/DELETE on the audit trail); the migration task creates it as the owner."
  type        = string
  default     = "logistics_app"
}

variable "cache_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"

  validation {
    condition     = startswith(var.cache_node_type, "cache.")
    error_message = "cache_node_type must be an ElastiCache node type."
  }
}

variable "cache_replicas" {
  description = "Redis replicas of the primary (at least 1 with multi_az)."
  type        = number
  default     = 1

  validation {
    condition     = var.cache_replicas >= 0 && var.cache_replicas <= 5
    error_message = "cache_replicas must be 0-5."
  }
}

variable "app_cpu" {
  description = "Fargate CPU units per app task."
  type        = number
  default     = 1024

  validation {
    condition     = contains([512, 1024, 2048, 4096, 8192], var.app_cpu)
    error_message = "app_cpu must be a Fargate CPU size."
  }
}

variable "app_memory" {
  description = "Fargate memory (MiB) per app task."
  type        = number
  default     = 2048

  validation {
    condition     = var.app_memory >= 1024
    error_message = "app_memory must be at least 1024 MiB."
  }
}

variable "granian_workers" {
  description = "Granian workers per app container (pinned; about one per vCPU)."
  type        = number
  default     = 2

  validation {
    condition     = var.granian_workers >= 1 && var.granian_workers <= 16
    error_message = "granian_workers must be 1-16."
  }
}

variable "app_min_count" {
  description = "Minimum (and initial) number of app tasks."
  type        = number
  default     = 2

  validation {
    condition     = var.app_min_count >= 1
    error_message = "app_min_count must be at least 1."
  }
}

variable "app_max_count" {
  description = "Maximum number of app tasks autoscaling may run."
  type        = number
  default     = 10

  validation {
    condition     = var.app_max_count >= 1
    error_message = "app_max_count must be at least 1."
  }
}

variable "worker_min_count" {
  description = "Minimum (and initial) number of worker tasks."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_min_count >= 1
    error_message = "worker_min_count must be at least 1."
  }
}

variable "worker_max_count" {
  description = "Maximum number of worker tasks."
  type        = number
  default     = 4

  validation {
    condition     = var.worker_max_count >= 1
    error_message = "worker_max_count must be at least 1."
  }
}

variable "waf_rate_limit" {
  description = "WAF: requests per 5 minutes per client address before blocking."
  type        = number
  default     = 3000

  validation {
    condition     = var.waf_rate_limit >= 100
    error_message = "waf_rate_limit must be at least 100."
  }
}

variable "seed_demo" {
  description = "Seed the demo city in the migration step (staging load tests; refused by the app in prod)."
  type        = bool
  default     = false
}

variable "alarm_emails" {
  description = "E-mail addresses that receive the CloudWatch alarms."
  type        = list(string)
  default     = []
}

variable "app_environment" {
  description = "Extra non-secret app settings (e.g. RATE_LIMIT_*, TIMEZONE, MAIL_FROM)."
  type        = map(string)
  default     = {}
}

variable "app_secrets" {
  description = "Extra secret app settings: variable name => Secrets Manager ARN (e.g. GROQ_API_KEY, SMTP_PASSWORD)."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Extra tags on every resource (cost centre, owner)."
  type        = map(string)
  default     = {}
}
