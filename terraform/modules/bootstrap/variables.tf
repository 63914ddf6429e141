variable "name" {
  description = "Name prefix of the state bucket and lock table (e.g. logistics-ai)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,36}$", var.name))
    error_message = "name must be 3-37 lowercase letters, digits or hyphens."
  }
}

variable "noncurrent_state_days" {
  description = "Days old versions of state files are kept (undo window for a bad apply)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_state_days >= 30
    error_message = "noncurrent_state_days must be at least 30."
  }
}

variable "state_admin_arns" {
  description = "IAM principals (roles of operators and of the CD pipeline) allowed to use the state bucket and key; empty: any principal of the account with IAM permissions."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.state_admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:", arn))])
    error_message = "state_admin_arns must be IAM ARNs."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
