variable "name" {
  description = "Name prefix of every resource (e.g. logistics-ai-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,27}$", var.name))
    error_message = "name must be 3-28 lowercase letters, digits or hyphens (ALB names are at most 32 characters)."
  }
}

variable "vpc_id" {
  description = "VPC of the load balancer and its target group."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC: the only destination of the load balancer's egress (the task's proxy port)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr_block))
    error_message = "vpc_cidr_block must be an IPv4 CIDR."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets (one per availability zone) the load balancer lives in."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An ALB needs subnets in at least two availability zones."
  }
}

variable "domain_name" {
  description = "Public host name users reach (e.g. logistics.example.com)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name. When set, the module issues and DNS-validates the ACM certificate and creates the alias record; when null, certificate_arn is required and DNS is yours."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ARN of an existing ACM certificate for domain_name (used when route53_zone_id is null)."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (TLS 1.2 and 1.3 only)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-TLS13-1-2", var.ssl_policy))
    error_message = "ssl_policy must be one of the ELBSecurityPolicy-TLS13-1-2-* policies."
  }
}

variable "idle_timeout" {
  description = "Seconds an idle connection is kept. Must exceed Reflex's Engine.IO ping interval + timeout (25 s + 120 s = 145 s), or idle but healthy websockets are cut."
  type        = number
  default     = 300

  validation {
    condition     = var.idle_timeout > 145 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be above 145 s (websocket keep-alive) and at most 4000 s."
  }
}

variable "target_port" {
  description = "Port of the task's proxy container (nginx, HTTPS with a per-task certificate) that the target group forwards to."
  type        = number
  default     = 8443

  validation {
    condition     = var.target_port > 1024 && var.target_port < 65536
    error_message = "target_port must be an unprivileged port."
  }
}

variable "health_check_path" {
  description = "Readiness path the target group probes (database and Redis reachable)."
  type        = string
  default     = "/readyz"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "deregistration_delay" {
  description = "Seconds a draining target keeps its in-flight requests and websockets before it is removed."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be 0-3600 seconds."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion (true in prod)."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one client address before the WAF blocks it (rate-based rule)."
  type        = number
  default     = 3000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 100 and 2e9 (AWS WAF limits)."
  }
}

variable "access_log_retention_days" {
  description = "Days ALB access logs are kept in S3 (moved to infrequent access after 30 days)."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90
    error_message = "access_log_retention_days must be at least 90."
  }
}

variable "log_retention_days" {
  description = "Retention of the WAF log group in CloudWatch Logs, in days."
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
