variable "name" {
  description = "Name prefix of every resource (e.g. logistics-ai-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,31}$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment, passed to the app as APP_ENV (dev, staging or prod)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "image" {
  description = "App image, by digest in staging/prod (ghcr.io/OWNER/logistics-ai@sha256:...) or by tag in dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9._-]+)$", var.image))
    error_message = "image must be a registry/repository reference ending in @sha256:<digest> or :<tag>."
  }
}

variable "worker_image" {
  description = "Worker image (the Dockerfile's worker target), by digest or tag like image."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9._-]+)$", var.worker_image))
    error_message = "worker_image must be a registry/repository reference ending in @sha256:<digest> or :<tag>."
  }
}

variable "proxy_image" {
  description = "nginx proxy image (the Dockerfile's proxy target): serves the static pages and proxies the rest to the app container of the same task."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9._-]+)$", var.proxy_image))
    error_message = "proxy_image must be a registry/repository reference ending in @sha256:<digest> or :<tag>."
  }
}

variable "require_image_digest" {
  description = "Refuse image references that are not pinned by digest (true in staging and prod)."
  type        = bool
  default     = true
}

variable "registry_credentials_secret_arn" {
  description = "Secrets Manager secret with {\"username\",\"password\"} for a private registry such as GHCR (null: public images or ECR)."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Public host name (PUBLIC_BASE_URL is https://domain_name; also nginx's server_name)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name."
  }
}

variable "vpc_id" {
  description = "VPC of the tasks."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (the load balancer's addresses: exempt from nginx's per-address limits, the WAF limits per client instead)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr_block))
    error_message = "vpc_cidr_block must be an IPv4 CIDR."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in (no public IPs)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "Spread the tasks over at least two availability zones."
  }
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer (the only source allowed to reach the tasks)."
  type        = string

  validation {
    condition     = startswith(var.alb_security_group_id, "sg-")
    error_message = "alb_security_group_id must be a security group ID (sg-...)."
  }
}

variable "target_group_arn" {
  description = "Target group of the load balancer the app service registers in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:.*:targetgroup/", var.target_group_arn))
    error_message = "target_group_arn must be a target group ARN."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (request-count autoscaling label)."
  type        = string

  validation {
    condition     = startswith(var.alb_arn_suffix, "app/")
    error_message = "alb_arn_suffix must be an ALB ARN suffix (app/NAME/ID)."
  }
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (request-count autoscaling label)."
  type        = string

  validation {
    condition     = startswith(var.target_group_arn_suffix, "targetgroup/")
    error_message = "target_group_arn_suffix must be a target group ARN suffix (targetgroup/NAME/ID)."
  }
}

variable "proxy_port" {
  description = "HTTPS port of the task's nginx container (the target group's port)."
  type        = number
  default     = 8443

  validation {
    condition     = var.proxy_port > 1024 && var.proxy_port < 65536
    error_message = "proxy_port must be an unprivileged port."
  }
}

variable "database_endpoint" {
  description = "host:port of the PostgreSQL primary."
  type        = string

  validation {
    condition     = can(regex("^[^:]+:[0-9]+$", var.database_endpoint))
    error_message = "database_endpoint must be host:port."
  }
}

variable "database_name" {
  description = "Name of the application database."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lowercase PostgreSQL identifier."
  }
}

variable "database_secret_arn" {
  description = "Secrets Manager secret (JSON username/password) of the database user, e.g. the RDS-managed master secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.database_secret_arn))
    error_message = "database_secret_arn must be a Secrets Manager ARN."
  }
}

variable "database_app_role" {
  description = "PostgreSQL role (DB_APP_ROLE) the app and worker connect as, with a generated password kept in Secrets Manager. The migration task connects as the owner (database_secret_arn), creates this role and grants it everything but UPDATE/DELETE/TRUNCATE on the audit tables."
  type        = string
  default     = "logistics_app"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_app_role)) && !contains(["postgres", "rdsadmin", "public"], var.database_app_role)
    error_message = "database_app_role must be a lowercase PostgreSQL identifier of at most 63 characters, other than postgres, rdsadmin or public."
  }
}

variable "redis_endpoint" {
  description = "host:port of the Redis primary endpoint (TLS)."
  type        = string

  validation {
    condition     = can(regex("^[^:]+:[0-9]+$", var.redis_endpoint))
    error_message = "redis_endpoint must be host:port."
  }
}

variable "redis_auth_secret_arn" {
  description = "Secrets Manager secret holding the Redis AUTH token."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.redis_auth_secret_arn))
    error_message = "redis_auth_secret_arn must be a Secrets Manager ARN."
  }
}

variable "secret_kms_key_arns" {
  description = "KMS keys encrypting the database and Redis secrets (the execution role may decrypt with them)."
  type        = list(string)

  validation {
    condition     = length(var.secret_kms_key_arns) > 0 && alltrue([for arn in var.secret_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:", arn))])
    error_message = "secret_kms_key_arns must be KMS key ARNs."
  }
}

variable "proof_bucket_arn" {
  description = "ARN of the proof-of-delivery bucket (the app and worker task roles may read and write its objects)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::", var.proof_bucket_arn))
    error_message = "proof_bucket_arn must be an S3 bucket ARN."
  }
}

variable "proof_bucket_kms_key_arn" {
  description = "KMS key of the proof-of-delivery bucket."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.proof_bucket_kms_key_arn))
    error_message = "proof_bucket_kms_key_arn must be a KMS key ARN."
  }
}

variable "app_environment" {
  description = "Extra plain (non-secret) settings for the app, worker and migration containers, e.g. RATE_LIMIT_*, TIMEZONE, the proof bucket settings."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.app_environment), ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "REFLEX_REDIS_URL", "JWT_KEYS", "FIELD_ENCRYPTION_KEYS", "GROQ_API_KEY"])) == 0
    error_message = "Secrets never go into app_environment: use app_secrets (Secrets Manager ARNs)."
  }
}

variable "app_secrets" {
  description = "Extra secret settings: environment variable name => Secrets Manager ARN (optionally ARN:json-key::), e.g. GROQ_API_KEY, SMTP_PASSWORD, JWT_KEYS."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.app_secrets) : can(regex("^arn:aws[a-z-]*:secretsmanager:", arn))])
    error_message = "app_secrets values must be Secrets Manager ARNs."
  }

  # The database credentials are the module's own: the app role's for the services, the
  # owner's for the migration task only.
  validation {
    condition     = length(setintersection(keys(var.app_secrets), ["DATABASE_URL", "DB_USERNAME", "DB_PASSWORD", "DB_APP_PASSWORD"])) == 0
    error_message = "app_secrets may not set DATABASE_URL, DB_USERNAME, DB_PASSWORD or DB_APP_PASSWORD: the module passes the app role to the services and the owner to the migration task."
  }
}

variable "granian_workers" {
  description = "Granian worker processes per app container (pinned: a container's CPU count is not its share)."
  type        = number
  default     = 2

  validation {
    condition     = var.granian_workers >= 1 && var.granian_workers <= 16
    error_message = "granian_workers must be 1-16."
  }
}

variable "app_cpu" {
  description = "Fargate CPU units of one app task (app + nginx containers)."
  type        = number
  default     = 1024

  validation {
    condition     = contains([512, 1024, 2048, 4096, 8192], var.app_cpu)
    error_message = "app_cpu must be one of 512, 1024, 2048, 4096, 8192."
  }
}

variable "app_memory" {
  description = "Fargate memory (MiB) of one app task."
  type        = number
  default     = 2048

  validation {
    condition     = var.app_memory >= 1024 && var.app_memory <= 61440
    error_message = "app_memory must be 1024-61440 MiB."
  }
}

variable "worker_cpu" {
  description = "Fargate CPU units of one worker task."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.worker_cpu)
    error_message = "worker_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "worker_memory" {
  description = "Fargate memory (MiB) of one worker task."
  type        = number
  default     = 1024

  validation {
    condition     = var.worker_memory >= 512 && var.worker_memory <= 30720
    error_message = "worker_memory must be 512-30720 MiB."
  }
}

variable "app_desired_count" {
  description = "App tasks at creation (autoscaling owns the count afterwards)."
  type        = number
  default     = 2

  validation {
    condition     = var.app_desired_count >= 1
    error_message = "app_desired_count must be at least 1."
  }
}

variable "app_min_count" {
  description = "Lowest number of app tasks autoscaling may run."
  type        = number
  default     = 2

  validation {
    condition     = var.app_min_count >= 1
    error_message = "app_min_count must be at least 1."
  }
}

variable "app_max_count" {
  description = "Highest number of app tasks autoscaling may run."
  type        = number
  default     = 10

  validation {
    condition     = var.app_max_count >= 1 && var.app_max_count <= 200
    error_message = "app_max_count must be 1-200."
  }
}

variable "worker_desired_count" {
  description = "Worker tasks at creation."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_desired_count >= 1
    error_message = "worker_desired_count must be at least 1."
  }
}

variable "worker_max_count" {
  description = "Highest number of worker tasks autoscaling may run."
  type        = number
  default     = 4

  validation {
    condition     = var.worker_max_count >= 1 && var.worker_max_count <= 50
    error_message = "worker_max_count must be 1-50."
  }
}

variable "cpu_target_percent" {
  description = "Average CPU utilisation the app and worker services are scaled to hold."
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 20 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be 20-90."
  }
}

variable "requests_per_target" {
  description = "ALB requests per minute per app task the service is scaled to hold (ALBRequestCountPerTarget)."
  type        = number
  default     = 3000

  validation {
    condition     = var.requests_per_target >= 100
    error_message = "requests_per_target must be at least 100."
  }
}

variable "log_retention_days" {
  description = "Retention of the task log groups, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value of at least one year."
  }
}

variable "extra_egress_ports" {
  description = "TCP ports the tasks may reach on the internet besides 443 (e.g. 587 for SMTP submission)."
  type        = list(number)
  default     = [587]

  validation {
    condition     = alltrue([for port in var.extra_egress_ports : port > 0 && port < 65536 && port != 22])
    error_message = "extra_egress_ports must be valid ports other than 22."
  }
}

variable "enable_execute_command" {
  description = "Allow `aws ecs execute-command` into running tasks (break-glass debugging; off by default)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
