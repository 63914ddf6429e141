variable "name" {
  description = "Name prefix of every resource (e.g. logistics-ai-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,31}$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "alarm_emails must be e-mail addresses."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch LoadBalancer dimension)."
  type        = string

  validation {
    condition     = startswith(var.alb_arn_suffix, "app/")
    error_message = "alb_arn_suffix must be an ALB ARN suffix (app/NAME/ID)."
  }
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the app target group (CloudWatch TargetGroup dimension)."
  type        = string

  validation {
    condition     = startswith(var.target_group_arn_suffix, "targetgroup/")
    error_message = "target_group_arn_suffix must be a target group ARN suffix."
  }
}

variable "cluster_name" {
  description = "ECS cluster of the services."
  type        = string

  validation {
    condition     = length(var.cluster_name) > 0
    error_message = "cluster_name must not be empty."
  }
}

variable "service_names" {
  description = "ECS services watched for CPU and task restarts."
  type        = list(string)
  default     = ["app", "worker"]
}

variable "db_instance_id" {
  description = "Identifier of the RDS primary."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.db_instance_id))
    error_message = "db_instance_id must be an RDS instance identifier."
  }
}

variable "db_replica_instance_id" {
  description = "Identifier of the RDS read replica (null: no replica-lag alarm)."
  type        = string
  default     = null
}

variable "cache_replication_group_id" {
  description = "ID of the ElastiCache replication group (failover events)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.cache_replication_group_id))
    error_message = "cache_replication_group_id must be a replication group ID."
  }
}

variable "error_ratio_threshold" {
  description = "Share of 5xx answers (target + load balancer) of all requests that raises the alarm, in percent."
  type        = number
  default     = 1

  validation {
    condition     = var.error_ratio_threshold > 0 && var.error_ratio_threshold <= 50
    error_message = "error_ratio_threshold must be in (0, 50] percent."
  }
}

variable "p95_latency_threshold_seconds" {
  description = "p95 target response time (seconds) that raises the alarm; the load gate's SLA is 0.5 s."
  type        = number
  default     = 0.5

  validation {
    condition     = var.p95_latency_threshold_seconds > 0
    error_message = "p95_latency_threshold_seconds must be positive."
  }
}

variable "cpu_threshold_percent" {
  description = "Average service CPU (percent) that raises the alarm (autoscaling should have acted before)."
  type        = number
  default     = 85

  validation {
    condition     = var.cpu_threshold_percent > 0 && var.cpu_threshold_percent <= 100
    error_message = "cpu_threshold_percent must be 1-100."
  }
}

variable "db_free_storage_threshold_bytes" {
  description = "RDS free storage (bytes) below which the alarm fires."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.db_free_storage_threshold_bytes > 0
    error_message = "db_free_storage_threshold_bytes must be positive."
  }
}

variable "replica_lag_threshold_seconds" {
  description = "Read replica lag (seconds) that raises the alarm."
  type        = number
  default     = 60

  validation {
    condition     = var.replica_lag_threshold_seconds > 0
    error_message = "replica_lag_threshold_seconds must be positive."
  }
}

variable "task_restart_threshold" {
  description = "Stopped (crashed or unhealthy) tasks per 15 minutes that raise the alarm."
  type        = number
  default     = 3

  validation {
    condition     = var.task_restart_threshold >= 1
    error_message = "task_restart_threshold must be at least 1."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
