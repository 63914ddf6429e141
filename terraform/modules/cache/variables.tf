variable "name" {
  description = "Name prefix of every resource (e.g. logistics-ai-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,34}$", var.name))
    error_message = "name must be 3-35 lowercase letters, digits or hyphens (replication group IDs are at most 40 characters)."
  }
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Private subnets (at least two availability zones) for the cache subnet group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "The cache subnet group needs subnets in at least two availability zones."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on the Redis port (the app and worker tasks)."
  type        = list(string)

  validation {
    condition     = length(var.allowed_security_group_ids) > 0
    error_message = "At least one client security group is required."
  }
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^7\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be Redis 7.x."
  }
}

variable "node_type" {
  description = "Cache node type (e.g. cache.t4g.small in dev, cache.r7g.large in prod)."
  type        = string
  default     = "cache.t4g.small"

  validation {
    condition     = startswith(var.node_type, "cache.")
    error_message = "node_type must be an ElastiCache node type (cache.*)."
  }
}

variable "replicas" {
  description = "Read replicas of the primary (0 only in dev; Multi-AZ failover needs at least 1)."
  type        = number
  default     = 1

  validation {
    condition     = var.replicas >= 0 && var.replicas <= 5
    error_message = "replicas must be 0-5."
  }
}

variable "multi_az" {
  description = "Replicas in other availability zones with automatic failover (needs replicas >= 1)."
  type        = bool
  default     = true
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots kept."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_days >= 1 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be 1-35."
  }
}

variable "maxmemory_policy" {
  description = "Eviction policy. Reflex state and rate-limit keys all carry a TTL, so volatile-lru evicts the oldest tab state first instead of failing writes."
  type        = string
  default     = "volatile-lru"

  validation {
    condition     = contains(["volatile-lru", "volatile-lfu", "volatile-ttl", "noeviction"], var.maxmemory_policy)
    error_message = "maxmemory_policy must only evict keys with a TTL (volatile-*) or never (noeviction)."
  }
}

variable "log_retention_days" {
  description = "Retention of the slow and engine log groups, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value of at least one year."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
