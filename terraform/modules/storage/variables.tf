variable "name" {
  description = "Name prefix of every resource (e.g. logistics-ai-prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,36}$", var.name))
    error_message = "name must be 3-37 lowercase letters, digits or hyphens (S3 bucket prefixes are limited)."
  }
}

variable "app_origin" {
  description = "Public HTTPS origin of the app (https://host): the only origin CORS allows."
  type        = string

  validation {
    condition     = can(regex("^https://[a-z0-9.-]+(:[0-9]+)?$", var.app_origin))
    error_message = "app_origin must be an https:// origin without a path."
  }
}

variable "infrequent_access_after_days" {
  description = "Days after which proof-of-delivery photos move to S3 Standard-IA."
  type        = number
  default     = 30

  validation {
    condition     = var.infrequent_access_after_days >= 30
    error_message = "S3 allows the move to Standard-IA after 30 days at the earliest."
  }
}

variable "expire_after_days" {
  description = "Days after which proofs are deleted (0 keeps them; the retention policy of docs/privacy.md decides)."
  type        = number
  default     = 0

  validation {
    condition     = var.expire_after_days == 0 || var.expire_after_days > 30
    error_message = "expire_after_days must be 0 (keep) or more than 30."
  }
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept (undo window)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "access_log_bucket" {
  description = "Bucket receiving the S3 server access logs of the proof bucket (prefix s3/<bucket>/)."
  type        = string

  validation {
    condition     = length(var.access_log_bucket) >= 3
    error_message = "access_log_bucket must be a bucket name."
  }
}

variable "force_destroy" {
  description = "Allow destroying a non-empty bucket (dev only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
